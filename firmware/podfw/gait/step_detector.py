# Step detector of the gait engine for a foot pod with a gyroscope. Integer-only per
# sample; every value stays inside 31 bits (see the range notes next to each quantity).
#
# FootGyroStrides: a pod on the foot with a gyroscope. The foot's pitch rotation is
#   isolated as the principal axis of the angular-rate covariance (mounting-independent)
#   and cut into lobes of one sign. A stride is a big lobe (the swing: the foot rotates
#   forward through 60-150 degrees) preceded by a lobe of the other sign (push-off).
#   Final contact (toe-off) = peak of the push-off lobe, initial contact = the zero
#   crossing that ends the swing (the foot stops pitching forward as the heel lands).
# The accelerometer-only detectors (SacrumSteps, FootAccStrides) are in
# podfw.gait.acc_steps, imported only by an engine that needs one: a pod loads the code
# of its own detector.
from array import array

import micropython
from micropython import const

from podfw.gait.fixedpoint import isqrt

# The detectors' constants, named as the float reference
# (stridepod.recordings.reference.imu) names them, which imports them from here. Private
# const()s cost the pod no heap; the public ones are shared with podfw.gait.acc_steps too.
_Q14 = const(14)  # unit vectors in Q14: 1 << _Q14 is 1.0
_ONE_Q14 = const(1 << _Q14)

AVG_SHIFT = const(7)  # exponential averages over 128 updates at ~50 Hz: about 2.5 s
AVERAGE_RATE_HZ = const(50)  # the averages (covariance, gravity) are updated at about this
MIN_STRIDE_MS = const(450)  # 267 steps/min from one foot
# FootGyroStrides
_HYSTERESIS_DPS = const(20)  # a lobe starts when the pitch rate passes this
_REST_DPS = const(25)  # the foot is at rest below this pitch rate ...
_REST_MS = const(60)  # ... for this long: the lobe ended where the rest began
_SWING_MIN_DEG = const(25)  # a swing rotates the foot through at least this
_IMPACT_MS = const(100)  # the impact: the largest acceleration this long from a strike
_AXIS_EVERY = const(4)  # covariance updates per power-iteration step of the axis
_AXIS_MIN_COV = const(64)  # internal units**2: below this on every axis the axis is kept
_MAX_CONTACT_MS = const(2500)  # a longer push-off-to-strike time is not a ground contact
_SWING_VOTES_AGREE = const(3)  # swings of one sign in excess that make it the required one
_SWING_VOTES_MAX = const(5)  # the excess counted at most (later evidence can still turn it)


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


_MIN_SHIFT = const(3)  # 16-bit samples >> 3 stay within +-4096: squares below 2**24


def shift_for(lsb_per_unit, lowest):
    """Right shift that brings lsb_per_unit down to [lowest, 2*lowest), and at least
    _MIN_SHIFT so that sums of three squared samples fit 31 bits at any sensitivity."""
    shift = 0
    while (lsb_per_unit >> (shift + 1)) >= lowest:
        shift += 1
    return shift if shift > _MIN_SHIFT else _MIN_SHIFT


