# rv32 side of `tools/bench_gait.py --rv32`: runs inside the rv32 MicroPython firmware
# under qemu-system-riscv32 -icount shift=0 (stridepod.devtools.qemu_rv32), with the gait
# engine frozen as rv32imc machine code. Counts the guest's retired instructions (the
# instret CSR, 0xC02) for each second of data fed to the engine, minus the same loop fed
# to empty functions (the harness), as bench_gait_micropython.py does with time.
# Reads /rom/bench.json {"seconds": S, "arities": {"Class.method" or function: number of
# arguments}} and /rom/data.bin (bench_gait.py's data file).
# Prints:
#   COST <mode> <instructions per data-second>           mode: both, imu, pressure
#   PROBE <arity> <to the caller> <to the function>   instructions a probe adds per call
#   PROFILE <mode> <phase> <arity> <calls> <probed calls it made> <instructions>
#       over all S seconds: the instructions retired while `phase` was the innermost
#       probed function running, the probes' calibrated cost taken off
import gc
import json
from array import array

import micropython
from bench_gait_micropython import ZONES, config, idle, load, one_second
from micropython import const

from podfw.gait.engine import GaitEngine

_MASK = const(0x3FFFFFFF)
MODES = (("both", True, True), ("imu", True, False), ("pressure", False, True))


@micropython.asm_rv32
def instret() -> int:
    # the low 30 bits of instructions retired: always a small int, deltas mod 2**30
    csrrs(a0, zero, 0xC02)  # noqa: F821  (rdinstret a0)
    slli(a0, a0, 2)  # noqa: F821
    srli(a0, a0, 2)  # noqa: F821


def diff(new, old):
    """new - old of two instret() readings (as time.ticks_diff(new, old))."""
    return (new - old) & _MASK


def drain(eng, rec):
    while eng.events.pop_into(rec):
        pass
    while eng.poll_window() is not None:
        pass


def cost(imu, pressure, seconds, use_imu, use_pressure):
    """Instructions per data-second: engine loop minus harness loop, summed, / seconds."""
    scan = array("i", bytes(4 * ZONES))
    rec = array("i", bytes(16))
    eng = GaitEngine(config())
    total = 0
    for s in range(seconds):
        gc.collect()
        work = one_second(s, imu, pressure, scan, eng.push_imu, eng.push_pressure,
                          use_imu, use_pressure, instret, diff)
        harness = one_second(s, imu, pressure, scan, idle, idle, use_imu, use_pressure,
                             instret, diff)
        total += work - harness
        drain(eng, rec)
    return total // seconds


# ---- profile: instructions by function, charged to the innermost probed one running --
# A probe replaces a function by a closure of the same arity (no argument tuple) that
# reads instret as it enters and leaves; what runs in between is charged to the function,
# the rest to its caller. The probe's own bookkeeping falls between the readings; what
# remains (calling the closure: its frame is allocated and freed on the heap; one more
# call and two instret calls) is measured on an empty native method of each arity
# (PROBE lines) and taken off each charge.
_MAX_PHASES = const(128)
_acc = array("i", bytes(4 * _MAX_PHASES))  # instructions charged, by phase
_calls = array("i", bytes(4 * _MAX_PHASES))
_kids = array("i", bytes(4 * _MAX_PHASES))  # probed calls made while the innermost
_to_caller = array("i", bytes(4 * _MAX_PHASES))  # a probe's calibrated cost, taken off
_to_itself = array("i", bytes(4 * _MAX_PHASES))
_overheads = {}  # arity -> (to the caller, to the function), from calibrate()
_stack = array("i", bytes(4 * 64))  # phases entered and not left; 0 is the caller's loop
_depth = 0
_last = 0
_names = ["(harness)"]
_arity = {}  # phase -> number of arguments of its probe (-1: any, through *args)

_TEMPLATE = """
def _make(i, f):
    @micropython.native
    def probe({params}):
        global _depth, _last
        t = instret()
        _acc[_stack[_depth]] += ((t - _last) & 0x3FFFFFFF) - _to_caller[i]
        _kids[_stack[_depth]] += 1
        _depth += 1
        _stack[_depth] = i
        _calls[i] += 1
        _last = instret()
        r = f({params})
        t = instret()
        _acc[i] += ((t - _last) & 0x3FFFFFFF) - _to_itself[i]
        _depth -= 1
        _last = instret()
        return r
    return probe
"""
_makers = {}


def _params(arity):
    return ", ".join("a" + str(k) for k in range(arity))


def _maker(arity):
    if arity not in _makers:
        params = "*a" if arity < 0 else _params(arity)
        scope = globals()
        exec(_TEMPLATE.format(params=params), scope)
        _makers[arity] = scope["_make"]
    return _makers[arity]


def probe(name, f, arity):
    i = len(_names)
    _names.append(name)
    _arity[i] = arity
    _to_caller[i], _to_itself[i] = _overheads.get(arity, (0, 0))
    return _maker(arity)(i, f)


