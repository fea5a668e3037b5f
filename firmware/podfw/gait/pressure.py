# Foot contacts from a force-sensing insole: contact on/off with hysteresis, contact,
# swing and flight time, strike pattern, peak force, loading rate, centre-of-pressure path
# and the share of the load each zone carries. Integer arithmetic only in `push`, no
# allocation per scan, every stored or intermediate value below 2**30 (ESP32 small ints).
# On MicroPython `push` is a viper function over the state array (pressure_viper.py: the
# zones and the common scans in machine ints; the rare steps, a contact's start and end,
# in the plain methods it calls); under CPython its plain twin push_py.
#
# Detection (thresholds follow the wearer and the insole, not fixed newtons):
#   total    = sum of the zones (negative readings count as 0, stuck zones are left out)
#   floor    = average of `total` while the foot is in the air (time constant ~0.2 s):
#              zone offsets, drift and creep of the sensors
#   touch    = floor + max(peak_track / 50, 2 N)     the foot is on the ground above this
#   confirm  = floor + max(peak_track / 8, 10 N)     a contact must reach this to count
#   peak_track moves a quarter of the way to each contact's peak force (starting from
#   700 N, relaxing by 1/8 every 2 s without a contact), so the thresholds scale with
#   body weight and with running (2-3 body weights) against walking (~1.2).
# A contact starts when `total` rises above `touch`, is confirmed when it reaches
# `confirm`, and ends when `total` falls to `touch` again. The wide gap between the two
# levels is the hysteresis: an insole hovering near `touch` at toe-off cannot chatter.
# A rise that stays between the levels for over 300 ms, low (within a touch margin of
# touch) or for over a second, is a foot resting lightly or an offset, not a strike: it
# is learnt as floor (a higher one is a foot loading slowly: it keeps its start). A foot
# already loaded at the first scan is waited out until it lifts (or, after 1 s below
# confirm in all, its lowest level is taken as the insole's offset). Start and end are
# interpolated to 1/100 sample.
#
# Events returned by push() (bits, 0 most of the time):
#   EV_ON   a contact was confirmed. Read: on_index, on_frac (start = on_index +
#           on_frac/100 samples; on_index is the last scan at or below touch), swing_ms.
#   EV_OFF  a contact ended. Only contacts whose start was seen are reported (a foot
#           already loaded when sampling began has no contact time). Read:
#       on_index, on_frac    start, as at EV_ON
#       off_index, off_frac  end = off_index + off_frac/100 samples (1..100; off_index
#                     is the last scan above touch)
#       contact_ms    ground contact time
#       swing_ms      this foot's time in the air before the contact (0 = unknown)
#       flight_ms     estimated time both feet were airborne, (swing - contact) / 2 for a
#                     symmetric gait: 0 when walking (double support), > 0 running
#       peak          peak total force (LSB, 0.1 N by default), peak_index its scan
#       loading_rate  steepest rise of the total force over 20 ms before the first peak,
#                     in N/s
#       strike        STRIKE_HEEL / STRIKE_MID / STRIKE_FORE, known at EV_OFF (it needs
#                     the first 30 ms of the contact); strike_pos the position it was
#                     judged from (per mille of foot length, heel 0, toes 1000): the mean
#                     of the first-loaded zone's y and the centre of pressure over the
#                     first 30 ms; heel < 333 <= midfoot <= 666 < forefoot
#       first_zone    index of the zone that loaded first (largest at the first scan)
#       cop_y_start, cop_y_end   centre of pressure along the foot, per mille of length
#       cop_ml_range  medial/lateral excursion of the centre of pressure, per mille of the
#                     zones' x span
#       share         array('h') of per-mille load share per zone (force-time integral)
# Also: take_flags() (PFLAG_* bits seen since the last call), on_ground() (a confirmed
# contact is on the ground), crossing_ms(index, frac) (ms from the first scan; exact for
# ~11 days at 100 Hz), gap(n) (n scans lost: the contact in progress is dropped).
# Everything else the detector keeps is in one int array, `st` (layout below).

import array

from micropython import const

