# The insole contact detector's per-scan code (podfw.gait.pressure.PressureContacts.push):
# on MicroPython one viper function over the detector's state array `st` (array('i'), its
# layout in podfw.gait.pressure) for the common scans (off the ground below touch, on the
# ground above it), with the zones of the scan read by a second viper function (_scan);
# the rare steps (a contact's start and end, the floor learnt, standing) in the plain
# PressureContacts._step it calls. Under CPython (the host replay, which never runs viper
# code) push is the plain twin push_py; tests/firmware/test_pressure_fw.py proves the
# twins agree (unix64, unix32, every state, extreme values). `zones` is any int sequence
# (array('h') on the pod); forces in LSB (0.1 N by default), positions per mille.
# Nothing here allocates. Every state value stays below 2**30 (ESP32 small ints; viper
# ints wrap at 32 bits): forces <= 32767, 16 zones, sums of force * position < 2**29.
import sys

import micropython
from micropython import const

# podfw.gait.pressure's constants and state layout: viper code needs them inlined
# (tests/host/test_constants_home.py checks the copies agree)
_EV_OFF = const(2)
_EV_ON = const(1)
_PFLAG_NEGATIVE = const(1)  # a zone read below zero (wiring / calibration fault)
_PFLAG_STUCK = const(2)  # a zone sat at full scale for over a second; left out of the sum
_CANDIDATE = const(1)
_CONFIRM_MARGIN = const(7)  # confirm = floor + this
_COP_X_MAX = const(19)
_COP_X_MIN = const(18)  # range of the centre of pressure across the foot
_COP_Y_END = const(20)  # latest centre of pressure along the foot
_FLAGS = const(1)  # PFLAG_* bits since take_flags()
_FLOOR = const(4)  # average total while the foot is in the air
_FLOOR_ACC = const(5)  # floor << floor shift, so the average keeps its fraction
_FLOOR_SHIFT = const(33)  # floor average: time constant about 0.2 s
_ZONE_FULL_SCALE = const(28)
_HALF_LIMIT = const(1 << 29)  # zone impulse accumulators are halved above this
_IDLE_RUN = const(11)  # scans without a contact (while _STANDING: below confirm)
_IDLE_SAMPLES = const(30)  # off the ground this long: let peak_track relax
_INDEX = const(0)  # scans pushed plus gap() scans
_LAG = const(41)  # the total _N_RECENT scans before this one
_LOADING = const(16)  # 1 until the total falls below 90 % of the peak
_MAX_RAMP = const(31)  # 300 ms from touch to confirm at most
_MAX_RISE = const(17)  # steepest rise over the slope lag while loading
_NZ = const(27)
_N_RECENT = const(34)  # length of the ring of recent totals (the 20 ms slope lag)
_OFF = const(0)
_ON = const(2)  # a confirmed contact is on the ground
_PEAK = const(14)  # the contact so far: peak total and its scan
_PEAK_INDEX = const(15)
_PREV_TOTAL = const(9)  # the total of the scan before
_RECENT_POS = const(10)  # next slot of the ring of recent totals
_RISE_START = const(13)  # scan at which the total rose above touch
_ST = const(2)  # _OFF, _CANDIDATE, _ON or _STANDING
_STANDING = const(3)  # loaded when sampling began: wait for the foot to lift
_STARTED = const(3)  # 1 once the first scan was seen (it decides _STANDING)
_START_COUNT = const(23)
_START_LEFT = const(21)  # scans left of the first 30 ms, their y sum and count
_START_SUM = const(22)
_STUCK_SAMPLES = const(29)  # one second at full scale
_SX = const(39)  # this scan: sum of force * x, force * y (LSB * per mille, < 2**29)
_SY = const(40)
_TOUCH_MARGIN = const(6)  # touch = floor + this
_ZONES = const(42)
_ZONE_INTS = const(5)
_Z_FORCE = const(0)  # this scan after clamping
_Z_IMPULSE = const(4)  # force-time integral over the contact
_Z_RUN = const(1)  # scans in a row at full scale
_Z_X = const(2)  # position, per mille of the zones' span
_Z_Y = const(3)


def _scan_py(s, zones):
    """The zones of one scan into the state array (clamped, stuck zones left out), their
    sum of force * x and * y into _SX, _SY and the total into the ring of recent totals
    (the one it replaces, the slope lag's, into _LAG). Returns the total. Plain twin of
    the viper _scan (tests/firmware/test_pressure_fw.py proves the two agree)."""
    fs = s[_ZONE_FULL_SCALE]
    stuck = s[_STUCK_SAMPLES]
    total = 0
    sx = 0
    sy = 0
    flags = 0
    z = _ZONES
    for i in range(s[_NZ]):
        f = zones[i]
        if f < 0:
            flags |= _PFLAG_NEGATIVE
            f = 0
        if f >= fs:
            if s[z + _Z_RUN] < stuck:
                s[z + _Z_RUN] += 1
            else:
                flags |= _PFLAG_STUCK
                f = 0
        else:
            s[z + _Z_RUN] = 0
        s[z + _Z_FORCE] = f
        total += f
        sx += f * s[z + _Z_X]
        sy += f * s[z + _Z_Y]
        z += _ZONE_INTS
    s[_FLAGS] |= flags
    s[_SX] = sx
    s[_SY] = sy
    pos = s[_RECENT_POS]  # z: the ring of recent totals
    s[_LAG] = s[z + pos]
    s[z + pos] = total
    pos += 1
    s[_RECENT_POS] = 0 if pos == s[_N_RECENT] else pos
    return total


