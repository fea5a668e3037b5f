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
    # deterministic pseudo-random numbers, the same on every interpreter
    def __init__(self, seed):
        self.state = seed

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 8) % n


def read_dump_columns(name):
    """Reads ../shared/datasets/dumps/NAME.csv into (header, list of float rows)."""
    rows = []
    with open(DATASETS + "/dumps/" + name + ".csv") as f:
        header = f.readline().strip().split(",")
        for line in f:
            rows.append([float(v) for v in line.split(",")])
    return header, rows