from podfw.gait.fixedpoint import rate_fraction
from podfw.gait.pressure_viper import push as _push

EV_ON = const(1)
EV_OFF = const(2)

_STRIKE_NONE = const(0)
STRIKE_HEEL = const(1)
STRIKE_MID = const(2)
STRIKE_FORE = const(3)

PFLAG_NEGATIVE = const(1)  # a zone read below zero (wiring / calibration fault)
PFLAG_STUCK = const(2)  # a zone sat at full scale for over a second; left out of the sum
PFLAG_GAP = const(4)  # samples were lost; a contact in progress was dropped

MAX_ZONES = const(16)
_SPAN = const(1000)  # zone coordinates are rescaled to 0..1000 per mille of the zone span
# The thresholds, named as the float reference (stridepod.recordings.reference.pressure)
# names them, which imports them from here (private const()s cost the pod no heap).
_TOUCH_DIV = const(50)  # touch margin = peak_track / 50 ...
_MIN_TOUCH_N = const(2)  # ... and at least 2 N
_CONFIRM_DIV = const(8)  # confirm margin = peak_track / 8 ...
_MIN_CONFIRM_N = const(10)  # ... and at least 10 N
_MIN_PEAK_N = const(50)  # peak_track never drops below this
_INITIAL_PEAK_N = const(700)  # peak_track before the first contact
_PEAK_FOLLOW_SHIFT = const(2)  # peak_track moves 1/4 of the way to each contact's peak
_PEAK_RELAX_SHIFT = const(3)  # and relaxes by 1/8 every idle period without a contact
_HALF_LIMIT = const(1 << 29)  # zone impulse accumulators are halved above this
_MAX_DURATION_SAMPLES = const(100000)  # longer sample differences are not durations any more

# the detector's state (_ST_*)
_OFF = const(0)
_CANDIDATE = const(1)
_ON = const(2)  # a confirmed contact is on the ground
_STANDING = const(3)  # loaded when sampling began: wait for the foot to lift

# Layout of the state array `st` (array('i'): one int array instead of ~45 attributes,
# so that the viper push reaches everything through one pointer and the pod keeps no
# dict slot per field). Scalars first:
_INDEX = const(0)  # scans pushed plus gap() scans
_FLAGS = const(1)  # PFLAG_* bits since take_flags()
_ST = const(2)  # _OFF, _CANDIDATE, _ON or _STANDING
_STARTED = const(3)  # 1 once the first scan was seen (it decides _STANDING)
_FLOOR = const(4)  # average total while the foot is in the air
_FLOOR_ACC = const(5)  # floor << floor shift, so the average keeps its fraction
_TOUCH_MARGIN = const(6)  # touch = floor + this
_CONFIRM_MARGIN = const(7)  # confirm = floor + this
_PEAK_TRACK = const(8)
_PREV_TOTAL = const(9)  # the total of the scan before
_RECENT_POS = const(10)  # next slot of the ring of recent totals
_IDLE_RUN = const(11)  # scans without a contact (while _STANDING: below confirm)
_LOW_MIN = const(12)  # lowest total while _STANDING
_RISE_START = const(13)  # scan at which the total rose above touch
_PEAK = const(14)  # the contact so far: peak total and its scan
_PEAK_INDEX = const(15)
_LOADING = const(16)  # 1 until the total falls below 90 % of the peak
_MAX_RISE = const(17)  # steepest rise over the slope lag while loading
_COP_X_MIN = const(18)  # range of the centre of pressure across the foot
_COP_X_MAX = const(19)
_COP_Y_END = const(20)  # latest centre of pressure along the foot
_START_LEFT = const(21)  # scans left of the first 30 ms, their y sum and count
_START_SUM = const(22)
_START_COUNT = const(23)
_HAVE_OFF = const(24)  # 1 once a contact's end was seen: the next swing is measured
_LAST_OFF_INDEX = const(25)
_LAST_OFF_FRAC = const(26)
# configuration, set once
_NZ = const(27)
_ZONE_FULL_SCALE = const(28)
_STUCK_SAMPLES = const(29)  # one second at full scale
_IDLE_SAMPLES = const(30)  # off the ground this long: let peak_track relax
_MAX_RAMP = const(31)  # 300 ms from touch to confirm at most
_START_SAMPLES = const(32)  # 30 ms for the strike CoP
_FLOOR_SHIFT = const(33)  # floor average: time constant about 0.2 s
_N_RECENT = const(34)  # length of the ring of recent totals (the 20 ms slope lag)
_RATE_NUM = const(35)  # the scan rate as a fraction num/den Hz
_RATE_DEN = const(36)
_LSB = const(37)  # LSB per newton
_INITIAL_PEAK = const(38)
_SX = const(39)  # this scan: sum of force * x, force * y (LSB * per mille, < 2**29)
_SY = const(40)
_LAG = const(41)  # the total _N_RECENT scans before this one
# then one record of _ZONE_INTS per zone, then the ring of the last _N_RECENT totals
_ZONES = const(42)
_Z_FORCE = const(0)  # this scan after clamping
_Z_RUN = const(1)  # scans in a row at full scale
_Z_X = const(2)  # position, per mille of the zones' span
_Z_Y = const(3)
_Z_IMPULSE = const(4)  # force-time integral over the contact
_ZONE_INTS = const(5)


