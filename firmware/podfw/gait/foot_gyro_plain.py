# Plain twins of podfw.gait.foot_gyro_viper: the per-sample work of FootGyroStrides
# (podfw.gait.step_detector) on its state array. CPython runs these (the host replays
# dumps through the firmware; it never imports viper code); tests/firmware/test_foot_gyro.py
# proves they give what the viper versions give. Line for line the same as the viper code.
#
# gyro_sample(st, n, ax, ay, az, gx, gy, gz) takes IMU sample n (chip LSB) and returns 0,
# or bits for the rare work the caller does in plain Python: _IMU_SLOW (a sample where the
# pitch rate crosses zero, a lobe starts or ends, or the strike in hand lands or is
# complete: FootGyroStrides.slow_sample(n) does all of it, from the pitch rate and the
# squared acceleration left in the state), _IMU_CLIP (an axis may be clipped: the engine
# checks), _IMU_DEAD (below a quarter of gravity: the engine counts it). Every value stays
# within 31 bits (ranges at each step); viper ints are 32-bit machine ints.
from micropython import const

# the state array's slots the kernels use (podfw.gait.step_detector's _S_*: the home)
_S_ACC_SHIFT = const(0)
_S_CLIP_M2 = const(1)
_S_DEAD_M2 = const(2)
_S_GYRO_SHIFT = const(3)
_S_COV_EVERY = const(4)
_S_COV_LEFT = const(5)
_S_AXIS_LEFT = const(6)
_S_AVG_SHIFT = const(7)
_S_AVG_SEEN = const(8)
_S_AXIS_MIN_VAR = const(9)
_S_AXIS_YOUNG = const(10)
_S_COV = const(11)
_S_AXIS = const(17)
_S_PREV_RATE = const(20)
_S_RATE = const(21)
_S_M2 = const(22)
_S_CROSS_PEAK_M2 = const(23)
_S_LOBE_SIGN = const(24)
_S_LOBE_AREA = const(25)
_S_LOBE_PEAK = const(26)
_S_LOBE_PEAK_N = const(27)
_S_QUIET_N = const(28)
_S_PEND_IC_N = const(29)
_S_PEND_IMPACT = const(30)
_S_HYSTERESIS = const(31)
_S_REST_LEVEL = const(32)
_S_REST_N = const(33)
_S_IMPACT_N = const(34)
_S_LANDING_M2 = const(35)
_S_LANDING_N = const(36)
_S_AIRBORNE_N = const(37)
# podfw.gait.step_detector's codes and constants (the home)
_IMU_SLOW = const(1)
_IMU_CLIP = const(2)
_IMU_DEAD = const(4)
_Q14 = const(14)
_ONE_Q14 = const(1 << _Q14)
_AVG_SHIFT = const(7)
_AXIS_EVERY = const(4)
_AXIS_SEED_STEPS = const(16)
_AXIS_SEED_SHARE = const(6)
_AXIS_YOUNG = const(32)
_AXIS_YOUNG_STEPS = const(2)
_AREA_CAP = const(1 << 29)


