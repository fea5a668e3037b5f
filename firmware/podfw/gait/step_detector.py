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
#   pitching forward as the heel lands), or, when the foot reads no landing jolt within
#   _AIRBORNE_MS of it, the sample where that jolt comes (it was still in the air).
# HeldStrides: strides wait until they make a walk (two within _WALK_GAP_MS of each
#   other, swing sign known), then are reported with their own times; a lone stride-like
#   motion while standing is never reported.
# Per sample, one call: gyro_sample (viper on the pod: podfw.gait.foot_gyro_viper; its
#   plain twin podfw.gait.foot_gyro_plain under CPython) does the covariance, the axis and
#   the pitch rate, and grows the lobe; the samples where something happens (a zero
#   crossing, a lobe that starts or ends, a strike that lands or is complete: a few per
#   second) go on in plain Python (slow_sample). All state lives in one int array.
# The accelerometer-only detectors (SacrumSteps, FootAccStrides) are in
# podfw.gait.acc_steps, imported only by an engine that needs one: a pod loads the code
# of its own detector.
import sys
from array import array

from micropython import const

if sys.implementation.name == "micropython":
    from podfw.gait.foot_gyro_viper import gyro_sample
else:  # viper does not exist under CPython
    from podfw.gait.foot_gyro_plain import gyro_sample_py as gyro_sample

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
_AIRBORNE_MS = const(50)  # a foot on the ground reads _LANDING_G_X10 within this long of
# its contact (motion capture, gaitmap_walk_*: within 5 ms at each of 57 contacts); a
# swing that ends without it is still in the air, and the strike is where that comes
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
_HELD = const(16)  # candidate strides of either sign held until a walk is confirmed: a
# walk's swing sign is known at its first stance rest, which a brisk walk may reach only
# after 3-4 s, up to 3 candidates a stride until then (a swing, the landing's rebound
# and its push-off: 12 in ipol_4-1_left); 8 lost the walk's first strides
# FootGyroStrides' state and thresholds: one int array (an attribute per value would cost
# the pod a dict slot and an interned name each). First the slots the per-sample kernels
# use (podfw.gait.foot_gyro_viper, its plain twins in podfw.gait.foot_gyro_plain: they
# mirror these values) ...
_S_ACC_SHIFT = const(0)  # the engine's: acceleration right shift (>= 3) ...
_S_CLIP_M2 = const(1)  # ... squared magnitude at which an axis may be clipped ...
_S_DEAD_M2 = const(2)  # ... and below which the sensor looks dead (acc units**2)
_S_GYRO_SHIFT = const(3)  # angular rate right shift (>= 2): internal units
_S_COV_EVERY = const(4)  # samples per covariance update (~50 Hz) ...
_S_COV_LEFT = const(5)  # ... samples left until the next
_S_AXIS_LEFT = const(6)  # covariance updates left until the next power-iteration step
_S_AVG_SHIFT = const(7)  # the covariance average's shift and updates at it (AverageShift)
_S_AVG_SEEN = const(8)
_S_AXIS_MIN_VAR = const(9)  # below this total variance (internal units**2) the axis is kept
_S_AXIS_YOUNG = const(10)  # covariance updates left in which the axis is young
_S_COV = const(11)  # covariance of the angular rate (6: c00, c11, c22, c01, c02, c12)
_S_AXIS = const(17)  # principal axis, unit vector in Q14 (3; 0, 0, 0 until the foot moves)
_S_PREV_RATE = const(20)  # the pitch rate (internal units) of the sample before ...
_S_RATE = const(21)  # ... and of this one, with its squared acceleration, for slow_sample
_S_M2 = const(22)
_S_CROSS_PEAK_M2 = const(23)  # the largest squared acceleration since the last crossing
_S_LOBE_SIGN = const(24)  # the lobe in progress: sign (0 at rest), area (sum of |pitch
_S_LOBE_AREA = const(25)  # rate| over its samples), peak and its sample; samples in a row
_S_LOBE_PEAK = const(26)  # at rest
_S_LOBE_PEAK_N = const(27)
_S_QUIET_N = const(28)
_S_PEND_IC_N = const(29)  # the strike waiting for its impact: sample (-1: none), the
_S_PEND_IMPACT = const(30)  # largest squared acceleration so far
_S_HYSTERESIS = const(31)  # a lobe starts beyond this pitch rate (internal units) ...
_S_REST_LEVEL = const(32)  # ... the foot rests below this ...
_S_REST_N = const(33)  # ... for this many samples
_S_IMPACT_N = const(34)  # samples in which a strike's impact is collected
_S_LANDING_M2 = const(35)  # a landing foot reads this (acc units**2) ...
_S_LANDING_N = const(36)  # ... within this many samples
_S_AIRBORNE_N = const(37)  # no landing this many samples after the strike: in the air
# ... then those of the rare work (plain Python)
_S_CROSS_N = const(38)  # the pitch rate's last zero crossing: the sample after it and its
_S_CROSS_MS = const(39)  # time (between _S_CROSS_N - 1 and _S_CROSS_N)
_S_LOBE_START_N = const(40)  # the lobe in progress' first sample
_S_PEND_IC_MS = const(41)  # the strike waiting for its impact: its time
_S_PREV_SIGN = const(42)  # the lobe before the one in progress: sign, area, peak, end
_S_PREV_AREA = const(43)
_S_PREV_PEAK_N = const(44)
_S_PREV_END_N = const(45)
_S_LAST_N = const(46)  # per sign (+0: positive, +1: negative) the last candidate strike
_S_LAST_MS = const(48)  # ... and its time (+0, +1)
_S_REST_VOTE = const(50)  # swing-sign votes: at rests, and by lobe size (fallback)
_S_SHAPE_VOTE = const(51)
_S_BURST_SIGN = const(52)  # the largest lobe since the last rest: sign, area, end
_S_BURST_AREA = const(53)
_S_BURST_END_N = const(54)
_S_PEND_SIGN = const(55)  # the strike collecting its impact: sign, toe-off, contact
_S_PEND_FC_MS = const(56)
_S_PEND_CONTACT = const(57)
_S_LAST_STEP_MS = const(58)  # a small swing that ends a walk if a rest follows: strike
_S_LAST_STEP_FC_MS = const(59)  # (-1: none), toe-off, contact time
_S_LAST_STEP_CONTACT = const(60)
_S_HELD = const(61)  # held strides (after _S_SIZE) ...
_S_WALK_SIGN = const(62)  # ... the walk in progress: its swing sign (0: none) ...
_S_WALK_LAST_MS = const(63)  # ... and its last reported strike
_S_AREA_MIN = const(64)  # thresholds in internal units (areas: units * samples)
_S_VOTE_AREA = const(65)
_S_LAST_STEP_AREA = const(66)
_S_LAST_STEP_REST_N = const(67)
_S_VOTE_N = const(68)
_S_MIN_STRIDE_N = const(69)
_S_SWING = const(70)  # the swing sign the votes give (0: unknown)
_S_SIZE = const(71)  # then the held strides, _HELD * _H_SIZE
# what gyro_sample returns (bits): the sample needs slow_sample, the engine's clipping
# check, its count of dead samples
_IMU_SLOW = const(1)
_IMU_CLIP = const(2)
_IMU_DEAD = const(4)
# a held stride (.held, oldest first): its swing sign, strike time, squared impact,
# toe-off time (-1: none), contact time
_H_SIGN = const(0)
_H_IC_MS = const(1)
_H_IMPACT = const(2)
_H_FC_MS = const(3)
_H_CONTACT = const(4)
_H_SIZE = const(5)


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
    each with its own time: a walk's first strides are reported once it is confirmed.
    The engine feeds each sample to `step` (gyro_sample: viper on the pod) with `state`
    and its own acceleration shift and levels (acc_shift; clip_m2, dead_m2 in acc
    units**2), and calls slow_sample(n) when it returns _IMU_SLOW."""

    def __init__(self, clock, rate_hz, gyro_lsb_per_dps, g, sink, acc_shift, clip_m2, dead_m2):
        self.clock = clock
        self.sink = sink
        self.step = gyro_sample
        raw_per_dps = gyro_lsb_per_dps
        gyro_shift = shift_for(int(raw_per_dps), _GYRO_UNITS_PER_DPS, _GYRO_MIN_SHIFT)
        # internal units per dps, [4, 8) for a gyroscope of 8 LSB per dps or more
        per_dps = raw_per_dps / (1 << gyro_shift)
        # _S_* then the held strides; the votes start at 0 (unknown), the axis at (0, 0, 0)
        st = array("i", bytes(4 * (_S_SIZE + _HELD * _H_SIZE)))
        st[_S_ACC_SHIFT] = acc_shift
        st[_S_CLIP_M2] = clip_m2
        st[_S_DEAD_M2] = dead_m2
        st[_S_GYRO_SHIFT] = gyro_shift
        st[_S_HYSTERESIS] = int(_HYSTERESIS_DPS * per_dps + 0.5)
        st[_S_REST_LEVEL] = int(_REST_DPS * per_dps + 0.5)
        st[_S_REST_N] = clock.span(_REST_MS)
        st[_S_IMPACT_N] = clock.span(_IMPACT_MS)
        landing = g * _LANDING_G_X10 // 10  # acceleration units (g of them per g)
        st[_S_LANDING_M2] = landing * landing
        st[_S_LANDING_N] = clock.span(_LANDING_MS)
        st[_S_AIRBORNE_N] = clock.span(_AIRBORNE_MS)
        st[_S_AXIS_MIN_VAR] = int(_AXIS_MIN_VAR * per_dps * per_dps + 0.5)
        # a lobe's area is a sum of |rate| over samples: degrees * per_dps * rate
        st[_S_AREA_MIN] = int(_SWING_MIN_DEG * per_dps * rate_hz)
        st[_S_VOTE_AREA] = int(_VOTE_MIN_DEG * per_dps * rate_hz)
        st[_S_LAST_STEP_AREA] = int(_LAST_STEP_MIN_DEG * per_dps * rate_hz)
        st[_S_LAST_STEP_REST_N] = clock.span(_LAST_STEP_REST_MS)
        st[_S_VOTE_N] = clock.span(_VOTE_WITHIN_MS)
        st[_S_MIN_STRIDE_N] = clock.span(MIN_STRIDE_MS)
        # principal axis of the angular-rate covariance; the covariance is an exponential
        # average (time constant ~2.5 s) updated at ~50 Hz
        st[_S_COV_EVERY] = max(1, int(rate_hz / AVERAGE_RATE_HZ + 0.5))
        st[_S_COV_LEFT] = 1
        st[_S_AXIS_LEFT] = 1
        self.state = st
        self.reset()

    def reset(self):
        """Forget the lobe in progress and the strike collecting its impact (after lost
        samples); the axis, the swing sign and the held strides stay."""
        st = self.state
        for i in (_S_PREV_RATE, _S_CROSS_N, _S_CROSS_MS, _S_CROSS_PEAK_M2, _S_LOBE_SIGN,
                  _S_LOBE_AREA, _S_LOBE_PEAK, _S_LOBE_PEAK_N, _S_LOBE_START_N, _S_QUIET_N,
                  _S_PEND_IC_MS, _S_PEND_IMPACT, _S_PREV_SIGN, _S_PREV_AREA, _S_BURST_AREA):
            st[i] = 0
        for i in (_S_PEND_IC_N, _S_PREV_PEAK_N, _S_PREV_END_N, _S_LAST_N, _S_LAST_N + 1,
                  _S_LAST_MS, _S_LAST_MS + 1, _S_LAST_STEP_MS):
            st[i] = -1

    def flush(self):
        """End of session: the strike still collecting its impact is a candidate too, and
        a small swing the foot rested after ends the walk."""
        st = self.state
        if st[_S_PEND_IC_N] >= 0:
            self._dispatch()
        if st[_S_LAST_STEP_MS] >= 0 and st[_S_LOBE_SIGN] == 0:
            self._last_step(-1)

    # ---- the samples gyro_sample leaves to plain Python ----------------------------
    def slow_sample(self, n):
        """Sample n, whose pitch rate crosses zero, starts or ends a lobe, or lands or
        completes the strike in hand (gyro_sample did the covariance and the axis)."""
        st = self.state
        s = st[_S_RATE]  # internal units, |s| < 2**14
        m2 = st[_S_M2]  # < 3 * 2**24
        prev = st[_S_PREV_RATE]
        st[_S_PREV_RATE] = s
        if (s ^ prev) < 0:  # the sign changed: a zero crossing, between n - 1 and n
            st[_S_CROSS_N] = n
            st[_S_CROSS_PEAK_M2] = 0
            # linear interpolation (|prev| < 2**14 internal units: prev * 100 is small)
            st[_S_CROSS_MS] = self.clock.ms_at(n - 1, prev * 100 // (prev - s)) if n else 0
        if m2 > st[_S_CROSS_PEAK_M2]:
            st[_S_CROSS_PEAK_M2] = m2
        if st[_S_PEND_IC_N] >= 0:
            self._collect_impact(n, m2)
        sign = st[_S_LOBE_SIGN]
        h = st[_S_HYSTERESIS]
        start = -1
        if sign == 0:  # at rest: a lobe starts beyond the hysteresis
            if -h <= s <= h:
                return
            if st[_S_LAST_STEP_MS] >= 0:
                self._last_step(n)
            sign = 1 if s > 0 else -1
            start = n  # a lobe starts here
        elif s * sign < -h:  # the other sign: this lobe ends at the crossing
            self._end_lobe(st[_S_CROSS_N], False)
            sign = -sign
            start = st[_S_CROSS_N]  # and the next starts there
        if start >= 0:
            st[_S_LOBE_SIGN] = sign
            st[_S_LOBE_START_N] = start
            st[_S_LOBE_AREA] = 0
            st[_S_LOBE_PEAK] = 0
            st[_S_QUIET_N] = 0
        a = s * sign
        st[_S_LOBE_AREA] += a
        if a > st[_S_LOBE_PEAK]:
            st[_S_LOBE_PEAK] = a
            st[_S_LOBE_PEAK_N] = n
        r = st[_S_REST_LEVEL]
        if -r < a < r:
            q = st[_S_QUIET_N] + 1
            st[_S_QUIET_N] = q
            if q >= st[_S_REST_N]:  # the foot is still: the lobe ended where that began
                self._end_lobe(n - q + 1, True)
                st[_S_LOBE_SIGN] = 0
        else:
            st[_S_QUIET_N] = 0

    def _collect_impact(self, n, m2):
        st = self.state
        k = n - st[_S_PEND_IC_N]
        landing = st[_S_LANDING_M2]
        if (k > st[_S_AIRBORNE_N] and m2 >= landing and st[_S_PEND_IMPACT] < landing
                and k < st[_S_LANDING_N]):
            # no landing within _AIRBORNE_MS of the swing's end: the foot was still in
            # the air (a slow heel-to-flat, a flat-foot landing, a turn) and lands now;
            # the impact is collected from here
            st[_S_PEND_IC_N] = n
            st[_S_PEND_IC_MS] = self.clock.ms(n)
            st[_S_PEND_IMPACT] = m2
            return
        if m2 > st[_S_PEND_IMPACT]:
            st[_S_PEND_IMPACT] = m2
        if k >= st[_S_IMPACT_N] and (st[_S_PEND_IMPACT] >= landing or k >= st[_S_LANDING_N]):
            self._dispatch()

    # ---- per lobe: which are swings -------------------------------------------------
    def _end_lobe(self, end_n, at_rest):
        st = self.state
        sign = st[_S_LOBE_SIGN]
        area = st[_S_LOBE_AREA]
        adjacent = st[_S_PREV_END_N] == st[_S_LOBE_START_N] and st[_S_PREV_SIGN] == -sign
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
            st[_S_LAST_STEP_MS] = self.clock.ms(end_n) if at_rest else st[_S_CROSS_MS]
            st[_S_LAST_STEP_FC_MS] = fc_ms
            st[_S_LAST_STEP_CONTACT] = contact if contact <= _MAX_CONTACT_MS else 0
        st[_S_PREV_SIGN] = sign
        st[_S_PREV_AREA] = area
        st[_S_PREV_PEAK_N] = st[_S_LOBE_PEAK_N]
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
        if st[_S_PEND_IC_N] >= 0:  # previous strike still collecting its impact
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
        st[_S_PEND_IC_N] = ic_n
        st[_S_PEND_IC_MS] = clock.ms(ic_n) if at_rest else st[_S_CROSS_MS]
        st[_S_PEND_IMPACT] = 0 if at_rest else st[_S_CROSS_PEAK_M2]
        st[_S_PEND_SIGN] = sign
        st[_S_PEND_FC_MS] = fc_ms
        st[_S_PEND_CONTACT] = contact
        st[_S_LAST_N + i] = ic_n
        st[_S_LAST_MS + i] = st[_S_PEND_IC_MS]

    def _last_step(self, n):
        # the foot moves again at sample n after a small swing (n < 0: the session ended
        # at rest): that was a walk's last step if the foot rested long enough after it
        st = self.state
        if n < 0 or (st[_S_PREV_END_N] >= 0 and n - st[_S_PREV_END_N] >= st[_S_LAST_STEP_REST_N]):
            if st[_S_PEND_IC_N] >= 0:
                self._dispatch()
            # the small swing becomes the stride in hand
            st[_S_PEND_IC_MS] = st[_S_LAST_STEP_MS]
            st[_S_PEND_IMPACT] = 0
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
        st[_S_PEND_IC_N] = -1
        sign = st[_S_PEND_SIGN]
        ic_ms = st[_S_PEND_IC_MS]
        impact_m2 = st[_S_PEND_IMPACT]
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
