# Accelerometer-only step detectors of the gait engine (the foot + gyro one, and what
# they share, is in podfw.gait.step_detector). Integer-only per sample; every value
# stays inside 31 bits (see the range notes next to each quantity).
#
# SacrumSteps: accelerometer at the sacrum (any orientation, 2 or 3 axes). The vertical
#   acceleration (projection on the slowly averaged gravity direction) follows the vertical
#   ground reaction force in body weights: a step is an excursion above an adaptive
#   threshold, which relaxes when steps stop coming (walking after running). The
#   magnitude is near zero in flight, so the initial contact is where it rises back
#   through _ONSET_G_X10 after the flight minimum.
# FootAccStrides: a foot/ankle pod without gyro. Each stride has one impact, the largest
#   acceleration magnitude of the stride; excursions above a threshold relative to the
#   recent impact peaks, at least MIN_STRIDE_MS apart, are strides; the threshold relaxes
#   when no stride came for two stride times (walk breaks, softer steps).
import micropython
from micropython import const

from podfw.gait.fixedpoint import isqrt
from podfw.gait.step_detector import AVERAGE_RATE_HZ, AVG_SHIFT, MIN_STRIDE_MS

# Named as the float reference (stridepod.recordings.reference.imu) names them, which
# imports them from here. step_detector's _Q14, mirrored: a private const() is inlined
# into this module's per-sample code (tests/host/test_constants_home.py checks the two
# agree).
_Q14 = const(14)
_ONE_Q14 = const(1 << _Q14)
_LARGEST = const(0x3FFFFFFF)  # largest ESP32 small int
_MIN_STEP_MS = const(200)  # 300 steps/min
_MAX_INTERVAL_MS = const(2500)  # longer intervals do not update the typical interval
_TYPICAL_STEP_MS = const(350)  # SacrumSteps' typical interval before the first steps
_TYPICAL_STRIDE_MS = const(800)  # FootAccStrides' one
_SACRUM_HIGH_MAX_MS = const(300)  # a step's excursion ends after this at the latest
_FOOT_HIGH_MAX_MS = const(150)  # a stride's impact ends after this at the latest
_GRAVITY_NORM_EVERY = const(8)  # averages per new gravity direction, once warmed up
# SacrumSteps, in tenths of g: the onset level, the floors of the step thresholds and
# the starting peak and valley averages
_ONSET_G_X10 = const(6)  # contact onset when the magnitude rises through 0.6 g
_STEP_MIN_G_X10 = const(12)  # never call anything below 1.2 g a step
_STEP_END_MIN_G_X10 = const(11)  # nor end one above 1.1 g
_STEP_PEAK_START_G_X10 = const(25)
_STEP_VALLEY_START_G_X10 = const(5)
# FootAccStrides, in tenths of g
_IMPACT_MIN_G_X10 = const(20)  # impacts are above 2 g
_IMPACT_PEAK_START_G_X10 = const(60)  # the recent impact peaks start at 6 g ...
_IMPACT_PEAK_MIN_G_X10 = const(36)  # ... and never drop below 3.6 g (threshold 2 g)



class AverageShift:
    """The right shift of an exponential average that starts as the plain mean: it grows
    0, 1, 2 ... AVG_SHIFT as updates arrive, so the first samples count fully."""

    def __init__(self):
        self.shift = 0
        self.seen = 0

    def tick(self):
        if self.shift < AVG_SHIFT:
            self.seen += 1
            if self.seen >= (1 << self.shift):
                self.shift += 1
                self.seen = 0


class _Intervals:
    """Adaptive refractory time from the recent step (or stride) intervals."""

    def __init__(self, clock, typical_ms, min_ms):
        self.min_interval = clock.span(min_ms)
        self.max_interval = clock.span(_MAX_INTERVAL_MS)
        self.interval_avg = clock.span(typical_ms)
        self.refractory = self.min_interval
        self.last_n = -1

    def step(self, n):
        interval = n - self.last_n
        if self.last_n >= 0 and interval < self.max_interval:
            self.interval_avg += (interval - self.interval_avg) >> 2
            r = (self.interval_avg * 5) >> 3
            self.refractory = r if r > self.min_interval else self.min_interval
        self.last_n = n


