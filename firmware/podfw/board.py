# The board file: which pins, chips and rates this pod has. `/board.json` on the pod,
# `boards/*.json` in the repository. Every problem is a BoardError whose message starts
# with the file's path, so a wrong file is found at once. The checks live in
# podfw._boardcheck, loaded only while a file is read.
import sys
from collections import namedtuple


class BoardError(ValueError):
    pass


# One pressure zone: source is its ADC pin (direct) or multiplexer channel, x and y its
# position in mm. A tuple: a third of the heap of an object with five attributes.
Zone = namedtuple("Zone", ("index", "name", "source", "x", "y"))


class Board:
    """A validated board file (podfw._boardcheck.parse sets the attributes): groups of
    attributes mirror the JSON sections (i2c_*, imu_*, pressure, battery_*, led_*,
    power)."""

    def zone_xy(self):
        return [(z.x, z.y) for z in self.zones]


def load(path="/board.json"):
    """Reads and validates a board file; raises BoardError naming the file."""
    import podfw
    from podfw import _boardcheck

    try:
        return _boardcheck.parse(path)
    finally:
        # the checks run once per boot: unlink them so their code is collected
        del sys.modules["podfw._boardcheck"]
        del podfw._boardcheck