def reset():
    global _depth, _last
    for i in range(_MAX_PHASES):
        _acc[i] = 0
        _calls[i] = 0
        _kids[i] = 0
    _depth = 0
    _stack[0] = 0
    _last = instret()


def stop():
    _acc[_stack[_depth]] += (instret() - _last) & _MASK


def _methods(obj):
    cls = type(obj)
    for name in dir(cls):
        if name.startswith("__"):
            continue
        value = getattr(cls, name)
        if callable(value) and not isinstance(value, type):
            yield name


def instrument(eng, arities):
    """Probes every method of the engine and of the objects it holds (detector,
    pressure contacts, event ring, clocks, averages), on those instances, and the gait
    modules' functions (isqrt, the viper kernels) in their modules. `arities` maps
    "Class.method" and function names to their number of arguments (from the source).
    Returns what to put back in the modules afterwards."""
    import sys

    del _names[1:]
    seen = []
    todo = [("", eng)]
    while todo:
        attr, obj = todo.pop()
        if any(o is obj for o in seen):
            continue
        cls = type(obj).__name__
        label = cls + ("(" + attr + ")" if any(type(o).__name__ == cls for o in seen) else "")
        seen.append(obj)
        for name in _methods(obj):
            setattr(obj, name, probe(label + "." + name, getattr(obj, name),
                                     arities.get(cls + "." + name, -1)))
        for key, value in obj.__dict__.items():
            if hasattr(value, "__dict__") and not isinstance(value, type) \
                    and type(value).__name__ not in ("module", "GaitConfig", "WindowSummary"):
                todo.append((key, value))
    originals = []
    done = {}
    for modname, module in sys.modules.items():
        if not modname.startswith("podfw.gait"):
            continue
        for name in dir(module):
            value = getattr(module, name)
            if type(value).__name__ == "function" and name in arities:
                if id(value) not in done:
                    done[id(value)] = probe(name, value, arities[name])
                originals.append((module, name, value))
                setattr(module, name, done[id(value)])
    return originals


def calibrate(arity, n=100):
    """(to the caller, to the function): instructions a probe of `arity` adds per call,
    beyond a plain call, measured on an empty native method called as the engine calls
    (positional arguments; arity -1: 8 of them, taken as *args)."""
    k = 8 if arity < 0 else arity
    method = _empty_of(k)
    timed = _timed_calls(k)
    gc.collect()
    plain = timed(method, n)
    p = probe("calibration", method, arity)
    gc.collect()
    reset()
    timed(p, n)
    stop()
    return (_acc[0] - plain) // n, _acc[len(_names) - 1] // n


def _empty_of(arity):
    scope = {"micropython": micropython}
    exec(f"class E:\n @micropython.native\n def m(self, {_params(arity)}):\n  return None\n", scope)
    return scope["E"]().m


def _timed_calls(arity):
    # a loop calling f(0, 1, ...) n times, returning the instructions it took
    scope = {"instret": instret, "diff": diff}
    args = ", ".join(str(k) for k in range(arity))
    exec("def timed(f, n):\n t0 = instret()\n for _ in range(n):\n"
         f"  f({args})\n return diff(instret(), t0)\n", scope)
    return scope["timed"]


def profile(imu, pressure, seconds, use_imu, use_pressure, arities):
    scan = array("i", bytes(4 * ZONES))
    rec = array("i", bytes(16))
    eng = GaitEngine(config())
    originals = instrument(eng, arities)
    events_pop, poll = type(eng.events).pop_into, type(eng).poll_window
    reset()
    for s in range(seconds):
        gc.collect()
        _stack[0] = 0
        start = _acc[0]
        global _last
        _last = instret()
        one_second(s, imu, pressure, scan, eng.push_imu, eng.push_pressure,
                   use_imu, use_pressure, instret, diff)
        stop()
        _acc[0] = start  # the feed loop is not the engine
        while events_pop(eng.events, rec):  # drained past the probes, outside the counts
            pass
        while poll(eng) is not None:
            pass
    for module, name, value in originals:
        setattr(module, name, value)


def main():
    with open("/rom/bench.json") as f:
        job = json.load(f)
    seconds = job["seconds"]
    arities = job["arities"]
    imu, pressure = load("/rom/data.bin", seconds)
    for mode, use_imu, use_pressure in MODES:
        print("COST", mode, cost(imu, pressure, seconds, use_imu, use_pressure))
    for arity in sorted(set(arities.values())) + [-1]:
        _overheads[arity] = calibrate(arity)
        print("PROBE", arity, *_overheads[arity])
    for mode, use_imu, use_pressure in MODES[1:]:
        profile(imu, pressure, seconds, use_imu, use_pressure, arities)
        for i in range(1, len(_names)):
            if _calls[i]:
                print("PROFILE", mode, _names[i], _arity[i], _calls[i], _kids[i], _acc[i])


main()