class SacrumSteps:
    def __init__(self, clock, rate_hz, g, sink):
        # g: internal acceleration units per g (256..511)
        self.sink = sink
        self.clock = clock
        self.g = g
        self.intervals = _Intervals(clock, _TYPICAL_STEP_MS, _MIN_STEP_MS)
        self.high_max_n = clock.span(_SACRUM_HIGH_MAX_MS)
        self.floor_hi = (g * _STEP_MIN_G_X10) // 10
        self.floor_lo = (g * _STEP_END_MIN_G_X10) // 10
        onset = (g * _ONSET_G_X10) // 10
        self.onset2 = onset * onset
        self.peak_avg = (g * _STEP_PEAK_START_G_X10) // 10
        self.valley_avg = (g * _STEP_VALLEY_START_G_X10) // 10
        # gravity direction: average of the acceleration (~2.5 s), as a unit vector in _Q14
        self.avg_every = max(1, int(rate_hz / AVERAGE_RATE_HZ + 0.5))
        self.avg_left = 1
        self.norm_every = _GRAVITY_NORM_EVERY
        self.norm_left = 1
        self.grav0 = 0
        self.grav1 = 0
        self.grav2 = 0
        self.avg = AverageShift()
        self.u0 = 0
        self.u1 = 0
        self.u2 = _ONE_Q14
        self.reset()
        self._thresholds()

    def reset(self):
        self.high = False
        self.peak = 0
        self.peak_m2 = 0
        self.valley = _LARGEST
        self.valley_n = 0
        self.prev_m2 = 0
        self.onset_n = -1
        self.onset_ms = 0  # the rise through the onset level, between onset_n - 1 and onset_n
        self.step_n = -(1 << 29)
        self.ic_n = -1
        self.ic_ms = 0
        self.relax_from = 0
        self.relax_n = 2 * self.intervals.interval_avg

    def _relax(self, n):
        # no step for two step times (walking after running, softer steps): lower the
        # bar by a quarter of the way to the valleys
        self.relax_from = n
        self.peak_avg -= (self.peak_avg - self.valley_avg) >> 2
        self._thresholds()

    def _thresholds(self):
        span = self.peak_avg - self.valley_avg
        hi = self.valley_avg + span // 2
        lo = self.valley_avg + (span * 3) // 8
        self.thr_hi = hi if hi > self.floor_hi else self.floor_hi
        self.thr_lo = lo if lo > self.floor_lo else self.floor_lo

    def _gravity(self, x, y, z):
        # |x| <= 4096: the averages in 1/16 units stay within 2**16
        k = self.avg.shift
        self.grav0 += ((x << 4) - self.grav0) >> k
        self.grav1 += ((y << 4) - self.grav1) >> k
        self.grav2 += ((z << 4) - self.grav2) >> k
        self.avg.tick()
        if k == AVG_SHIFT:  # (while warming up: a new direction at every update)
            self.norm_left -= 1
            if self.norm_left > 0:
                return
        self.norm_left = self.norm_every
        a0 = self.grav0 >> 4
        a1 = self.grav1 >> 4
        a2 = self.grav2 >> 4
        norm = isqrt(a0 * a0 + a1 * a1 + a2 * a2)
        if norm > self.g >> 2:
            self.u0 = (a0 << _Q14) // norm
            self.u1 = (a1 << _Q14) // norm
            self.u2 = (a2 << _Q14) // norm

    @micropython.native
    def update(self, n, x, y, z, gx, gy, gz, m2):
        left = self.avg_left - 1
        if left <= 0:
            left = self.avg_every
            self._gravity(x, y, z)
        self.avg_left = left
        # vertical acceleration: |x| <= 4096, |u| <= 2**14 -> |sum| < 2**28
        v = (x * self.u0 + y * self.u1 + z * self.u2) >> _Q14
        if self.high:
            if v > self.peak:
                self.peak = v
            if m2 > self.peak_m2:
                self.peak_m2 = m2
            if v < self.thr_lo or n - self.step_n > self.high_max_n:
                self._end_step(n, v)
        else:
            if v < self.valley:
                self.valley = v
                self.valley_n = n
            if m2 >= self.onset2 and self.prev_m2 < self.onset2:
                self._onset(n, self.prev_m2, m2)
            if n - self.relax_from >= self.relax_n:
                self._relax(n)
            if v > self.thr_hi and self.valley < self.thr_lo \
                    and n - self.step_n >= self.intervals.refractory:
                self._start_step(n, v, m2)
        self.prev_m2 = m2

    def _onset(self, n, before, after):
        self.onset_n = n
        if n == 0:
            self.onset_ms = 0
            return
        # interpolated on the squared magnitude: onset2 - before < 2**17, times 100 is small
        self.onset_ms = self.clock.ms_at(n - 1, (self.onset2 - before) * 100 // (after - before))

    def _start_step(self, n, v, m2):
        # the last rise through the onset level after the flight minimum; without a
        # flight phase (walking) the minimum itself
        ic_n = n
        ic_ms = -1
        if self.onset_n >= self.valley_n and n - self.onset_n < self.high_max_n:
            ic_n = self.onset_n
            ic_ms = self.onset_ms
        elif n - self.valley_n < self.high_max_n:
            ic_n = self.valley_n
        self.intervals.step(ic_n)
        self.relax_from = n
        self.relax_n = 2 * self.intervals.interval_avg
        self.valley_avg += (self.valley - self.valley_avg) >> 3
        self.ic_n = ic_n
        self.ic_ms = ic_ms if ic_ms >= 0 else self.clock.ms(ic_n)
        self.step_n = n
        self.high = True
        self.peak = v
        self.peak_m2 = m2

    def flush(self):
        """End of session: report the step in progress."""
        if self.high:
            self._end_step(self.step_n, self.thr_lo)

    def _end_step(self, n, v):
        self.high = False
        self.peak_avg += (self.peak - self.peak_avg) >> 3
        self._thresholds()
        self.valley = v
        self.valley_n = n
        self.sink.initial_contact(self.ic_ms, self.peak_m2)


class FootAccStrides:
    def __init__(self, clock, rate_hz, g, sink):
        self.sink = sink
        self.clock = clock
        self.g = g
        self.intervals = _Intervals(clock, _TYPICAL_STRIDE_MS, MIN_STRIDE_MS)
        self.high_max_n = clock.span(_FOOT_HIGH_MAX_MS)
        impact_min = (g * _IMPACT_MIN_G_X10) // 10
        self.floor2 = impact_min * impact_min
        # slowly decaying maximum of recent impact peaks (linear g) and its floor
        self.peak_max = (g * _IMPACT_PEAK_START_G_X10) // 10
        self.peak_min = (g * _IMPACT_PEAK_MIN_G_X10) // 10
        self.reset()
        self._thresholds()

    def reset(self):
        self.high = False
        self.peak = 0
        self.armed = False
        self.step_n = -(1 << 29)
        self.decay_n = 0

    def _thresholds(self):
        hi = (self.peak_max * 9) >> 4  # 56 % of the recent impacts
        lo = hi >> 1
        hi2 = hi * hi
        self.thr_hi2 = hi2 if hi2 > self.floor2 else self.floor2
        self.thr_lo2 = lo * lo

    @micropython.native
    def update(self, n, x, y, z, gx, gy, gz, m2):
        if self.high:
            if m2 > self.peak:
                self.peak = m2
            if m2 < self.thr_lo2 or n - self.step_n > self.high_max_n:
                self._end_stride()
            return
        if m2 < self.thr_lo2:
            self.armed = True
            if n - self.decay_n > 2 * self.intervals.interval_avg:
                # no stride for a while (walk break, softer steps): lower the bar
                self.decay_n = n
                self.peak_max -= self.peak_max >> 3
                if self.peak_max < self.peak_min:
                    self.peak_max = self.peak_min
                self._thresholds()
        elif m2 > self.thr_hi2 and self.armed and n - self.step_n >= self.intervals.refractory:
            self.intervals.step(n)
            self.step_n = n
            self.decay_n = n
            self.high = True
            self.armed = False
            self.peak = m2

    def flush(self):
        """End of session: report the stride in progress."""
        if self.high:
            self._end_stride()

    def _end_stride(self):
        self.high = False
        peak = isqrt(self.peak)
        if peak > self.peak_max:
            self.peak_max = peak
        else:
            self.peak_max -= (self.peak_max - peak) >> 3
        self._thresholds()
        self.sink.initial_contact(self.clock.ms(self.step_n), self.peak)
