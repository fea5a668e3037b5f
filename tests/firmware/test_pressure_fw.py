# PressureContacts under real MicroPython: no heap allocation per scan and every stored
# value an ESP32 small int in the worst case, faulty zones, configuration checks, viper
# kernels. The same contacts as under CPython on a real recording:
# tests/host/test_pressure_micropython.py (with tests/firmware/pressure_replay.py).
import array

import micropython

from fwtest import assert_equal, assert_raises, assert_small_int, assert_small_int_state
from podfw.gait import pressure_viper
from podfw.gait.pressure import (
    EV_OFF,
    MAX_ZONES,
    PFLAG_NEGATIVE,
    PFLAG_STUCK,
    STATE_ON,
    PressureContacts,
    add_impulse_py,
    scan_zones_py,
)


def test_worst_case_values_stay_small_ints():
    # 16 zones at the extremes of the coordinate range, every zone one below full scale:
    # the largest sums the firmware forms; a long contact drives the impulse halving
    zones = [((i % 4) * 100000 - 150000, (i // 4) * 100000 - 150000) for i in range(MAX_ZONES)]
    pc = PressureContacts(zones, 1000)
    assert_small_int(MAX_ZONES * 32766 * 1000, "largest centre-of-pressure sum")
    heavy = array.array("h", [32766] * MAX_ZONES)
    empty = array.array("h", [0] * MAX_ZONES)
    events = 0
    for rep in range(3):
        for _ in range(200):
            events |= pc.push(empty)
        for k in range(1100 if rep < 2 else 22000):
            micropython.heap_lock()
            events |= pc.push(heavy)
            micropython.heap_unlock()
            if k % 997 == 0:
                assert_small_int_state(pc)
    events |= pc.push(empty)
    assert_small_int_state(pc)
    assert events & EV_OFF
    # equal zones: 62.5 per mille each, rounded
    assert_equal(list(pc.share), [63] * MAX_ZONES, "shares")


def test_negative_and_stuck_zones_are_flagged_and_left_out():
    pc = PressureContacts([(0, 0), (0, 10), (0, 20)], 100)
    pc.push(array.array("h", [-5, 0, 0]))
    assert_equal(pc.take_flags(), PFLAG_NEGATIVE, "negative reading")
    assert_equal(pc.take_flags(), 0, "flags clear after take")
    stuck = array.array("h", [32767, 0, 0])
    for _ in range(150):
        pc.push(stuck)
    assert pc.take_flags() & PFLAG_STUCK
    # left out of the sum: a stuck zone does not hold a contact open
    assert pc.state != STATE_ON


def test_bad_configuration_is_refused():
    assert_raises(ValueError, PressureContacts, [], 100)
    assert_raises(ValueError, PressureContacts, [(0, i) for i in range(MAX_ZONES + 1)], 100)
    assert_raises(ValueError, PressureContacts, [(0, 0), (0, 1)], 5)


def test_viper_kernels_equal_their_plain_twins():
    nz = MAX_ZONES
    zx = array.array("i", [(i * 67) % 1001 for i in range(nz)])
    zy = array.array("i", [(i * 131) % 1001 for i in range(nz)])
    state = [12345]

    def rand16():  # LCG: values over the whole int16 range, full scale included
        state[0] = (state[0] * 1103515245 + 12345) & 0x7FFFFFFF
        v = (state[0] >> 8) & 0xFFFF
        if v & 3 == 0:
            return 32767
        return v - 32768 if v >= 32768 else v

    arrays = []
    for _ in range(2):  # viper, plain
        arrays.append((array.array("i", [0] * nz), array.array("i", [0] * nz),
                       array.array("i", [0] * 3), array.array("i", [0] * nz)))
    for k in range(3000):
        typecode = "h" if k % 2 else "i"
        zones = array.array(typecode, [rand16() for _ in range(nz)])
        n = 1 + k % nz
        results = []
        for kernel, add, (force, run, sums, imp) in (
                (pressure_viper.scan_zones, pressure_viper.add_impulse, arrays[0]),
                (scan_zones_py, add_impulse_py, arrays[1])):
            flags = kernel(zones, force, run, zx, zy, sums, n, 32767, 3)
            big = add(force, imp, n, 1 << 22)
            if big:
                for i in range(n):
                    imp[i] >>= 1
            results.append((flags, big, list(force), list(run), list(sums), list(imp)))
        assert_equal(results[0], results[1], "kernels on scan %d" % k)
        assert_small_int(results[0][4][1], "sum f*x")
