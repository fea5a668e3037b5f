# PressureContacts under real MicroPython: the same contacts as under CPython on a real
# insole recording (committed fixture, see tools/make_pressure_fixture.py), no heap
# allocation per scan, and every stored value an ESP32 small int in the worst case.
import array

import micropython
from fwtest import assert_equal, assert_raises, assert_small_int
from podfw.gait import pressure_viper
from podfw.gait.pressure import (
    EV_OFF,
    EV_ON,
    MAX_ZONES,
    PFLAG_NEGATIVE,
    PFLAG_STUCK,
    STATE_ON,
    PressureContacts,
    add_impulse_py,
    scan_zones_py,
)

FIXTURE = "tests/firmware/data/pressure_gaitpdb_juco03_right.csv"
EXPECTED = "tests/firmware/data/pressure_gaitpdb_juco03_right.expected.csv"
ON_FIELDS = ("on_index", "on_frac", "swing_ms")


def read_fixture():
    with open(FIXTURE) as f:
        f.readline()
        rate = int(f.readline().split()[2])
        zones = [tuple(int(v) for v in xy.split(",")) for xy in f.readline().split()[2:]]
        rows = [array.array("h", [int(v) for v in line.split(",")]) for line in f]
    return rate, zones, rows


def check_small_ints(pc):
    for name, value in pc.__dict__.items():
        if isinstance(value, int) and not isinstance(value, bool):
            assert_small_int(value, name)
        elif isinstance(value, array.array):
            for v in value:
                assert_small_int(v, name)


def test_same_contacts_as_cpython_without_allocating():
    rate, zones, rows = read_fixture()
    with open(EXPECTED) as f:
        header = f.readline()
        expected = [line.strip() for line in f]
    off_fields = header.strip().split(",")[2:-1]
    pc = PressureContacts(zones, rate)
    got = []
    for row in rows:
        micropython.heap_lock()
        ev = pc.push(row)
        micropython.heap_unlock()
        check_small_ints(pc)
        if ev & EV_ON:
            got.append("on,%d," % (pc.index - 1) + ",".join(str(getattr(pc, k)) for k in ON_FIELDS))
        if ev & EV_OFF:
            vals = [str(getattr(pc, k)) for k in off_fields] + [str(s) for s in pc.share]
            got.append("off,%d," % (pc.index - 1) + ",".join(vals))
    got.append("flags,%d" % pc.take_flags())
    assert_equal(len(got), len(expected), "number of events")
    for i in range(len(got)):
        assert_equal(got[i], expected[i], "event line %d" % i)


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
                check_small_ints(pc)
    events |= pc.push(empty)
    check_small_ints(pc)
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
