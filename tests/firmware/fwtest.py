# Helpers for firmware tests that run under the MicroPython unix port.
# The unix port is 64-bit; the ESP32 has 31-bit small ints, so arithmetic that must
# stay in machine words is range-checked here.
from array import array

SMALL_INT_MIN = -(1 << 30)
SMALL_INT_MAX = (1 << 30) - 1
DATASETS = "../shared/datasets"


def assert_small_int(value, what="value"):
    if not (SMALL_INT_MIN <= value <= SMALL_INT_MAX):
        raise AssertionError("%s=%d does not fit an ESP32 small int (31 bits)" % (what, value))


def assert_small_int_state(obj):
    # every int an object keeps between calls, and every element of its arrays
    for name, value in obj.__dict__.items():
        if isinstance(value, int) and not isinstance(value, bool):
            assert_small_int(value, name)
        elif isinstance(value, array):
            for v in value:
                assert_small_int(v, name)


def assert_equal(actual, expected, what="value"):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what, expected, actual))


def assert_raises(exc_type, func, *args):
    try:
        func(*args)
    except exc_type as exc:
        return exc
    raise AssertionError("%s not raised" % exc_type.__name__)


class Lcg:
    """Deterministic pseudo-random numbers, the same on every interpreter, computed in
    31-bit small ints (no big int, so nothing allocates on a 32-bit MicroPython): a
    24-bit linear congruential generator (Visual Basic 6's Rnd: multiplier 0x43FD43FD,
    increment 0xC39EC3, modulo 2**24; full period) multiplied in 12-bit halves; below(n)
    takes the top 16 bits of one step, or 30 bits of two steps when n > 2**16."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFF

    def step(self):
        s = self.state
        s0 = s & 0xFFF
        s1 = s >> 12
        # 0xFD43FD = 0xFD4 * 4096 + 0x3FD; the 0xFD4 * s1 * 4096 term is outside 24 bits
        low = 0x3FD * s0 + (((0xFD4 * s0 + 0x3FD * s1) & 0xFFF) << 12) + 0xC39EC3
        self.state = low & 0xFFFFFF
        return self.state

    def below(self, n):
        if n <= 0x10000:
            return (self.step() >> 8) % n
        return (((self.step() >> 8) << 14) | (self.step() >> 10)) % n


def read_dump_columns(name):
    """(header, rows) of ../shared/datasets/dumps/NAME.csv; rows yields each row as a list
    of floats while the file is read (a whole recording would not fit the pod's heap)."""
    f = open(DATASETS + "/dumps/" + name + ".csv")
    header = f.readline().strip().split(",")

    def rows():
        with f:
            for line in f:
                yield [float(v) for v in line.split(",")]

    return header, rows()
