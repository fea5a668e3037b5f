# Recordings from ../shared/datasets/dumps converted to a sensor's integer units for the
# simulated chips. Runs under MicroPython. The converted samples live in a scratch file,
# read one row at a time into a preallocated array: a recording is sensor data, not the
# pod's heap (the firmware tests run with the pod's heap budget), and serving a sample
# allocates nothing (heap_lock tests run through it). All arithmetic stays in 31-bit
# small ints, so the 32-bit interpreter allocates nothing either.
import json
import os
from array import array

from fwtest import DATASETS

# index_at sums r * 10**6 (r < rate_den) and within * rate_num (within < 10**6): both
# terms together stay below 2**30 while rate_num + rate_den <= 1073
_MAX_RATE_TERMS = 1073


def _gcd(a, b):
    while b:
        a, b = b, a % b
    return a


class _Column:
    """One column of a Feed: `column[i]` is sample i (0 when the recording lacks the
    column), `len(column)` the number of samples."""

    def __init__(self, feed, k):
        self.feed = feed
        self.k = k

    def __len__(self):
        return self.feed.samples

    def __getitem__(self, i):
        return self.feed.value(i, self.k)


class Feed:
    """Columns of one recording as integer samples, addressed by time in microseconds.
    `scales` maps a column name to (lsb_per_unit, offset, lo, hi): the stored value is
    round(value * lsb_per_unit) + offset saturated to lo..hi (a sensor register's range).
    Columns the recording lacks read 0. Past the end the recording starts again."""

    def __init__(self, name, scales, typecode="h"):  # 16-bit typecodes: "h" or "H"
        with open(DATASETS + "/dumps/" + name + ".json") as f:
            self.meta = json.load(f)
        self.name = name
        rate_mhz = int(self.meta["rate_hz"] * 1000 + 0.5)  # exact integer rate (mHz)
        g = _gcd(rate_mhz, 1000)
        self.rate_num = rate_mhz // g  # samples per second = rate_num / rate_den
        self.rate_den = 1000 // g
        if self.rate_num + self.rate_den > _MAX_RATE_TERMS:
            raise ValueError("%s: rate %s Hz needs a wider index_at" % (name, self.meta["rate_hz"]))
        self.samples = self.meta["samples"]
        names = list(scales)
        self.columns = {c: _Column(self, k) for k, c in enumerate(names)}
        self.row = array(typecode, bytes(2 * len(names)))
        self.row_index = -1
        self.file = self._convert(name, scales, names, typecode)

    def _convert(self, name, scales, names, typecode):
        """Writes the converted rows to a scratch file and returns it open for reading
        (already unlinked: nothing stays behind)."""
        path = "/tmp/stridepod-feed-" + "".join("%02x" % b for b in os.urandom(6))
        row = array(typecode, bytes(2 * len(names)))
        with open(DATASETS + "/dumps/" + name + ".csv") as f, open(path, "wb") as out:
            header = f.readline().strip().split(",")
            plan = [(header.index(c), k) + scales[c] for k, c in enumerate(names) if c in header]
            count = 0
            for line in f:
                parts = line.split(",")
                for i, k, lsb, offset, lo, hi in plan:
                    v = float(parts[i]) * lsb
                    q = int(v + 0.5) if v >= 0 else -int(0.5 - v)
                    q += offset
                    row[k] = lo if q < lo else (hi if q > hi else q)
                out.write(row)
                count += 1
        if count != self.samples:
            os.remove(path)
            raise ValueError("%s: sidecar says %d samples, CSV has %d" % (name, self.samples, count))
        stream = open(path, "rb")
        os.remove(path)
        return stream

    def value(self, i, k):
        """Sample i of column k (reads the row once for all its columns)."""
        if i != self.row_index:
            self.file.seek(i * len(self.row) * 2)
            self.file.readinto(self.row)
            self.row_index = i
        return self.row[k]

    def index_at(self, t_us):
        """Sample index at time t_us >= 0 from the start (the recording loops):
        floor(t_us * rate / 10**6), split so no product passes 2**30."""
        seconds = t_us // 1000000
        within = t_us - seconds * 1000000
        whole = seconds * self.rate_num  # samples in the whole seconds, times rate_den
        q = whole // self.rate_den
        r = whole - q * self.rate_den
        n = q + (r * 1000000 + within * self.rate_num) // (self.rate_den * 1000000)
        return n % self.samples


_cache = {}


def cached_feed(name, scales, typecode="h"):
    """Feed(name, scales, typecode), converted once per process (tests build many pods)."""
    key = "%s|%s|%s" % (name, typecode, sorted(scales.items()))
    feed = _cache.get(key)
    if feed is None:
        feed = _cache[key] = Feed(name, scales, typecode)
    return feed
