# Step detector of the gait engine for a foot pod with a gyroscope. Integer-only per
# sample; every value stays inside 31 bits (see the range notes next to each quantity).
#
# FootGyroStrides: a pod on the foot with a gyroscope. The foot's pitch rotation is
#   isolated as the principal axis of the angular-rate covariance (mounting-independent)
#   and cut into lobes of one sign. A stride is push-off (heel rise to toe-off, one
#   sign), swing (the foot rotates forward through 60-150 degrees, the other sign), then
#   the stance rest. Which sign is the swing is decided from the whole stride, never
#   from the sign itself: the largest lobe of the motion that ends in a stance rest is
#   the swing (votes, one per rest). Final contact (toe-off) = peak of the push-off
#   lobe, initial contact = the zero crossing that ends the swing (the foot stops
#   pitching forward as the heel lands).
# HeldStrides: strides wait until they make a walk (two within _WALK_GAP_MS of each
#   other, swing sign known), then are reported with their own times; a lone stride-like
#   motion while standing is never reported.
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
_SWING_MIN_DEG = const(15)  # a swing rotates the foot through at least this (first and
# last steps of a walk: 17-25 degrees)
_LAST_STEP_MIN_DEG = const(5)  # the step that closes a walk (the foot placed beside the
_LAST_STEP_REST_MS = const(1000)  # other) swings 5-12 degrees; the rest that follows it
_VOTE_MIN_DEG = const(25)  # a lobe this big that ends a motion before a rest votes its sign
_VOTE_WITHIN_MS = const(400)  # ... if it ended at most this long before the rest began
_IMPACT_MS = const(100)  # the impact: the largest acceleration this long from a strike
_LANDING_G_X10 = const(15)  # a foot that lands reads at least this (tenths of g) ...
_LANDING_MS = const(250)  # ... this long after the swing ended, or it landed gently
_AXIS_EVERY = const(4)  # covariance updates per power-iteration step of the axis
_AXIS_SEED_STEPS = const(16)  # power-iteration steps that find the first axis
_AXIS_SEED_SHARE = const(6)  # tenths of the angular-rate variance about the first axis
_AXIS_YOUNG = const(32)  # covariance updates (~0.6 s) after that with ...
_AXIS_YOUNG_STEPS = const(2)  # ... this many steps at each
_AREA_CAP = const(1 << 29)  # internal units * samples: a lobe's area stops growing here
_AXIS_MIN_VAR = const(61)  # (deg/s)**2: below this total variance the axis is kept
_MAX_CONTACT_MS = const(2500)  # a longer push-off-to-strike time is not a ground contact
_REST_VOTES_AGREE = const(1)  # rest votes of one sign in excess that make it the swing's
_SHAPE_VOTES_AGREE = const(3)  # without rest votes: swings larger than their push-off
_VOTES_MAX = const(5)  # the excess counted at most (later evidence can still turn it)
# held strides
_WALK_GAP_MS = const(3000)  # a longer time between two strides ends a walk
_WALK_STRIDES = const(2)  # strides, each within _WALK_GAP_MS of the next, make a walk
_HELD = const(8)  # candidate strides of either sign held until a walk is confirmed
# FootGyroStrides' stride-rate state and thresholds: one int array (an attribute per
# value would cost the pod a dict slot and an interned name each)
_S_PREV_SIGN = const(0)  # the lobe before the one in progress: sign, area, peak, end
_S_PREV_AREA = const(1)
_S_PREV_PEAK_N = const(2)
_S_PREV_END_N = const(3)
_S_LAST_N = const(4)  # per sign (+4: positive, +5: negative) the last candidate strike
_S_LAST_MS = const(6)  # ... and its time (+6, +7)
_S_REST_VOTE = const(8)  # swing-sign votes: at rests, and by lobe size (fallback)
_S_SHAPE_VOTE = const(9)
_S_BURST_SIGN = const(10)  # the largest lobe since the last rest: sign, area, end
_S_BURST_AREA = const(11)
_S_BURST_END_N = const(12)
_S_PEND_SIGN = const(13)  # the strike collecting its impact: sign, toe-off, contact
_S_PEND_FC_MS = const(14)
_S_PEND_CONTACT = const(15)
_S_LAST_STEP_MS = const(16)  # a small swing that ends a walk if a rest follows: strike
_S_LAST_STEP_FC_MS = const(17)  # (-1: none), toe-off, contact time
_S_LAST_STEP_CONTACT = const(18)
_S_AXIS_YOUNG = const(19)  # covariance updates left in which the axis is young
_S_HELD = const(20)  # held strides (in .held) ...
_S_WALK_SIGN = const(21)  # ... the walk in progress: its swing sign (0: none) ...
_S_WALK_LAST_MS = const(22)  # ... and its last reported strike
_S_AREA_MIN = const(23)  # thresholds in internal units (areas: units * samples)
_S_VOTE_AREA = const(24)
_S_LAST_STEP_AREA = const(25)
_S_LAST_STEP_REST_N = const(26)
_S_VOTE_N = const(27)
_S_MIN_STRIDE_N = const(28)
_S_SWING = const(29)  # the swing sign the votes give (0: unknown)
_S_SIZE = const(30)  # then the held strides, _HELD * _H_SIZE
# a held stride (.held, oldest first): its swing sign, strike time, squared impact,
# toe-off time (-1: none), contact time
_H_SIGN = const(0)
_H_IC_MS = const(1)
_H_IMPACT = const(2)
_H_FC_MS = const(3)
_H_CONTACT = const(4)
_H_SIZE = const(5)


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
# angular rates: 4-8 internal units per deg/s (finer than the mounting-dependent rounding
# of the sensor, so that a turned pod finds the same events); shifted by at least 2,
# within +-8192: squares below 2**26, projections on a Q14 axis below 3 * 2**27
_GYRO_UNITS_PER_DPS = const(4)
_GYRO_MIN_SHIFT = const(2)


