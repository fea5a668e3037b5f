# Foot contacts from a force-sensing insole: contact on/off with hysteresis, contact,
# swing and flight time, strike pattern, peak force, loading rate, centre-of-pressure path
# and the share of the load each zone carries. Integer arithmetic only in `push`, no
# allocation per scan, every stored or intermediate value below 2**30 (ESP32 small ints).
# The per-zone loops run as viper code on MicroPython (pressure_viper.py) and as their
# plain twins here under CPython.
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
# Also: `flags` (PFLAG_* bits, read and cleared by take_flags()), `state` (== STATE_ON
# while a confirmed contact is on the ground), `index` (scans pushed plus gap() scans),
# crossing_ms(index, frac) (ms from the first scan; exact for ~11 days at 100 Hz),
# gap(n) (n scans lost: the contact in progress is dropped).

import array
import sys

import micropython
from micropython import const

from podfw.gait.fixedpoint import rate_fraction

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

# `state`: STATE_ON while a confirmed contact is on the ground
STATE_ON = const(2)
_OFF = const(0)
_CANDIDATE = const(1)
_ON = const(2)
_STANDING = const(3)  # loaded when sampling began: wait for the foot to lift


def scan_zones_py(zones, force, stuck_run, zx, zy, sums, nz, fs, stuck_samples):
    """One scan: clamps negative zones, leaves out zones stuck at full scale, copies the
    zone forces to `force`; sums = [total, sum f*x, sum f*y]. Returns PFLAG_* bits.
    Plain twin of pressure_viper.scan_zones (tests/firmware/test_pressure_fw.py)."""
    total = 0
    sx = 0
    sy = 0
    flags = 0
    for i in range(nz):
        f = zones[i]
        if f < 0:
            flags |= PFLAG_NEGATIVE
            f = 0
        if f >= fs:
            run = stuck_run[i]
            if run < stuck_samples:
                stuck_run[i] = run + 1
            else:
                flags |= PFLAG_STUCK
                f = 0
        else:
            stuck_run[i] = 0
        force[i] = f
        total += f
        sx += f * zx[i]
        sy += f * zy[i]
    sums[0] = total
    sums[1] = sx
    sums[2] = sy
    return flags


def add_impulse_py(force, impulse, nz, limit):
    """impulse += force per zone; 1 when a zone went above limit.
    Plain twin of pressure_viper.add_impulse."""
    big = 0
    for i in range(nz):
        v = impulse[i] + force[i]
        impulse[i] = v
        if v > limit:
            big = 1
    return big


if sys.implementation.name == "micropython":
    from podfw.gait.pressure_viper import add_impulse, scan_zones