def gyro_sample_py(st, n, ax, ay, az, gx, gy, gz):
    """Plain twin of foot_gyro_viper.gyro_sample."""
    s = st
    sh = s[_S_ACC_SHIFT]
    x = ax >> sh
    y = ay >> sh
    z = az >> sh
    # |x|, |y|, |z| <= 4096 (shift >= 3): m2 < 3 * 2**24
    m2 = x * x + y * y + z * z
    code = 0
    if m2 >= s[_S_CLIP_M2]:
        code = _IMU_CLIP
    elif m2 < s[_S_DEAD_M2]:
        code = _IMU_DEAD
    sh = s[_S_GYRO_SHIFT]
    gx >>= sh  # |g| <= 8192
    gy >>= sh
    gz >>= sh
    left = s[_S_COV_LEFT] - 1
    if left <= 0:
        left = s[_S_COV_EVERY]
        if gyro_covariance_py(st, gx, gy, gz):
            gyro_axis_py(st)
    s[_S_COV_LEFT] = left
    # pitch rate: |g| <= 8192, |v| <= 2**14 -> |sum| < 3 * 2**27, the rate < 2**14
    v0 = s[_S_AXIS]  # (the viper code sign-extends these loads)
    v1 = s[_S_AXIS + 1]
    v2 = s[_S_AXIS + 2]
    rate = (gx * v0 + gy * v1 + gz * v2) >> _Q14
    prev = s[_S_PREV_RATE]
    sign = s[_S_LOBE_SIGN]
    pend = s[_S_PEND_IC_N]
    slow = 0
    if (rate ^ prev) < 0:  # a zero crossing
        slow = 1
    impact = s[_S_PEND_IMPACT]  # < 3 * 2**24
    if pend >= 0:  # the strike in hand collects its impact: lands now, or is complete
        k = n - pend
        landing = s[_S_LANDING_M2]
        if k > s[_S_AIRBORNE_N] and m2 >= landing and impact < landing and k < s[_S_LANDING_N]:
            slow = 1
        if m2 > impact:
            impact = m2
        if k >= s[_S_IMPACT_N] and (impact >= landing or k >= s[_S_LANDING_N]):
            slow = 1
    h = s[_S_HYSTERESIS]
    a = rate * sign  # |a| < 2**14
    r = s[_S_REST_LEVEL]
    quiet = 0
    if sign == 0:  # at rest: a lobe starts beyond the hysteresis
        if rate > h or rate < -h:
            slow = 1
    elif a < -h:  # the other sign: the lobe ends at the crossing
        slow = 1
    elif a > -r and a < r:
        quiet = s[_S_QUIET_N] + 1
        if quiet >= s[_S_REST_N]:  # the foot is still: the lobe ends
            slow = 1
    if slow:
        s[_S_RATE] = rate
        s[_S_M2] = m2
        return code | _IMU_SLOW
    s[_S_PREV_RATE] = rate
    if m2 > s[_S_CROSS_PEAK_M2]:
        s[_S_CROSS_PEAK_M2] = m2
    if pend >= 0:
        s[_S_PEND_IMPACT] = impact
    if sign != 0:  # the lobe grows (its area capped at each covariance update)
        s[_S_LOBE_AREA] = s[_S_LOBE_AREA] + a
        if a > s[_S_LOBE_PEAK]:
            s[_S_LOBE_PEAK] = a
            s[_S_LOBE_PEAK_N] = n
        s[_S_QUIET_N] = quiet
    return code


def gyro_covariance_py(st, gx, gy, gz):
    """Plain twin of foot_gyro_viper.gyro_covariance: the angular-rate covariance's
    update (an exponential average at ~50 Hz); returns 1 when a power-iteration step of
    the axis is due."""
    s = st
    # a lobe's area (< 2**14 per sample) kept in 31 bits: a stuck gyroscope never stops
    if s[_S_LOBE_AREA] > _AREA_CAP:
        s[_S_LOBE_AREA] = _AREA_CAP
    # covariance terms: |g| <= 8192 after the shift, products <= 2**26
    k = s[_S_AVG_SHIFT]
    c00 = s[_S_COV]
    c11 = s[_S_COV + 1]
    c22 = s[_S_COV + 2]
    s[_S_COV] = c00 + ((gx * gx - c00) >> k)
    s[_S_COV + 1] = c11 + ((gy * gy - c11) >> k)
    s[_S_COV + 2] = c22 + ((gz * gz - c22) >> k)
    c = s[_S_COV + 3]
    s[_S_COV + 3] = c + ((gx * gy - c) >> k)
    c = s[_S_COV + 4]
    s[_S_COV + 4] = c + ((gx * gz - c) >> k)
    c = s[_S_COV + 5]
    s[_S_COV + 5] = c + ((gy * gz - c) >> k)
    # the average's shift grows 0, 1, 2 ... _AVG_SHIFT (step_detector.AverageShift)
    if k < _AVG_SHIFT:
        seen = s[_S_AVG_SEEN] + 1
        if seen >= (1 << k):
            s[_S_AVG_SHIFT] = k + 1
            seen = 0
        s[_S_AVG_SEEN] = seen
    # a power-iteration step every _AXIS_EVERY updates on a schedule that does not depend
    # on the data, at every one while the axis is young; none at rest (the trace, below
    # 3 * 2**26, does not depend on the mounting)
    left = s[_S_AXIS_LEFT] - 1
    if left <= 0:
        left = _AXIS_EVERY
    s[_S_AXIS_LEFT] = left
    if s[_S_AXIS_YOUNG] <= 0 and left < _AXIS_EVERY:
        return 0
    if s[_S_COV] + s[_S_COV + 1] + s[_S_COV + 2] < s[_S_AXIS_MIN_VAR]:
        return 0
    return 1