def shift_for(lsb_per_unit, lowest, least=_MIN_SHIFT):
    """Right shift that brings lsb_per_unit down to [lowest, 2*lowest), and at least
    `least` (_MIN_SHIFT: sums of three squared samples fit 31 bits at any sensitivity)."""
    shift = 0
    while (lsb_per_unit >> (shift + 1)) >= lowest:
        shift += 1
    return shift if shift > least else least


class FootGyroStrides:
    """Strikes and toe-offs of a foot pod with a gyroscope, sent to `sink`
    (final_contact(t_ms, contact_ms), initial_contact(t_ms, impact_m2)) in time order,
    each with its own time: a walk's first strides are reported once it is confirmed."""

    def __init__(self, clock, rate_hz, gyro_lsb_per_dps, g, sink):
        self.clock = clock
        self.sink = sink
        raw_per_dps = gyro_lsb_per_dps
        self.gyro_shift = shift_for(int(raw_per_dps), _GYRO_UNITS_PER_DPS, _GYRO_MIN_SHIFT)
        # internal units per dps, [4, 8) for a gyroscope of 8 LSB per dps or more
        per_dps = raw_per_dps / (1 << self.gyro_shift)
        self.hysteresis = int(_HYSTERESIS_DPS * per_dps + 0.5)
        self.rest_level = int(_REST_DPS * per_dps + 0.5)
        self.rest_n = clock.span(_REST_MS)
        self.impact_n = clock.span(_IMPACT_MS)
        landing = g * _LANDING_G_X10 // 10  # acceleration units (g of them per g)
        self.landing_m2 = landing * landing
        self.landing_n = clock.span(_LANDING_MS)
        self.axis_min_var = int(_AXIS_MIN_VAR * per_dps * per_dps + 0.5)
        # _S_* then the held strides; the votes start at 0 (unknown)
        st = array("i", bytes(4 * (_S_SIZE + _HELD * _H_SIZE)))
        # a lobe's area is a sum of |rate| over samples: degrees * per_dps * rate
        st[_S_AREA_MIN] = int(_SWING_MIN_DEG * per_dps * rate_hz)
        st[_S_VOTE_AREA] = int(_VOTE_MIN_DEG * per_dps * rate_hz)
        st[_S_LAST_STEP_AREA] = int(_LAST_STEP_MIN_DEG * per_dps * rate_hz)
        st[_S_LAST_STEP_REST_N] = clock.span(_LAST_STEP_REST_MS)
        st[_S_VOTE_N] = clock.span(_VOTE_WITHIN_MS)
        st[_S_MIN_STRIDE_N] = clock.span(MIN_STRIDE_MS)
        self.state = st
        # principal axis (unit vector, _Q14) of the angular-rate covariance; the covariance
        # is an exponential average (time constant ~2.5 s) updated at ~50 Hz
        self.covariance_every = max(1, int(rate_hz / AVERAGE_RATE_HZ + 0.5))
        self.covariance_left = 1
        self.axis_left = 1
        self.covariance = array("i", bytes(4 * 6))  # c00, c11, c22, c01, c02, c12
        self.average = AverageShift()
        self.axis = array("i", bytes(4 * 3))  # (0, 0, 0) until the foot first moves
        self.reset()

    def reset(self):
        """Forget the lobe in progress and the strike collecting its impact (after lost
        samples); the axis, the swing sign and the held strides stay."""
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
        # the strike waiting for its impact (pending_ic_n < 0: none): sample, time, the
        # largest squared acceleration so far
        self.pending_ic_n = -1
        self.pending_ic_ms = 0
        self.pending_impact_m2 = 0
        st = self.state
        st[_S_PREV_SIGN] = 0
        st[_S_PREV_AREA] = 0
        st[_S_PREV_PEAK_N] = -1
        st[_S_PREV_END_N] = -1
        for i in range(2):
            st[_S_LAST_N + i] = -1
            st[_S_LAST_MS + i] = -1
        st[_S_BURST_AREA] = 0
        st[_S_LAST_STEP_MS] = -1

    def flush(self):
        """End of session: the strike still collecting its impact is a candidate too, and
        a small swing the foot rested after ends the walk."""
        if self.pending_ic_n >= 0:
            self._dispatch()
        if self.state[_S_LAST_STEP_MS] >= 0 and self.lobe_sign == 0:
            self._last_step(-1)

    # ---- per sample ---------------------------------------------------------------
    @micropython.native
    def _update_axis(self, gx, gy, gz):
        # a lobe's area (< 2**14 per sample) kept in 31 bits: a stuck gyroscope never stops
        if self.lobe_area > _AREA_CAP:
            self.lobe_area = _AREA_CAP
        # covariance terms: |g| <= 8192 after the shift, products <= 2**26
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
        # power iteration from the previous axis (its sign stays continuous): a step every
        # _AXIS_EVERY updates on a schedule that does not depend on the data, at every one
        # while the axis is young; the trace (< 3 * 2**26) does not depend on the mounting
        left = self.axis_left - 1
        if left <= 0:
            left = _AXIS_EVERY
        self.axis_left = left
        st = self.state
        young = st[_S_AXIS_YOUNG]
        big = c00 + c11 + c22
        if (young <= 0 and left < _AXIS_EVERY) or big < self.axis_min_var:
            return  # not due, or at rest: the axis is kept
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
        steps = _AXIS_YOUNG_STEPS if young > 0 else 1
        st[_S_AXIS_YOUNG] = young - 1 if young > 0 else 0
        seed = v0 == 0 and v1 == 0 and v2 == 0
        if seed:
            # the first motion: from the axis of the largest variance to convergence
            steps = _AXIS_SEED_STEPS
            v0 = _ONE_Q14 if c00 >= c11 and c00 >= c22 else 0
            v1 = _ONE_Q14 if not v0 and c11 >= c22 else 0
            v2 = _ONE_Q14 if not v0 and not v1 else 0
        norm = 0
        for _ in range(steps):
            # |c| < 2**13, |v| <= 2**14: each sum < 3 * 2**27
            u0 = c00 * v0 + c01 * v1 + c02 * v2
            u1 = c01 * v0 + c11 * v1 + c12 * v2
            u2 = c02 * v0 + c12 * v1 + c22 * v2
            m = max(abs(u0), abs(u1), abs(u2))
            s = 0
            while (m >> s) >= 16384:
                s += 1
            u0 >>= s
            u1 >>= s
            u2 >>= s
            norm = isqrt(u0 * u0 + u1 * u1 + u2 * u2)
            if norm == 0:
                return
            v0 = (u0 << _Q14) // norm
            v1 = (u1 << _Q14) // norm
            v2 = (u2 << _Q14) // norm
        if seed:  # only a motion turning mostly about one axis (|C v| < 3 * 2**13) gives it
            if 10 * ((norm << s) >> _Q14) < _AXIS_SEED_SHARE * (c00 + c11 + c22):
                return
            st[_S_AXIS_YOUNG] = _AXIS_YOUNG
        v[0] = v0
        v[1] = v1
        v[2] = v2

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
        # pitch rate: |g| <= 8192, |v| <= 2**14 -> |sum| < 3 * 2**27
        v = self.axis
        s = (gx * v[0] + gy * v[1] + gz * v[2]) >> _Q14
        prev = self.prev_pitch_rate
        self.prev_pitch_rate = s
        if (s ^ prev) < 0:  # the sign changed: a zero crossing, between n - 1 and n
            self.crossing_n = n
            self.crossing_peak_m2 = 0
            # linear interpolation (|prev| < 2**14 internal units: prev * 100 is small)
            self.crossing_ms = self.clock.ms_at(n - 1, prev * 100 // (prev - s)) if n else 0
        if m2 > self.crossing_peak_m2:
            self.crossing_peak_m2 = m2
        if self.pending_ic_n >= 0:
            self._collect_impact(n, m2)
        sign = self.lobe_sign
        if sign == 0:  # at rest: a lobe starts beyond the hysteresis
            h = self.hysteresis
            if -h <= s <= h:
                return
            if self.state[_S_LAST_STEP_MS] >= 0:
                self._last_step(n)
            sign = 1 if s > 0 else -1
            self.lobe_sign = sign  # a lobe starts here
            self.lobe_start_n = n
            self.lobe_area = 0
            self.lobe_peak = 0
            self.quiet_n = 0
        elif s * sign < -self.hysteresis:  # the other sign: this lobe ends at the crossing
            self._end_lobe(self.crossing_n, False)
            sign = -sign
            self.lobe_sign = sign  # and the next starts there
            self.lobe_start_n = self.crossing_n
            self.lobe_area = 0
            self.lobe_peak = 0
            self.quiet_n = 0
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
                self._end_lobe(n - q + 1, True)
                self.lobe_sign = 0
        else:
            self.quiet_n = 0

    def _collect_impact(self, n, m2):
        k = n - self.pending_ic_n
        landing = self.landing_m2
        if (k > self.impact_n and m2 >= landing and self.pending_impact_m2 < landing
                and k < self.landing_n):
            # no impact at the swing's end: the foot was still in the air (a flat-foot
            # landing, a turn) and lands now; the impact is collected from here
            self.pending_ic_n = n
            self.pending_ic_ms = self.clock.ms(n)
            self.pending_impact_m2 = m2
            return
        if m2 > self.pending_impact_m2:
            self.pending_impact_m2 = m2
        if k >= self.impact_n and (self.pending_impact_m2 >= landing
                                   or k >= self.landing_n):
            self._dispatch()

    # ---- per lobe: which are swings -------------------------------------------------
    def _end_lobe(self, end_n, at_rest):
        st = self.state
        sign = self.lobe_sign
        area = self.lobe_area
        adjacent = st[_S_PREV_END_N] == self.lobe_start_n and st[_S_PREV_SIGN] == -sign
        if area >= st[_S_VOTE_AREA]:
            # the largest lobe of the motion so far (one too long ago to vote is replaced)
            if area > st[_S_BURST_AREA] or end_n - st[_S_BURST_END_N] > st[_S_VOTE_N]:
                st[_S_BURST_SIGN] = sign
                st[_S_BURST_AREA] = area
                st[_S_BURST_END_N] = end_n
            v = st[_S_SHAPE_VOTE] + sign  # (the excess kept within _VOTES_MAX)
            if adjacent and area > st[_S_PREV_AREA] and -_VOTES_MAX <= v <= _VOTES_MAX:
                st[_S_SHAPE_VOTE] = v
                if st[_S_REST_VOTE] == 0:  # lobe sizes decide only without rest votes
                    st[_S_SWING] = (v >= _SHAPE_VOTES_AGREE) - (v <= -_SHAPE_VOTES_AGREE)
        if area >= st[_S_AREA_MIN]:
            self._stride(sign, area, end_n, adjacent, at_rest)
        elif (area >= st[_S_LAST_STEP_AREA] and adjacent and sign == st[_S_WALK_SIGN]
              and (st[_S_LAST_N + (sign < 0)] < 0
                   or end_n - st[_S_LAST_N + (sign < 0)] >= st[_S_MIN_STRIDE_N])):
            # in a walk, a small swing with its push-off: the walk's last step if the foot
            # rests after it (decided when the foot moves again, or at the session's end)
            fc_ms = self.clock.ms(st[_S_PREV_PEAK_N])
            last_ms = st[_S_LAST_MS + (sign < 0)]
            contact = fc_ms - last_ms if last_ms >= 0 else 0
            st[_S_LAST_STEP_MS] = self.clock.ms(end_n) if at_rest else self.crossing_ms
            st[_S_LAST_STEP_FC_MS] = fc_ms
            st[_S_LAST_STEP_CONTACT] = contact if contact <= _MAX_CONTACT_MS else 0
        st[_S_PREV_SIGN] = sign
        st[_S_PREV_AREA] = area
        st[_S_PREV_PEAK_N] = self.lobe_peak_n
        st[_S_PREV_END_N] = end_n
        if at_rest:
            # a stance rest: the largest lobe of the motion before it, if it ended shortly
            # before, was the swing (a push-off is followed by the swing, not by a rest)
            if st[_S_BURST_AREA] and end_n - st[_S_BURST_END_N] <= st[_S_VOTE_N]:
                v = st[_S_REST_VOTE] + st[_S_BURST_SIGN]
                if -_VOTES_MAX <= v <= _VOTES_MAX:
                    st[_S_REST_VOTE] = v
                w = st[_S_SHAPE_VOTE]  # (no rest vote in excess: the lobe sizes decide)
                st[_S_SWING] = ((v >= _REST_VOTES_AGREE) - (v <= -_REST_VOTES_AGREE) if v else
                                (w >= _SHAPE_VOTES_AGREE) - (w <= -_SHAPE_VOTES_AGREE))
                self._confirm(st[_S_SWING])
            st[_S_BURST_AREA] = 0

    def _stride(self, sign, area, ic_n, has_push_off, at_rest):
        # a candidate stride: a lobe of the swing sign (either, while it is unknown),
        # 450 ms after the last of its sign, not a small lobe right after a large one
        st = self.state
        known = st[_S_SWING]
        if known and sign != known:
            return
        i = sign < 0
        last = st[_S_LAST_N + i]
        if last >= 0 and ic_n - last < st[_S_MIN_STRIDE_N]:
            return
        if known and has_push_off and 2 * area <= st[_S_PREV_AREA]:
            return
        clock = self.clock
        st[_S_LAST_STEP_MS] = -1  # a stride follows: the small swing did not end the walk
        if self.pending_ic_n >= 0:  # previous strike still collecting its impact
            self._dispatch()
        fc_ms = -1
        contact = 0
        if has_push_off:
            fc_ms = clock.ms(st[_S_PREV_PEAK_N])
            last_ms = st[_S_LAST_MS + i]
            if last_ms >= 0:
                contact = fc_ms - last_ms
                if contact > _MAX_CONTACT_MS:
                    contact = 0
        # a swing that ended at its zero crossing strikes there (interpolated, impact
        # since then); one that faded into a rest, where the rest began
        self.pending_ic_n = ic_n
        self.pending_ic_ms = clock.ms(ic_n) if at_rest else self.crossing_ms
        self.pending_impact_m2 = 0 if at_rest else self.crossing_peak_m2
        st[_S_PEND_SIGN] = sign
        st[_S_PEND_FC_MS] = fc_ms
        st[_S_PEND_CONTACT] = contact
        st[_S_LAST_N + i] = ic_n
        st[_S_LAST_MS + i] = self.pending_ic_ms

    def _last_step(self, n):
        # the foot moves again at sample n after a small swing (n < 0: the session ended
        # at rest): that was a walk's last step if the foot rested long enough after it
        st = self.state
        if n < 0 or (st[_S_PREV_END_N] >= 0 and n - st[_S_PREV_END_N] >= st[_S_LAST_STEP_REST_N]):
            if self.pending_ic_n >= 0:
                self._dispatch()
            # the small swing becomes the stride in hand
            self.pending_ic_ms = st[_S_LAST_STEP_MS]
            self.pending_impact_m2 = 0
            st[_S_PEND_SIGN] = st[_S_WALK_SIGN]
            st[_S_PEND_FC_MS] = st[_S_LAST_STEP_FC_MS]
            st[_S_PEND_CONTACT] = st[_S_LAST_STEP_CONTACT]
            self._dispatch()
        st[_S_LAST_STEP_MS] = -1

    # ---- held strides: reported once they make a walk ------------------------------
    def _dispatch(self):
        """The stride in hand (pending_ic_ms, pending_impact_m2, _S_PEND_*: a swing of
        _S_PEND_SIGN): reported if it continues the walk in progress, else held until
        _WALK_STRIDES strides of the swing sign make a walk (both signs are held while
        the swing sign is unknown)."""
        st = self.state
        self.pending_ic_n = -1
        sign = st[_S_PEND_SIGN]
        ic_ms = self.pending_ic_ms
        impact_m2 = self.pending_impact_m2
        fc_ms = st[_S_PEND_FC_MS]
        contact_ms = st[_S_PEND_CONTACT]
        walk = st[_S_WALK_SIGN]
        if walk and (walk != st[_S_SWING] or ic_ms - st[_S_WALK_LAST_MS] > _WALK_GAP_MS):
            walk = 0  # a pause, or the evidence turned: a new walk must start
            st[_S_WALK_SIGN] = 0
        sink = self.sink
        if walk == sign:
            if fc_ms >= 0:
                sink.final_contact(fc_ms, contact_ms)
            sink.initial_contact(ic_ms, impact_m2)
            st[_S_WALK_LAST_MS] = ic_ms
            return
        h = st  # the held strides follow the state, oldest first
        k = st[_S_HELD]
        if k == _HELD:  # full: the oldest goes
            for i in range(_S_SIZE + _H_SIZE, _S_SIZE + _HELD * _H_SIZE):
                h[i - _H_SIZE] = h[i]
            k -= 1
        j = _S_SIZE + k * _H_SIZE
        h[j + _H_SIGN] = sign
        h[j + _H_IC_MS] = ic_ms
        h[j + _H_IMPACT] = impact_m2
        h[j + _H_FC_MS] = fc_ms
        h[j + _H_CONTACT] = contact_ms
        st[_S_HELD] = k + 1
        self._confirm(st[_S_SWING])

    def _confirm(self, sign):
        """Reports the held strides of the swing sign if they make a walk: the chain of
        strides that push off, each within _WALK_GAP_MS of the next, up to the newest."""
        st = self.state
        count = st[_S_HELD]
        if sign == 0 or st[_S_WALK_SIGN] or count < _WALK_STRIDES:
            return
        h = st  # the held strides follow the state
        first = -1
        chain = 0
        later_ms = 0
        for i in range(count - 1, -1, -1):
            j = _S_SIZE + i * _H_SIZE
            if h[j + _H_SIGN] != sign or h[j + _H_FC_MS] < 0:
                continue  # a walk starts with strides that push off
            if chain and later_ms - h[j + _H_IC_MS] > _WALK_GAP_MS:
                break
            chain += 1
            first = i
            later_ms = h[j + _H_IC_MS]
        if chain < _WALK_STRIDES:
            return
        sink = self.sink
        for i in range(first, count):
            j = _S_SIZE + i * _H_SIZE
            if h[j + _H_SIGN] == sign and h[j + _H_FC_MS] >= 0:
                sink.final_contact(h[j + _H_FC_MS], h[j + _H_CONTACT])
                sink.initial_contact(h[j + _H_IC_MS], h[j + _H_IMPACT])
                st[_S_WALK_LAST_MS] = h[j + _H_IC_MS]
        st[_S_WALK_SIGN] = sign
        st[_S_HELD] = 0
