# Integer helpers for the gait engine: square root, sample-count <-> millisecond clock.
# Everything stays inside 31-bit small ints on the ESP32.
import micropython


@micropython.native
def isqrt(value):
    """floor(sqrt(value)) for 0 <= value < 2**30 by Newton's method."""
    if value <= 0:
        return 0
    x = value
    y = (x + 1) >> 1
    while y < x:
        x = y
        y = (x + value // x) >> 1
    return x


def rate_fraction(rate_hz):
    """The sample rate as an exact fraction num/den Hz (204.8 Hz -> 1024/5)."""
    if rate_hz <= 0:
        raise ValueError("sample rate must be positive")
    den = 1
    while den <= 1000:
        num = rate_hz * den
        if abs(num - round(num)) < 1e-6 * den:
            return int(round(num)), den
        den += 1
    return int(round(rate_hz * 1000)), 1000


class SampleClock:
    """Converts sample counts of one fixed-rate stream to milliseconds and back, exactly:
    num samples take exactly 1000*den ms, so no drift over a session."""

    def __init__(self, rate_hz):
        self.num, self.den = rate_fraction(rate_hz)
        self.block_ms = 1000 * self.den

    def ms(self, n):
        """Start time in ms (floored) of sample n."""
        q = n // self.num
        return q * self.block_ms + (n - q * self.num) * self.block_ms // self.num

    def ms_at(self, n, centi):
        """Time in ms (floored) of the point centi/100 of a sample after sample n."""
        q = n // self.num
        r = n - q * self.num
        return q * self.block_ms + (r * 100 + centi) * self.block_ms // (100 * self.num)

    def samples(self, ms):
        """Number of samples that start before `ms` (the first sample index at or after ms)."""
        q = ms // self.block_ms
        r = ms - q * self.block_ms
        return q * self.num + (r * self.num + self.block_ms - 1) // self.block_ms

    def span(self, ms):
        """Samples in a duration given in ms, rounded (for thresholds and windows)."""
        return (ms * self.num + self.block_ms // 2) // self.block_ms