else:  # viper does not exist under CPython
    scan_zones = scan_zones_py
    add_impulse = add_impulse_py


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
        self.nz = nz
        self.zx = array.array("i", _per_mille([int(xy[0]) for xy in zone_xy]))
        self.zy = array.array("i", _per_mille([int(xy[1]) for xy in zone_xy]))
        self.rate_num, self.rate_den = rate_fraction(rate_hz)
        rate = self.rate_num // self.rate_den
        self.full_scale = int(full_scale)
        self.lsb_per_newton = lsb_per_newton
        self.initial_peak = int(initial_peak_newton) * lsb_per_newton
        self.stuck_samples = rate  # one second at full scale
        self.start_samples = max(1, (rate * 3 + 50) // 100)  # 30 ms for the strike CoP
        self.idle_samples = 2 * rate  # off the ground this long: let peak_track relax
        self.max_ramp = (rate * 3 + 5) // 10  # 300 ms from touch to confirm at most
        # floor average: time constant about 0.2 s
        shift = 0
        while (2 << shift) <= rate // 5:
            shift += 1
        self.floor_shift = shift
        self.force = array.array("i", [0] * nz)  # this scan after clamping
        self.stuck_run = array.array("i", [0] * nz)
        self.impulse = array.array("i", [0] * nz)
        self.share = array.array("h", [0] * nz)
        # ring of the last totals: the loading rate is the rise over 20 ms (slope lag)
        self.recent = array.array("i", [0] * max(1, (rate + 25) // 50))
        self.sums = array.array("i", [0, 0, 0])  # total, sum f*x, sum f*y of this scan
        self.reset()

    def reset(self):
        """Forgets the wearer: thresholds start again from the initial peak."""
        self.index = 0
        self.flags = 0
        self.floor_acc = 0  # floor << floor_shift, so the average keeps its fraction
        self.peak_track = 0
        self.touch_margin = 0
        self.confirm_margin = 0
        self._track_peak(self.initial_peak)
        self._set_floor(0)
        self.recent_pos = 0
        self.lag_total = 0  # the total len(recent) scans ago
        self.state = _OFF
        self.rise_start = 0
        self.started = False  # first sample seen (decides _STANDING)
        self.low_min = 0  # lowest total while _STANDING
        self.prev_total = 0
        self.idle = 0
        self.have_off = False
        self.last_off_index = 0
        self.last_off_frac = 0
        self.on_index = 0
        self.on_frac = 0
        self.off_index = 0
        self.off_frac = 0
        self.contact_ms = 0
        self.swing_ms = 0
        self.flight_ms = 0
        self.peak = 0
        self.peak_index = 0
        self.loading_rate = 0
        self.loading = False
        self.max_rise = 0
        self.strike = _STRIKE_NONE
        self.strike_pos = 0
        self.first_zone = 0
        self.start_left = 0
        self.start_sum = 0
        self.start_count = 0
        self.cop_y_start = 0
        self.cop_y_end = 0
        self.cop_x_min = 0
        self.cop_x_max = 0
        self.cop_ml_range = 0
        for i in range(self.nz):
            self.stuck_run[i] = 0
            self.impulse[i] = 0
            self.share[i] = 0
        for i in range(len(self.recent)):
            self.recent[i] = 0

    def take_flags(self):
        """Returns the PFLAG_* bits seen since the last call and clears them."""
        f = self.flags
        self.flags = 0
        return f

    def _track_peak(self, peak_track):
        lsb = self.lsb_per_newton
        if peak_track < _MIN_PEAK_N * lsb:
            peak_track = _MIN_PEAK_N * lsb
        self.peak_track = peak_track
        m = peak_track // _TOUCH_DIV
        self.touch_margin = m if m > _MIN_TOUCH_N * lsb else _MIN_TOUCH_N * lsb
        m = peak_track // _CONFIRM_DIV
        self.confirm_margin = m if m > _MIN_CONFIRM_N * lsb else _MIN_CONFIRM_N * lsb

    def _stand(self):
        self.state = _STANDING
        self.idle = 0
        self.low_min = 0x3FFFFFFF  # above any total

    def _follow_floor(self, total):
        self.floor_acc += total - self.floor
        self.floor = self.floor_acc >> self.floor_shift

    def _set_floor(self, total):
        self.floor = total
        self.floor_acc = total << self.floor_shift

    def gap(self, n):
        """n scans were lost: time moves on and a contact in progress is dropped."""
        if n <= 0:
            return
        self.index += n
        self.flags |= PFLAG_GAP
        if self.state != _OFF:
            if self.state == _ON:
                self._stand()
            else:
                self.state = _OFF
        self.have_off = False

    @micropython.native
    def push(self, zones):
        """One scan (ints, 0.1 N per LSB by default). Returns EV_ON / EV_OFF bits."""
        n = self.index
        self.index = n + 1
        sums = self.sums
        flags = scan_zones(zones, self.force, self.stuck_run, self.zx, self.zy, sums,
                           self.nz, self.full_scale, self.stuck_samples)
        if flags:
            self.flags |= flags
        total = sums[0]
        pos = self.recent_pos
        self.lag_total = self.recent[pos]
        self.recent[pos] = total
        pos += 1
        self.recent_pos = 0 if pos == len(self.recent) else pos
        prev = self.prev_total
        self.prev_total = total
        touch = self.floor + self.touch_margin
        state = self.state
        if not self.started:
            self.started = True
            if total > touch:
                self._stand()
                return 0
            prev = total
        if state == _STANDING:
            # wait for the foot to lift. Below confirm for a second in all (not in a
            # row: a walker's swing is shorter) means the lowest level seen is an
            # insole offset, not a foot still standing on it.
            if total < self.floor + self.confirm_margin:
                self.idle += 1
                if total < self.low_min:
                    self.low_min = total
            if total <= touch or self.idle >= self.stuck_samples:
                if total > touch:
                    self._set_floor(self.low_min)
                self.idle = 0
                self.state = _OFF
            return 0
        if state == _OFF:
            if total <= touch:
                self._follow_floor(total)
                self.idle += 1
                if self.idle >= self.idle_samples:
                    # nothing confirmed for a while: a lighter wearer or a weaker
                    # insole must still be found
                    self.idle = 0
                    self._track_peak(self.peak_track - (self.peak_track >> _PEAK_RELAX_SHIFT))
                return 0
            self.rise_start = n
            self._begin(n, prev, total, touch)
            state = _CANDIDATE
        elif (state == _CANDIDATE and n - self.rise_start > self.max_ramp and total > touch
              and (self.peak <= touch + self.touch_margin
                   or n - self.rise_start > self.stuck_samples)):
            # above touch for too long without loading up, and low (within a touch margin
            # of it) or for over a second: an insole offset or a foot resting lightly, not
            # a strike. Learn it as floor; a strike from here on starts at the last sample
            # of the hover. A foot that loads slowly (a weak heel zone, a light step)
            # keeps the start where it touched down.
            self._follow_floor(total)
            self._begin(n, prev, total, touch)
        elif total <= touch:
            self.state = _OFF
            if state == _CANDIDATE:
                return 0
            return self._end(n, prev, total, touch)
        self._accumulate(n, total, sums[1], sums[2])
        if state == _CANDIDATE:
            if total >= self.floor + self.confirm_margin:
                self.state = _ON
                return EV_ON
            self.state = _CANDIDATE
        return 0

    def _begin(self, n, prev, total, touch):
        # crossing between sample n-1 (prev <= touch) and n (total > touch)
        self.on_index = n - 1
        frac = 0
        if prev < touch:
            frac = (touch - prev) * 100 // (total - prev)
        self.on_frac = frac
        cs = 0
        if self.have_off:
            d = self.on_index - self.last_off_index
            if d < _MAX_DURATION_SAMPLES:
                cs = d * 100 + frac - self.last_off_frac
        self.swing_ms = self._ms(cs)
        self.peak = 0
        self.peak_index = n
        self.loading = True
        self.max_rise = 0
        best = 0
        force = self.force
        for i in range(self.nz):
            if force[i] > force[best]:
                best = i
            self.impulse[i] = 0
        self.first_zone = best
        self.start_left = self.start_samples
        self.start_sum = 0
        self.start_count = 0
        self.cop_x_min = _SPAN
        self.cop_x_max = 0

    @micropython.native
    def _accumulate(self, n, total, sx, sy):
        if total > self.peak:
            self.peak = total
            self.peak_index = n
        if self.loading:
            if total * 10 < self.peak * 9:
                self.loading = False  # past the first peak
            else:
                rise = total - self.lag_total
                if rise > self.max_rise:
                    self.max_rise = rise
        half = total >> 1  # rounded centre of pressure
        cx = (sx + half) // total
        cy = (sy + half) // total
        if cx < self.cop_x_min:
            self.cop_x_min = cx
        if cx > self.cop_x_max:
            self.cop_x_max = cx
        self.cop_y_end = cy
        if self.start_left > 0:
            self.start_left -= 1
            self.start_sum += cy
            self.start_count += 1
        if add_impulse(self.force, self.impulse, self.nz, _HALF_LIMIT):
            # a long standing contact: halve all, the shares stay the same
            imp = self.impulse
            for i in range(self.nz):
                imp[i] >>= 1

    def _end(self, n, prev, total, touch):
        # crossing between sample n-1 (prev > touch) and n (total <= touch)
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
        self.have_off = True
        self.last_off_index = self.off_index
        self.last_off_frac = frac
        self.idle = 0
        # loading rate: rise over the slope lag (len(recent) samples) in 0.1 N -> N/s
        lag = len(self.recent)
        self.loading_rate = (self.max_rise * self.rate_num // (lag * self.rate_den)) // 10
        # strike pattern from the first-loaded zone and the early centre of pressure
        cop0 = self.cop_y_end
        if self.start_count:
            cop0 = (self.start_sum + (self.start_count >> 1)) // self.start_count
        self.cop_y_start = cop0
        pos = (cop0 + self.zy[self.first_zone] + 1) >> 1
        self.strike_pos = pos
        if pos < _SPAN // 3:
            self.strike = STRIKE_HEEL
        elif pos > (2 * _SPAN) // 3:
            self.strike = STRIKE_FORE
        else:
            self.strike = STRIKE_MID
        self.cop_ml_range = self.cop_x_max - self.cop_x_min
        # shares: scale the impulses below 2**20 so that v * 1000 stays below 2**30
        imp = self.impulse
        top = 0
        for i in range(self.nz):
            if imp[i] > top:
                top = imp[i]
        shift = 0
        while (top >> shift) >= (1 << 20):
            shift += 1
        whole = 0
        for i in range(self.nz):
            whole += imp[i] >> shift
        if whole < 1:
            whole = 1
        for i in range(self.nz):
            self.share[i] = ((imp[i] >> shift) * 1000 + (whole >> 1)) // whole
        # follow the wearer: a quarter of the way to this contact's peak
        self._track_peak(self.peak_track + ((self.peak - self.peak_track) >> _PEAK_FOLLOW_SHIFT))
        return EV_OFF

    def crossing_ms(self, index, frac):
        """Time in ms since the first sample of a crossing (index + frac/100 samples)."""
        q = index // self.rate_num
        r = index - q * self.rate_num
        block = 1000 * self.rate_den
        return q * block + (r * 100 + frac) * block // (100 * self.rate_num)

    def _ms(self, centisamples):
        if centisamples <= 0:
            return 0
        num = 10 * self.rate_den  # ms = centisamples * num // rate_num
        top = ((1 << 30) - 1) // num  # keeps the product a small int
        if centisamples > top:
            centisamples = top
        return centisamples * num // self.rate_num
