# PressureContacts under real MicroPython: no heap allocation per scan and every stored
# value an ESP32 small int in the worst case, faulty zones, configuration checks, viper
# push against its plain twin. The same contacts as under CPython on a real recording:
# tests/host/test_pressure_micropython.py (with tests/firmware/pressure_replay.py).
import array

import micropython

from fwtest import assert_equal, assert_raises, assert_small_int, assert_small_int_state
from podfw.gait.pressure import (
    EV_OFF,
    EV_ON,
    MAX_ZONES,
    PFLAG_GAP,
    PFLAG_NEGATIVE,
    PFLAG_STUCK,
    PressureContacts,
)
from podfw.gait.pressure_viper import push_py


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
    assert not pc.on_ground()


def test_bad_configuration_is_refused():
    assert_raises(ValueError, PressureContacts, [], 100)
    assert_raises(ValueError, PressureContacts, [(0, i) for i in range(MAX_ZONES + 1)], 100)
    assert_raises(ValueError, PressureContacts, [(0, 0), (0, 1)], 5)


# what a contact reports, compared between the viper push and its plain twin
REPORTED = ("on_index", "on_frac", "off_index", "off_frac", "contact_ms", "swing_ms",
            "flight_ms", "peak", "peak_index", "loading_rate", "strike", "strike_pos",
            "first_zone", "cop_y_start", "cop_y_end", "cop_ml_range")


def assert_same_detectors(a, b, what):
    assert_equal(list(a.st), list(b.st), what + ": state array")
    for name in REPORTED:
        assert_equal(getattr(a, name), getattr(b, name), what + ": " + name)
    assert_equal(list(a.share), list(b.share), what + ": share")


class Walker:
    """Synthetic insole scans that take the detector through every state: strides of a
    loading and unloading foot (heel to toe), swings with a zone offset and noise,
    standing, hovering just above touch, negative readings, zones stuck at full scale
    (runs long enough to be left out) and lost scans. An LCG keeps it reproducible."""

    def __init__(self, nz, rate, seed):
        self.nz = nz
        self.per = rate // 50  # scans per 20 ms
        self.seed = seed
        self.zones = array.array("h", bytes(2 * nz))

    def rand(self, n):
        self.seed = (self.seed * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.seed >> 8) % n

    def phase(self):
        """(kind, scans) of the next stretch."""
        r = self.rand(100)
        per = self.per
        if r < 55:
            return "stride", per * (10 + self.rand(40))
        if r < 80:
            return "swing", per * (5 + self.rand(75))
        if r < 86:
            return "stand", per * (25 + self.rand(150))
        if r < 92:
            return "hover", per * (10 + self.rand(100))
        if r < 96:
            return "stuck", per * (55 + self.rand(100))  # over 1 s: left out
        return "gap", 1 + self.rand(per * 25)

    def fill(self, kind, k, length):
        nz = self.nz
        z = self.zones
        for i in range(nz):
            v = self.rand(30) - 3  # offset and noise, now and then below zero
            if kind == "stride":
                # a triangle of load moving from the heel (zone 0) to the toes
                centre = k * nz // length
                d = i - centre if i >= centre else centre - i
                top = 9000 * (length - k) // length + 400
                v += top // (1 + d) + self.rand(200)
            elif kind == "stand":
                v += 3000 + self.rand(500)
            elif kind == "hover":
                v += 25 + self.rand(40)
            elif kind == "stuck" and i == nz - 1:
                v = 32767
            elif kind == "stuck":
                v += 1500 * (k % 40 < 25)
            if v > 32767:
                v = 32767
            z[i] = v
        if self.rand(500) == 0:
            z[self.rand(nz)] = -32768 + self.rand(10)  # a wiring fault
        return z


def test_viper_push_equals_its_plain_twin():
    # the viper push (MicroPython's PressureContacts.push) against push_py, the plain
    # twin CPython runs, scan by scan on every state, over several zone counts and rates:
    # the same events, the same state array and the same reported values
    for nz, rate, seconds, seed in ((8, 100, 60, 1), (MAX_ZONES, 1000, 20, 5),
                                    (1, 50, 60, 3), (3, 200, 60, 4)):
        xy = [((i * 37) % 11 - 5, i * 30) for i in range(nz)]
        fast = PressureContacts(xy, rate)
        plain = PressureContacts(xy, rate)
        walker = Walker(nz, rate, seed)
        events = 0
        scans = 0
        kind, length = "stand", rate  # loaded at the first scan
        while scans < rate * seconds:
            if kind == "gap":
                fast.gap(length)
                plain.gap(length)
                kind, length = walker.phase()
                continue
            for k in range(length):
                zones = walker.fill(kind, k, length)
                ev = fast.push(zones)
                assert_equal(ev, push_py(plain, zones), "event at scan %d" % scans)
                events |= ev
                assert_same_detectors(fast, plain, "%d zones at %d Hz, scan %d" % (nz, rate, scans))
                scans += 1
            kind, length = walker.phase()
        flags = fast.take_flags()
        assert_equal(flags, plain.take_flags(), "flags")
        assert_equal(events, EV_ON | EV_OFF, "contacts started and ended on %d zones" % nz)
        assert_equal(flags, PFLAG_NEGATIVE | PFLAG_STUCK | PFLAG_GAP, "faults seen")