if sys.implementation.name == "micropython":
    @micropython.viper
    def _scan(s, zones) -> int:
        p = ptr32(s)  # noqa: F821  (viper built-in)
        fs = p[_ZONE_FULL_SCALE]
        stuck = p[_STUCK_SAMPLES]
        total = 0
        sx = 0
        sy = 0
        flags = 0
        z = _ZONES
        for i in range(p[_NZ]):
            f = int(zones[i])
            if f < 0:
                flags |= _PFLAG_NEGATIVE
                f = 0
            if f >= fs:
                if p[z + _Z_RUN] < stuck:
                    p[z + _Z_RUN] = p[z + _Z_RUN] + 1
                else:
                    flags |= _PFLAG_STUCK
                    f = 0
            else:
                p[z + _Z_RUN] = 0
            p[z + _Z_FORCE] = f
            total += f
            sx += f * p[z + _Z_X]
            sy += f * p[z + _Z_Y]
            z += _ZONE_INTS
        p[_FLAGS] = p[_FLAGS] | flags
        p[_SX] = sx
        p[_SY] = sy
        pos = p[_RECENT_POS]  # z: the ring of recent totals
        p[_LAG] = p[z + pos]
        p[z + pos] = total
        pos += 1
        if pos == p[_N_RECENT]:
            pos = 0
        p[_RECENT_POS] = pos
        return total
else:  # viper does not exist under CPython
    _scan = _scan_py


def push_py(pc, zones):
    """PressureContacts.push as plain Python: the zones of one scan into the state
    array, then the detector's step. Plain twin of the viper push (under CPython it is
    the push; tests/firmware/test_pressure_fw.py proves the two agree)."""
    s = pc.st
    n = s[_INDEX]
    s[_INDEX] = n + 1
    total = _scan_py(s, zones)
    prev = s[_PREV_TOTAL]
    s[_PREV_TOTAL] = total
    return pc._step(n, prev, total, s[_SX], s[_SY], s[_LAG])


if sys.implementation.name == "micropython":
    @micropython.viper
    def push(self, zones) -> int:
        """One scan (ints, 0.1 N per LSB by default). Returns _EV_ON / _EV_OFF bits.
        The common scans here, the rest in _step (as push_py does every scan)."""
        st = self.st
        s = ptr32(st)  # noqa: F821  (viper built-in)
        n = s[_INDEX]
        s[_INDEX] = n + 1
        total = int(_scan(st, zones))
        sx = s[_SX]
        sy = s[_SY]
        lag = s[_LAG]
        prev = s[_PREV_TOTAL]
        s[_PREV_TOTAL] = total
        touch = s[_FLOOR] + s[_TOUCH_MARGIN]
        state = s[_ST]
        if state == _OFF:
            if total <= touch and s[_STARTED]:
                acc = s[_FLOOR_ACC] + total - s[_FLOOR]  # _follow_floor
                s[_FLOOR_ACC] = acc
                s[_FLOOR] = acc >> s[_FLOOR_SHIFT]
                idle = s[_IDLE_RUN] + 1
                s[_IDLE_RUN] = idle
                if idle >= s[_IDLE_SAMPLES]:
                    self._relax()
                return 0
        elif state != _STANDING and total > touch:
            rise = n - s[_RISE_START]
            if (state == _ON or rise <= s[_MAX_RAMP]
                    or (s[_PEAK] > touch + s[_TOUCH_MARGIN] and rise <= s[_STUCK_SAMPLES])):
                # not a hover: _accumulate
                peak = s[_PEAK]
                if total > peak:
                    peak = total
                    s[_PEAK] = total
                    s[_PEAK_INDEX] = n
                if s[_LOADING]:
                    if total * 10 < peak * 9:
                        s[_LOADING] = 0  # past the first peak
                    elif total - lag > s[_MAX_RISE]:
                        s[_MAX_RISE] = total - lag
                half = total >> 1  # rounded centre of pressure
                cx = (sx + half) // total
                cy = (sy + half) // total
                if cx < s[_COP_X_MIN]:
                    s[_COP_X_MIN] = cx
                if cx > s[_COP_X_MAX]:
                    s[_COP_X_MAX] = cx
                s[_COP_Y_END] = cy
                if s[_START_LEFT] > 0:
                    s[_START_LEFT] = s[_START_LEFT] - 1
                    s[_START_SUM] = s[_START_SUM] + cy
                    s[_START_COUNT] = s[_START_COUNT] + 1
                big = 0
                z = _ZONES + _Z_IMPULSE
                for _ in range(s[_NZ]):
                    v = s[z] + s[z - _Z_IMPULSE + _Z_FORCE]
                    s[z] = v
                    if v > _HALF_LIMIT:
                        big = 1
                    z += _ZONE_INTS
                if big:
                    self._halve_impulses()
                if state == _CANDIDATE:
                    if total >= s[_FLOOR] + s[_CONFIRM_MARGIN]:
                        s[_ST] = _ON
                        return _EV_ON
                return 0
        return int(self._step(n, prev, total, sx, sy, lag))
else:  # viper does not exist under CPython
    push = push_py  # noqa: F811
