# Recordings from ../shared/datasets/dumps converted to a sensor's integer units, held in
# arrays so the simulated chips serve them without allocating. Runs under MicroPython.
import json
from array import array

from fwtest import DATASETS


class Feed:
    """Columns of one recording as integer arrays, addressed by time in microseconds.
    `scales` maps a column name to (lsb_per_unit, offset, lo, hi): the stored value is
    round(value * lsb_per_unit) + offset saturated to lo..hi (a sensor register's range).
    Columns the recording lacks read 0. Past the end the recording starts again."""

    def __init__(self, name, scales, typecode="h"):  # 16-bit typecodes: "h" or "H"
        with open(DATASETS + "/dumps/" + name + ".json") as f:
            self.meta = json.load(f)
        self.name = name
        self.rate_mhz = int(self.meta["rate_hz"] * 1000 + 0.5)  # exact integer rate
        self.samples = self.meta["samples"]
        self.columns = {c: array(typecode, bytes(self.samples * 2)) for c in scales}
        with open(DATASETS + "/dumps/" + name + ".csv") as f:
            header = f.readline().strip().split(",")
            plan = [(header.index(c), self.columns[c]) + scales[c]
                    for c in scales if c in header]
            row = 0
            for line in f:
                parts = line.split(",")
                for i, out, lsb, offset, lo, hi in plan:
                    v = float(parts[i]) * lsb
                    q = int(v + 0.5) if v >= 0 else -int(0.5 - v)
                    q += offset
                    out[row] = lo if q < lo else (hi if q > hi else q)
                row += 1
        if row != self.samples:
            raise ValueError("%s: sidecar says %d samples, CSV has %d" % (name, self.samples, row))

    def index_at(self, t_us):
        """Sample index at time t_us from the start (the recording loops)."""
        return (t_us * self.rate_mhz // 1000000000) % self.samples


_cache = {}


def cached_feed(name, scales, typecode="h"):
    """Feed(name, scales, typecode), loaded once per process (tests build many pods)."""
    key = "%s|%s|%s" % (name, typecode, sorted(scales.items()))
    feed = _cache.get(key)
    if feed is None:
        feed = _cache[key] = Feed(name, scales, typecode)
    return feed
