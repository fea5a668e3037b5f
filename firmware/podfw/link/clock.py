# The pod's wall clock: seconds since 2000-01-01 UTC (MicroPython's epoch on the ESP32)
# once a central has set it, seconds since boot until then. Kept on the millisecond tick
# counter and re-anchored on every read, so the ESP32's 2**30 ms tick wrap never shows.
import time

try:
    _ticks_ms = time.ticks_ms
    _ticks_diff = time.ticks_diff
    _ticks_add = time.ticks_add
except AttributeError:  # CPython (host tests)

    def _ticks_ms():
        return int(time.monotonic() * 1000)

    def _ticks_diff(a, b):
        return a - b

    def _ticks_add(a, b):
        return a + b


class PodClock:
    def __init__(self):
        self._base_s = 0
        self._base_ticks = _ticks_ms()
        self.is_set = False
        self.generation = 0  # bumped on every set_s, so users can re-anchor

    def now_s(self):
        whole_s = _ticks_diff(_ticks_ms(), self._base_ticks) // 1000
        self._base_s += whole_s
        self._base_ticks = _ticks_add(self._base_ticks, whole_s * 1000)
        return self._base_s

    def set_s(self, seconds_since_2000):
        self._base_s = seconds_since_2000
        self._base_ticks = _ticks_ms()
        self.is_set = True
        self.generation += 1