def gyro_axis_py(st):
    """Plain twin of foot_gyro_viper.gyro_axis: power iteration from the previous axis
    (a unit vector in Q14; its sign stays continuous) on the covariance."""
    s = st
    c00 = s[_S_COV]
    c11 = s[_S_COV + 1]
    c22 = s[_S_COV + 2]
    big = c00 + c11 + c22  # < 3 * 2**26
    sh = 0
    while (big >> sh) >= 8192:
        sh += 1
    c00 >>= sh
    c11 >>= sh
    c22 >>= sh
    c01 = s[_S_COV + 3] >> sh
    c02 = s[_S_COV + 4] >> sh
    c12 = s[_S_COV + 5] >> sh
    v0 = s[_S_AXIS]
    v1 = s[_S_AXIS + 1]
    v2 = s[_S_AXIS + 2]
    young = s[_S_AXIS_YOUNG]
    steps = 1
    if young > 0:
        steps = _AXIS_YOUNG_STEPS
        s[_S_AXIS_YOUNG] = young - 1
    seed = 0
    if v0 == 0 and v1 == 0 and v2 == 0:
        # the first motion: from the axis of the largest variance to convergence
        seed = 1
        steps = _AXIS_SEED_STEPS
        if c00 >= c11 and c00 >= c22:
            v0 = _ONE_Q14
        elif c11 >= c22:
            v1 = _ONE_Q14
        else:
            v2 = _ONE_Q14
    norm = 0
    sh = 0
    for _ in range(steps):
        # |c| < 2**13, |v| <= 2**14: each sum < 3 * 2**27
        u0 = c00 * v0 + c01 * v1 + c02 * v2
        u1 = c01 * v0 + c11 * v1 + c12 * v2
        u2 = c02 * v0 + c12 * v1 + c22 * v2
        m = u0 if u0 >= 0 else -u0  # the largest magnitude
        if u1 > m or -u1 > m:
            m = u1 if u1 >= 0 else -u1
        if u2 > m or -u2 > m:
            m = u2 if u2 >= 0 else -u2
        sh = 0
        while (m >> sh) >= 16384:
            sh += 1
        u0 >>= sh  # |u| < 2**14: the sum of squares < 3 * 2**28
        u1 >>= sh
        u2 >>= sh
        q = u0 * u0 + u1 * u1 + u2 * u2
        norm = 0  # floor(sqrt(q)) by Newton's method (fixedpoint.isqrt)
        if q > 0:
            norm = q
            r = (norm + 1) >> 1
            while r < norm:
                norm = r
                r = (norm + q // norm) >> 1
        if norm == 0:
            return 0
        v0 = (u0 << _Q14) // norm
        v1 = (u1 << _Q14) // norm
        v2 = (u2 << _Q14) // norm
    if seed:  # only a motion turning mostly about one axis (|C v| < 3 * 2**13) gives it
        if 10 * ((norm << sh) >> _Q14) < _AXIS_SEED_SHARE * (c00 + c11 + c22):
            return 0
        s[_S_AXIS_YOUNG] = _AXIS_YOUNG
    s[_S_AXIS] = v0
    s[_S_AXIS + 1] = v1
    s[_S_AXIS + 2] = v2
    return 1