# what a contact reports, as attributes (module header)
_REPORTED = ("on_index", "on_frac", "off_index", "off_frac", "contact_ms", "swing_ms",
             "flight_ms", "peak", "peak_index", "loading_rate", "strike", "strike_pos",
             "first_zone", "cop_y_start", "cop_y_end", "cop_ml_range")


def _per_mille(values):
    lo = min(values)
    hi = max(values)
    if hi == lo:
        return [_SPAN // 2 for _ in values]
    return [((v - lo) * _SPAN + (hi - lo) // 2) // (hi - lo) for v in values]


class PressureContacts:
    def __init__(self, zone_xy, rate_hz, lsb_per_newton=10, full_scale=32767,
                 initial_peak_newton=_INITIAL_PEAK_N):
        nz = len(zone_xy)
        if nz < 1 or nz > MAX_ZONES:
            raise ValueError("pressure zones: need 1 to %d, got %d" % (MAX_ZONES, nz))
        if not (10 <= rate_hz <= 1000):
            raise ValueError("pressure rate must be 10..1000 Hz")
        lsb_per_newton = int(lsb_per_newton)  # thresholds must be ints: no floats per scan
        if lsb_per_newton < 1 or lsb_per_newton > 1000 or full_scale < 1 or full_scale > 32767:
            raise ValueError("pressure scale out of range")
        num, den = rate_fraction(rate_hz)
        rate = num // den
        n_recent = max(1, (rate + 25) // 50)  # the loading rate is the rise over 20 ms
        self.st = s = array.array("i", bytes(4 * (_ZONES + _ZONE_INTS * nz + n_recent)))
        s[_NZ] = nz
        s[_ZONE_FULL_SCALE] = int(full_scale)
        s[_STUCK_SAMPLES] = rate
        s[_IDLE_SAMPLES] = 2 * rate
        s[_MAX_RAMP] = (rate * 3 + 5) // 10
        s[_START_SAMPLES] = max(1, (rate * 3 + 50) // 100)
        shift = 0
        while (2 << shift) <= rate // 5:
            shift += 1
        s[_FLOOR_SHIFT] = shift
        s[_N_RECENT] = n_recent
        s[_RATE_NUM] = num
        s[_RATE_DEN] = den
        s[_LSB] = lsb_per_newton
        s[_INITIAL_PEAK] = int(initial_peak_newton) * lsb_per_newton
        xs = _per_mille([int(xy[0]) for xy in zone_xy])
        ys = _per_mille([int(xy[1]) for xy in zone_xy])
        for i in range(nz):
            s[_ZONES + _ZONE_INTS * i + _Z_X] = xs[i]
            s[_ZONES + _ZONE_INTS * i + _Z_Y] = ys[i]
        self.share = array.array("h", bytes(2 * nz))
        self.reset()

    def reset(self):
        """Forgets the wearer: thresholds start again from the initial peak."""
        s = self.st
        for i in range(_NZ):
            s[i] = 0
        z = _ZONES
        for i in range(s[_NZ]):
            s[z + _Z_FORCE] = 0
            s[z + _Z_RUN] = 0
            s[z + _Z_IMPULSE] = 0
            self.share[i] = 0
            z += _ZONE_INTS
        for i in range(s[_N_RECENT]):
            s[z + i] = 0
        self._track_peak(s[_INITIAL_PEAK])
        for name in _REPORTED:  # what a contact reports (read at EV_ON / EV_OFF)
            setattr(self, name, 0)

    def take_flags(self):
        """Returns the PFLAG_* bits seen since the last call and clears them."""
        f = self.st[_FLAGS]
        self.st[_FLAGS] = 0
        return f

    def on_ground(self):
        """True while a confirmed contact is on the ground."""
        return self.st[_ST] == _ON

    def _track_peak(self, peak_track):
        s = self.st
        lsb = s[_LSB]
        if peak_track < _MIN_PEAK_N * lsb:
            peak_track = _MIN_PEAK_N * lsb
        s[_PEAK_TRACK] = peak_track
        m = peak_track // _TOUCH_DIV
        s[_TOUCH_MARGIN] = m if m > _MIN_TOUCH_N * lsb else _MIN_TOUCH_N * lsb
        m = peak_track // _CONFIRM_DIV
        s[_CONFIRM_MARGIN] = m if m > _MIN_CONFIRM_N * lsb else _MIN_CONFIRM_N * lsb

    def _relax(self):
        # nothing confirmed for a while: a lighter wearer or a weaker insole must still
        # be found
        s = self.st
        s[_IDLE_RUN] = 0
        self._track_peak(s[_PEAK_TRACK] - (s[_PEAK_TRACK] >> _PEAK_RELAX_SHIFT))

    def _stand(self):
        s = self.st
        s[_ST] = _STANDING
        s[_IDLE_RUN] = 0
        s[_LOW_MIN] = 0x3FFFFFFF  # above any total

    def _follow_floor(self, total):
        s = self.st
        acc = s[_FLOOR_ACC] + total - s[_FLOOR]
        s[_FLOOR_ACC] = acc
        s[_FLOOR] = acc >> s[_FLOOR_SHIFT]

    def gap(self, n):
        """n scans were lost: time moves on and a contact in progress is dropped."""
        if n <= 0:
            return
        s = self.st
        s[_INDEX] += n
        s[_FLAGS] |= PFLAG_GAP
        if s[_ST] == _ON:
            self._stand()
        elif s[_ST] != _OFF:
            s[_ST] = _OFF
        s[_HAVE_OFF] = 0

    push = _push  # one scan; returns EV_ON / EV_OFF bits (podfw.gait.pressure_viper)

    def _step(self, n, prev, total, sx, sy, lag):
        """The detector's step on this scan: its scan index, the total before it, its
        total, sums of force * x and force * y and the total the slope lag before it
        (the zone forces are in `st`)."""
        s = self.st
        touch = s[_FLOOR] + s[_TOUCH_MARGIN]
        state = s[_ST]
        if not s[_STARTED]:
            s[_STARTED] = 1
            if total > touch:
                self._stand()
                return 0
            prev = total
        if state == _STANDING:
            # wait for the foot to lift. Below confirm for a second in all (not in a
            # row: a walker's swing is shorter) means the lowest level seen is an
            # insole offset, not a foot still standing on it.
            if total < s[_FLOOR] + s[_CONFIRM_MARGIN]:
                s[_IDLE_RUN] += 1
                if total < s[_LOW_MIN]:
                    s[_LOW_MIN] = total
            if total <= touch or s[_IDLE_RUN] >= s[_STUCK_SAMPLES]:
                if total > touch:
                    s[_FLOOR] = s[_LOW_MIN]
                    s[_FLOOR_ACC] = s[_LOW_MIN] << s[_FLOOR_SHIFT]
                s[_IDLE_RUN] = 0
                s[_ST] = _OFF
            return 0
        if state == _OFF:
            if total <= touch:
                self._follow_floor(total)
                s[_IDLE_RUN] += 1
                if s[_IDLE_RUN] >= s[_IDLE_SAMPLES]:
                    self._relax()
                return 0
            s[_RISE_START] = n
            self._begin(n, prev, total, touch)
            state = _CANDIDATE
        elif (state == _CANDIDATE and n - s[_RISE_START] > s[_MAX_RAMP] and total > touch
              and (s[_PEAK] <= touch + s[_TOUCH_MARGIN]
                   or n - s[_RISE_START] > s[_STUCK_SAMPLES])):
            # above touch for too long without loading up, and low (within a touch margin
            # of it) or for over a second: an insole offset or a foot resting lightly, not
            # a strike. Learn it as floor; a strike from here on starts at the last sample
            # of the hover. A foot that loads slowly (a weak heel zone, a light step)
            # keeps the start where it touched down.
            self._follow_floor(total)
            self._begin(n, prev, total, touch)
        elif total <= touch:
            s[_ST] = _OFF
            if state == _CANDIDATE:
                return 0
            return self._end(n, prev, total, touch)
        self._accumulate(n, total, sx, sy, lag)
        if state == _CANDIDATE:
            if total >= s[_FLOOR] + s[_CONFIRM_MARGIN]:
                s[_ST] = _ON
                return EV_ON
            s[_ST] = _CANDIDATE
        return 0

    def _begin(self, n, prev, total, touch):
        # crossing between sample n-1 (prev <= touch) and n (total > touch)
        s = self.st
        self.on_index = n - 1
        frac = 0
        if prev < touch:
            frac = (touch - prev) * 100 // (total - prev)
        self.on_frac = frac
        cs = 0
        if s[_HAVE_OFF]:
            d = self.on_index - s[_LAST_OFF_INDEX]
            if d < _MAX_DURATION_SAMPLES:
                cs = d * 100 + frac - s[_LAST_OFF_FRAC]
        self.swing_ms = self._ms(cs)
        s[_PEAK] = 0
        s[_PEAK_INDEX] = n
        s[_LOADING] = 1
        s[_MAX_RISE] = 0
        best = 0
        z = _ZONES
        for i in range(s[_NZ]):
            if s[z + _Z_FORCE] > s[_ZONES + _ZONE_INTS * best + _Z_FORCE]:
                best = i
            s[z + _Z_IMPULSE] = 0
            z += _ZONE_INTS
        self.first_zone = best
        s[_START_LEFT] = s[_START_SAMPLES]
        s[_START_SUM] = 0
        s[_START_COUNT] = 0
        s[_COP_X_MIN] = _SPAN
        s[_COP_X_MAX] = 0

    def _accumulate(self, n, total, sx, sy, lag):
        """One scan of a contact: peak, loading rate, centre of pressure, zone impulses
        (the viper push does the same inline)."""
        s = self.st
        if total > s[_PEAK]:
            s[_PEAK] = total
            s[_PEAK_INDEX] = n
        if s[_LOADING]:
            if total * 10 < s[_PEAK] * 9:
                s[_LOADING] = 0  # past the first peak
            else:
                rise = total - lag
                if rise > s[_MAX_RISE]:
                    s[_MAX_RISE] = rise
        half = total >> 1  # rounded centre of pressure
        cx = (sx + half) // total
        cy = (sy + half) // total
        if cx < s[_COP_X_MIN]:
            s[_COP_X_MIN] = cx
        if cx > s[_COP_X_MAX]:
            s[_COP_X_MAX] = cx
        s[_COP_Y_END] = cy
        if s[_START_LEFT] > 0:
            s[_START_LEFT] -= 1
            s[_START_SUM] += cy
            s[_START_COUNT] += 1
        big = False
        z = _ZONES
        for _ in range(s[_NZ]):
            v = s[z + _Z_IMPULSE] + s[z + _Z_FORCE]
            s[z + _Z_IMPULSE] = v
            if v > _HALF_LIMIT:
                big = True
            z += _ZONE_INTS
        if big:
            self._halve_impulses()

    def _halve_impulses(self):
        # a long standing contact: halve all, the shares stay the same
        s = self.st
        z = _ZONES + _Z_IMPULSE
        for _ in range(s[_NZ]):
            s[z] >>= 1
            z += _ZONE_INTS

    def _end(self, n, prev, total, touch):
        # crossing between sample n-1 (prev > touch) and n (total <= touch)
        s = self.st
        self.off_index = n - 1
        frac = (prev - touch) * 100 // (prev - total)
        self.off_frac = frac
        d = self.off_index - self.on_index
        if d > _MAX_DURATION_SAMPLES:
            d = _MAX_DURATION_SAMPLES
        self.contact_ms = self._ms(d * 100 + frac - self.on_frac)
        flight = 0
        if self.swing_ms > self.contact_ms:
            flight = (self.swing_ms - self.contact_ms) >> 1
        self.flight_ms = flight
        s[_HAVE_OFF] = 1
        s[_LAST_OFF_INDEX] = self.off_index
        s[_LAST_OFF_FRAC] = frac
        s[_IDLE_RUN] = 0
        self.peak = s[_PEAK]
        self.peak_index = s[_PEAK_INDEX]
        # loading rate: rise over the slope lag (_N_RECENT samples) in 0.1 N -> N/s
        self.loading_rate = (s[_MAX_RISE] * s[_RATE_NUM] // (s[_N_RECENT] * s[_RATE_DEN])) // 10
        # strike pattern from the first-loaded zone and the early centre of pressure
        cop0 = self.cop_y_end = s[_COP_Y_END]
        if s[_START_COUNT]:
            cop0 = (s[_START_SUM] + (s[_START_COUNT] >> 1)) // s[_START_COUNT]
        self.cop_y_start = cop0
        pos = (cop0 + s[_ZONES + _ZONE_INTS * self.first_zone + _Z_Y] + 1) >> 1
        self.strike_pos = pos
        if pos < _SPAN // 3:
            self.strike = STRIKE_HEEL
        elif pos > (2 * _SPAN) // 3:
            self.strike = STRIKE_FORE
        else:
            self.strike = STRIKE_MID
        self.cop_ml_range = s[_COP_X_MAX] - s[_COP_X_MIN]
        self._shares()
        # follow the wearer: a quarter of the way to this contact's peak
        self._track_peak(s[_PEAK_TRACK] + ((self.peak - s[_PEAK_TRACK]) >> _PEAK_FOLLOW_SHIFT))
        return EV_OFF

    def _shares(self):
        # scale the impulses below 2**20 so that v * 1000 stays below 2**30 (no
        # allocation: it runs inside push)
        s = self.st
        end = _ZONES + _ZONE_INTS * s[_NZ]
        top = 0
        for z in range(_ZONES + _Z_IMPULSE, end, _ZONE_INTS):
            top = s[z] if s[z] > top else top
        shift = 0
        while (top >> shift) >= (1 << 20):
            shift += 1
        whole = 0
        for z in range(_ZONES + _Z_IMPULSE, end, _ZONE_INTS):
            whole += s[z] >> shift
        whole = whole if whole > 1 else 1
        for z in range(_ZONES + _Z_IMPULSE, end, _ZONE_INTS):
            v = (s[z] >> shift) * 1000 + (whole >> 1)
            self.share[(z - _ZONES) // _ZONE_INTS] = v // whole

    def crossing_ms(self, index, frac):
        """Time in ms since the first sample of a crossing (index + frac/100 samples)."""
        num = self.st[_RATE_NUM]
        q = index // num
        r = index - q * num
        block = 1000 * self.st[_RATE_DEN]
        return q * block + (r * 100 + frac) * block // (100 * num)

    def _ms(self, centisamples):
        if centisamples <= 0:
            return 0
        num = 10 * self.st[_RATE_DEN]  # ms = centisamples * num // rate_num
        top = ((1 << 30) - 1) // num  # keeps the product a small int
        if centisamples > top:
            centisamples = top
        return centisamples * num // self.st[_RATE_NUM]
