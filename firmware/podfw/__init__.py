# stridepod pod firmware. The DSP core (podfw.gait), the wire format (podfw.link.wire)
# and the flash log import no hardware module and run unchanged under MicroPython and
# CPython; hardware lives in podfw.drivers.
try:
    import micropython  # noqa: F401
except ImportError:  # CPython (host replay, tests): install the stand-in once
    import sys

    from podfw import _cpython_micropython

    sys.modules["micropython"] = _cpython_micropython
