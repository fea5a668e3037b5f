# Runs inside the MicroPython unix port: imports one test module and runs each
# test_* function, printing one marker line per result for the pytest plugin
# (tests/firmware/conftest.py). Usage: micropython mprun.py MODULE [TEST ...]
import gc
import io
import sys


def main():
    modname = sys.argv[1]
    wanted = sys.argv[2:]
    try:
        mod = __import__(modname)
    except Exception as exc:  # report the import failure against every test
        buf = io.StringIO()
        sys.print_exception(exc, buf)
        print("@@IMPORT-ERROR")
        print(buf.getvalue())
        print("@@END")
        return
    names = wanted or sorted(n for n in dir(mod) if n.startswith("test_"))
    for name in names:
        # each test starts on a collected heap: the garbage of the tests before it (whole
        # pods compiled from source) must not fragment the pod's heap budget for it
        gc.collect()
        print("@@BEGIN " + name)
        try:
            getattr(mod, name)()
        except Exception as exc:
            buf = io.StringIO()
            sys.print_exception(exc, buf)
            print(buf.getvalue())  # the traceback precedes its marker
            print("@@FAIL " + name)
        else:
            print("@@PASS " + name)
    sim_pod = sys.modules.get("sim_pod")
    if sim_pod is not None:
        sim_pod.cleanup()  # its simulated flash and board files under /tmp
    print("@@END")


main()