class FootGyroStrides:
    def __init__(self, clock, rate_hz, gyro_lsb_per_dps, sink):
        self.sink = sink
        self.clock = clock
        raw_per_dps = gyro_lsb_per_dps
        self.gyro_shift = shift_for(int(raw_per_dps), 1)
        per_dps = raw_per_dps / (1 << self.gyro_shift)  # internal units per dps, [1, 2) if >= 8
        self.hysteresis = int(_HYSTERESIS_DPS * per_dps + 0.5)
        self.rest_level = int(_REST_DPS * per_dps + 0.5)
        self.rest_n = clock.span(_REST_MS)
        # lobe area is a sum of |rate| over samples: degrees * per_dps * rate
        self.area_min = int(_SWING_MIN_DEG * per_dps * rate_hz)
        self.impact_n = clock.span(_IMPACT_MS)
        self.min_stride_n = clock.span(MIN_STRIDE_MS)
        # principal axis (unit vector, _Q14) of the angular-rate covariance; the covariance
        # is an exponential average (time constant ~2.5 s) updated at ~50 Hz
        self.covariance_every = max(1, int(rate_hz / AVERAGE_RATE_HZ + 0.5))
        self.covariance_left = 1
        self.axis_left = 1
        self.covariance = array("i", bytes(4 * 6))  # c00, c11, c22, c01, c02, c12
        self.average = AverageShift()
        self.axis = array("i", (0, 0, _ONE_Q14))
        self.reset()
        self.swing_vote = 0

    def reset(self):
        """Forget the lobe in progress (after lost samples)."""
        self.prev_pitch_rate = 0  # internal units
        # the pitch rate's last zero crossing: the sample after it, its time (between
        # crossing_n - 1 and crossing_n) and the largest squared acceleration since
        self.crossing_n = 0
        self.crossing_ms = 0
        self.crossing_peak_m2 = 0
        # the lobe in progress: sign (0 at rest), area (sum of |pitch rate| over its
        # samples), peak and its sample, first sample; samples in a row at rest
        self.lobe_sign = 0
        self.lobe_area = 0
        self.lobe_peak = 0
        self.lobe_peak_n = 0
        self.lobe_start_n = 0
        self.quiet_n = 0
        # the lobe before it: sign, area, peak sample, end sample
        self.prev_lobe_sign = 0
        self.prev_lobe_area = 0
        self.prev_lobe_peak_n = -1
        self.prev_lobe_end_n = -1
        # the strike waiting for its impact (pending_ic_n < 0: none): sample, time, the
        # largest squared acceleration so far
        self.pending_ic_n = -1
        self.pending_ic_ms = 0
        self.pending_impact_m2 = 0
        self.last_ic_n = -1  # the last strike (initial contact): sample, time
        self.last_ic_ms = -1

    def flush(self):
        """End of session: report the strike still collecting its impact."""
        if self.pending_ic_n >= 0:
            self.sink.initial_contact(self.pending_ic_ms, self.pending_impact_m2)
            self.pending_ic_n = -1

    @micropython.native
    def _update_axis(self, gx, gy, gz):
        # covariance terms: |g| <= 4096 after the shift, products <= 2**24
        k = self.average.shift
        c = self.covariance
        c00 = c[0] + ((gx * gx - c[0]) >> k)
        c11 = c[1] + ((gy * gy - c[1]) >> k)
        c22 = c[2] + ((gz * gz - c[2]) >> k)
        c01 = c[3] + ((gx * gy - c[3]) >> k)
        c02 = c[4] + ((gx * gz - c[4]) >> k)
        c12 = c[5] + ((gy * gz - c[5]) >> k)
        c[0] = c00
        c[1] = c11
        c[2] = c22
        c[3] = c01
        c[4] = c02
        c[5] = c12
        self.average.tick()
        self.axis_left -= 1
        if self.axis_left > 0:
            return
        self.axis_left = _AXIS_EVERY
        # one power-iteration step from the previous axis keeps its sign continuous
        big = c00 if c00 > c11 else c11
        if c22 > big:
            big = c22
        if big < _AXIS_MIN_COV:  # at rest: keep the axis
            return
        s = 0
        while (big >> s) >= 8192:
            s += 1
        c00 >>= s
        c11 >>= s
        c22 >>= s
        c01 >>= s
        c02 >>= s
        c12 >>= s
        v = self.axis
        v0 = v[0]
        v1 = v[1]
        v2 = v[2]
        # |c| < 2**13, |v| <= 2**14: each sum < 3 * 2**27
        u0 = c00 * v0 + c01 * v1 + c02 * v2
        u1 = c01 * v0 + c11 * v1 + c12 * v2
        u2 = c02 * v0 + c12 * v1 + c22 * v2
        m = abs(u0)
        if abs(u1) > m:
            m = abs(u1)
        if abs(u2) > m:
            m = abs(u2)
        if m == 0:
            return
        s = 0
        while (m >> s) >= 16384:
            s += 1
        u0 >>= s
        u1 >>= s
        u2 >>= s
        norm = isqrt(u0 * u0 + u1 * u1 + u2 * u2)
        if norm == 0:
            return
        v[0] = (u0 << _Q14) // norm
        v[1] = (u1 << _Q14) // norm
        v[2] = (u2 << _Q14) // norm

    @micropython.native
    def update(self, n, x, y, z, gx, gy, gz, m2):
        sh = self.gyro_shift
        gx >>= sh
        gy >>= sh
        gz >>= sh
        left = self.covariance_left - 1
        if left <= 0:
            left = self.covariance_every
            self._update_axis(gx, gy, gz)
        self.covariance_left = left
        # pitch rate: |g| <= 4096, |v| <= 2**14 -> |sum| < 3 * 2**26
        v = self.axis
        s = (gx * v[0] + gy * v[1] + gz * v[2]) >> _Q14
        prev = self.prev_pitch_rate
        self.prev_pitch_rate = s
        if (s ^ prev) < 0:  # the sign changed
            self._zero_crossing(n, prev, s)
        if m2 > self.crossing_peak_m2:
            self.crossing_peak_m2 = m2
        if self.pending_ic_n >= 0:
            self._collect_impact(n, m2)
        sign = self.lobe_sign
        if sign == 0:  # at rest: a lobe starts beyond the hysteresis
            h = self.hysteresis
            if -h <= s <= h:
                return
            self._start_lobe(n, s)
            sign = self.lobe_sign
        elif s * sign < -self.hysteresis:  # the other sign: this lobe ends at the crossing
            self._end_lobe(self.crossing_n)
            self._start_lobe(self.crossing_n, s)
            sign = -sign
        a = s * sign
        self.lobe_area += a
        if a > self.lobe_peak:
            self.lobe_peak = a
            self.lobe_peak_n = n
        r = self.rest_level
        if -r < a < r:
            q = self.quiet_n + 1
            self.quiet_n = q
            if q >= self.rest_n:  # the foot is still: the lobe ended where that began
                self._end_lobe(n - q + 1)
                self.lobe_sign = 0
        else:
            self.quiet_n = 0

    def _start_lobe(self, start_n, s):
        self.lobe_start_n = start_n
        self.lobe_sign = 1 if s > 0 else -1
        self.lobe_area = 0
        self.lobe_peak = 0
        self.quiet_n = 0

    def _collect_impact(self, n, m2):
        if m2 > self.pending_impact_m2:
            self.pending_impact_m2 = m2
        if n - self.pending_ic_n >= self.impact_n:
            self.sink.initial_contact(self.pending_ic_ms, self.pending_impact_m2)
            self.pending_ic_n = -1

    def _zero_crossing(self, n, before, after):
        self.crossing_n = n
        self.crossing_peak_m2 = 0
        if n == 0:
            self.crossing_ms = 0
            return
        # linear interpolation (|before| < 2**13 internal units: before * 100 is small)
        self.crossing_ms = self.clock.ms_at(n - 1, before * 100 // (before - after))

    def _end_lobe(self, end_n):
        sign = self.lobe_sign
        area = self.lobe_area
        adjacent = self.prev_lobe_end_n == self.lobe_start_n and self.prev_lobe_sign == -sign
        vote = self.swing_vote
        if area < self.area_min or (self.last_ic_n >= 0 and
                                    end_n - self.last_ic_n < self.min_stride_n):
            swing = False
        elif vote >= _SWING_VOTES_AGREE or vote <= -_SWING_VOTES_AGREE:
            swing = (sign > 0) == (vote > 0) and (not adjacent or 2 * area > self.prev_lobe_area)
        else:
            swing = adjacent and area > self.prev_lobe_area
        if swing:
            if vote * sign < _SWING_VOTES_MAX:
                self.swing_vote = vote + sign
            self._stride(end_n, adjacent)
        self.prev_lobe_sign = sign
        self.prev_lobe_area = area
        self.prev_lobe_peak_n = self.lobe_peak_n
        self.prev_lobe_end_n = end_n

    def _stride(self, ic_n, has_push_off):
        sink = self.sink
        clock = self.clock
        if self.pending_ic_n >= 0:  # previous strike still collecting its impact
            sink.initial_contact(self.pending_ic_ms, self.pending_impact_m2)
            self.pending_ic_n = -1
        if has_push_off:
            fc_ms = clock.ms(self.prev_lobe_peak_n)
            contact = 0
            if self.last_ic_ms >= 0:
                contact = fc_ms - self.last_ic_ms
                if contact > _MAX_CONTACT_MS:
                    contact = 0
            sink.final_contact(fc_ms, contact)
        at_crossing = self.crossing_n == ic_n
        self.pending_ic_n = ic_n
        self.pending_ic_ms = self.crossing_ms if at_crossing else clock.ms(ic_n)
        self.pending_impact_m2 = self.crossing_peak_m2 if at_crossing else 0
        self.last_ic_n = ic_n
        self.last_ic_ms = self.pending_ic_ms
