# Viper (native machine-int) versions of the per-scan loops of podfw.gait.pressure.
# MicroPython only: the host never imports this module (pressure.py picks the plain
# twins scan_zones_py / add_impulse_py under CPython). tests/firmware/test_pressure_fw.py
# proves both give identical output. `zones` may be any int sequence (array 'h' or 'i');
# the other arrays are array('i').
import micropython
from micropython import const

# podfw.gait.pressure's PFLAG_NEGATIVE and PFLAG_STUCK: viper code needs them inlined
# (tests/host/test_constants_home.py checks the copies agree)
_PFLAG_NEGATIVE = const(1)
_PFLAG_STUCK = const(2)


@micropython.viper
def scan_zones(zones, force, stuck_run, zx, zy, sums, nz: int, fs: int, stuck_samples: int) -> int:
    pf = ptr32(force)  # noqa: F821  (viper built-in)
    pr = ptr32(stuck_run)  # noqa: F821
    px = ptr32(zx)  # noqa: F821
    py = ptr32(zy)  # noqa: F821
    ps = ptr32(sums)  # noqa: F821
    total = 0
    sx = 0
    sy = 0
    flags = 0
    for i in range(nz):
        f = int(zones[i])
        if f < 0:
            flags |= _PFLAG_NEGATIVE
            f = 0
        if f >= fs:
            run = pr[i]
            if run < stuck_samples:
                pr[i] = run + 1
            else:
                flags |= _PFLAG_STUCK
                f = 0
        else:
            pr[i] = 0
        pf[i] = f
        total += f
        sx += f * px[i]
        sy += f * py[i]
    ps[0] = total
    ps[1] = sx
    ps[2] = sy
    return flags


@micropython.viper
def add_impulse(force, impulse, nz: int, limit: int) -> int:
    pf = ptr32(force)  # noqa: F821
    pi = ptr32(impulse)  # noqa: F821
    big = 0
    for i in range(nz):
        v = pi[i] + pf[i]
        pi[i] = v
        if v > limit:
            big = 1
    return big
