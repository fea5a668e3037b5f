# The gait engine: integer samples in, gait events and window summaries out.
#
#   eng = GaitEngine(GaitConfig(imu_rate_hz=200, placement="left_foot"))
#   eng.push_imu(ax, ay, az, gx, gy, gz)      # chip LSB, missing axes = 0
#   eng.push_pressure(zones)                  # array of zone forces, 0.1 N
#   while eng.events.pop_into(rec): ...       # rec = array('i', 4): kind, t_ms, a, b
#                                             # (None when GaitConfig(events=0))
#   summary = eng.poll_window()               # a finished WindowSummary or None
#
# Time is the sample count of each fixed-rate stream (SampleClock: exact integer ms).
# Nothing allocates per sample: summaries come from a preallocated pool (a summary
# returned by poll_window stays valid until _SUMMARY_POOL more windows have closed).
from array import array

import micropython
from micropython import const

from podfw.gait import summary as S
from podfw.gait.fixedpoint import SampleClock, isqrt
from podfw.gait.pressure import (
    EV_OFF,
    PFLAG_NEGATIVE,
    PFLAG_STUCK,
    STRIKE_FORE,
    STRIKE_HEEL,
    STRIKE_MID,
    PressureContacts,
)
from podfw.gait.step_detector import FootGyroStrides, shift_for

# Kinds of the gait event records (podfw.gait.events.EventRing)
# initial contact (foot strike): a = impact peak in centi-g (0 = no IMU), b = strike
# pattern (podfw.gait.pressure STRIKE_*, 0 = unknown)
EV_INITIAL_CONTACT = const(1)
# final contact (toe-off): a = ground contact time in ms that just ended (0 = unknown)
EV_FINAL_CONTACT = const(2)

_SUMMARY_POOL = const(4)
_MAX_INTERVALS = const(256)  # per window; later intervals of a very long window are ignored
_MAX_STEP_INTERVAL_MS = const(2500)  # longer gaps are pauses, not slow steps
_MIN_STEP_INTERVAL_MS = const(100)  # 600 steps/min: anything faster is not a step
_FULL_SCALE = const(32767)
_NEVER = const(0x3FFFFFFF)  # largest ESP32 small int: a level no sample reaches
# the window's accumulators: one int array (a dict slot and an interned name per
# attribute would cost heap on the pod)
_W_CONTACTS = const(0)
_W_INTERVAL_COUNT = const(1)
_W_IMPACT_SUM = const(2)
_W_IMPACT_COUNT = const(3)
_W_IMPACT_PEAK = const(4)
_W_CONTACT_SUM = const(5)
_W_CONTACT_COUNT = const(6)
_W_FLIGHT_SUM = const(7)
_W_FLIGHT_COUNT = const(8)
_W_HEEL = const(9)
_W_MID = const(10)
_W_FORE = const(11)
_W_FLAGS = const(12)
_W_DEAD = const(13)
_W_IMU_FIRST = const(14)  # n_imu at the window's start (32 bits: 119 days at 208 Hz)
_W_SIZE = const(15)
# what FootGyroStrides' kernel returns (podfw.gait.step_detector's, the home)
_IMU_SLOW = const(1)
_IMU_CLIP = const(2)
_IMU_DEAD = const(4)


def insertion_sort(values, k):
    """Sorts values[:k] in place (at most _MAX_INTERVALS, once per window) and returns it."""
    for i in range(1, k):
        v = values[i]
        j = i - 1
        while j >= 0 and values[j] > v:
            values[j + 1] = values[j]
            j -= 1
        values[j + 1] = v
    return values


class GaitEngine:
    def __init__(self, config):
        self.config = config
        cfg = config
        # gait events for a consumer that drains them (host replay); the pod sends windows
        self.events = None
        if cfg.events:
            from podfw.gait.events import EventRing

            self.events = EventRing(cfg.events)
        self.imu_clock = SampleClock(cfg.imu_rate_hz) if cfg.has_imu else None
        self.pressure_clock = SampleClock(cfg.pressure_rate_hz) if cfg.has_pressure else None
        # the stream that paces the windows
        self.clock = self.imu_clock if cfg.has_imu else self.pressure_clock
        self.n_imu = 0
        self.n_pressure = 0
        # a pod on one foot sees every other step: each of its strides is two steps
        self.steps_per_contact = 2 if cfg.foot else 1
        self.acc_shift = 0
        self.g = 0
        self.clip_m2 = _NEVER
        self.dead_m2 = 0
        self.imu_detector = None  # FootGyroStrides, FootAccStrides or SacrumSteps
        self.imu_step = None  # FootGyroStrides' per-sample kernel (viper on the pod) ...
        self.imu_state = None  # ... and the state array it works on
        if cfg.has_imu:
            self.acc_shift = shift_for(cfg.acc_lsb_per_g, 256)
            self.g = (cfg.acc_lsb_per_g + (1 << self.acc_shift) // 2) >> self.acc_shift
            top = _FULL_SCALE >> self.acc_shift
            self.clip_m2 = top * top
            # below a quarter of gravity for most of a window: a dead or loose sensor
            # (flight phases last a fraction of each step)
            self.dead_m2 = (self.g >> 2) * (self.g >> 2)
            if cfg.has_gyro and cfg.foot:
                det = FootGyroStrides(self.imu_clock, cfg.imu_rate_hz, cfg.gyro_lsb_per_dps,
                                      self.g, self, self.acc_shift, self.clip_m2, self.dead_m2)
                self.imu_detector = det
                self.imu_step = det.step
                self.imu_state = det.state
            elif cfg.foot:  # the accelerometer-only detectors load only when needed
                from podfw.gait.acc_steps import FootAccStrides

                self.imu_detector = FootAccStrides(self.imu_clock, cfg.imu_rate_hz, self.g, self)
            else:
                from podfw.gait.acc_steps import SacrumSteps

                self.imu_detector = SacrumSteps(self.imu_clock, cfg.imu_rate_hz, self.g, self)
        self.pressure = None
        if cfg.has_pressure:
            self.pressure = PressureContacts(
                cfg.zone_xy, cfg.pressure_rate_hz, cfg.pressure_lsb_per_newton)
        # contact timing comes from pressure when it is there; the IMU keeps the impact
        self.imu_timing = self.pressure is None
        self.pending_impact_cg = 0
        self.pool = [S.WindowSummary() for _ in range(_SUMMARY_POOL)]
        self.pool_next = 0
        self.ready = -1  # pool slot of the oldest finished, unpolled window
        self.ready_count = 0
        self.window_ms = cfg.window_s * 1000
        self.window_index = 0
        self.window_start_ms = 0
        self.window_end_n = 0
        self.imu_window_last = _NEVER  # last IMU sample of the window, when IMU paces it
        self._set_window_end(self.clock.samples(self.window_ms))
        self.last_contact_ms = -1
        # this window's contact intervals (ms) for a robust cadence. Kept intervals are at
        # least _MIN_STEP_INTERVAL_MS * per long and a contact is reported less than the
        # longest kept interval after it happened, so a window holds fewer than n of them;
        # 16 bits hold each (<= _MAX_STEP_INTERVAL_MS * per)
        per = self.steps_per_contact
        n = (self.window_ms + _MAX_STEP_INTERVAL_MS * per) // (_MIN_STEP_INTERVAL_MS * per) + 1
        self.intervals = array("h", bytes(2 * (n if n < _MAX_INTERVALS else _MAX_INTERVALS)))
        self.w = array("i", bytes(4 * _W_SIZE))
        self._clear_window()

    def _set_window_end(self, end_n):
        self.window_end_n = end_n
        if self.clock is self.imu_clock:
            self.imu_window_last = end_n - 1

    # ---- per-window accumulators -------------------------------------------------
    def _clear_window(self):
        w = self.w
        for i in range(_W_SIZE):
            w[i] = 0
        w[_W_IMU_FIRST] = self.n_imu
        if not self.config.has_imu:
            w[_W_FLAGS] |= S.FLAG_NO_IMU
        if not self.config.has_pressure:
            w[_W_FLAGS] |= S.FLAG_NO_PRESSURE

    def flag(self, bits):
        self.w[_W_FLAGS] |= bits

    # ---- samples -----------------------------------------------------------------
    @micropython.native
    def push_imu(self, ax, ay, az, gx, gy, gz):
        n = self.n_imu
        self.n_imu = n + 1
        step = self.imu_step
        if step is not None:  # FootGyroStrides: the whole sample in one call
            code = step(self.imu_state, n, ax, ay, az, gx, gy, gz)
            if code:  # what the kernel leaves to plain Python (step_detector's _IMU_*)
                if code & _IMU_CLIP:
                    self._check_clipping(ax, ay, az)
                elif code & _IMU_DEAD:
                    self.w[_W_DEAD] += 1
                if code & _IMU_SLOW:
                    self.imu_detector.slow_sample(n)
            if n >= self.imu_window_last:
                self._close_window()
            return
        sh = self.acc_shift
        x = ax >> sh
        y = ay >> sh
        z = az >> sh
        # |x|, |y|, |z| <= 4096 (shift >= 3): m2 < 3 * 2**24
        m2 = x * x + y * y + z * z
        if m2 >= self.clip_m2:
            self._check_clipping(ax, ay, az)
        elif m2 < self.dead_m2:
            self.w[_W_DEAD] += 1
        self.imu_detector.update(n, x, y, z, gx, gy, gz, m2)
        if n >= self.imu_window_last:
            self._close_window()

    def _check_clipping(self, ax, ay, az):
        top = _FULL_SCALE
        if ax >= top or ax <= -top or ay >= top or ay <= -top or az >= top or az <= -top:
            self.w[_W_FLAGS] |= S.FLAG_CLIPPED

    def push_pressure(self, zones):
        n = self.n_pressure
        self.n_pressure = n + 1
        if self.pressure.push(zones) & EV_OFF:
            self._pressure_contact()
        if self.pressure_clock is self.clock and n + 1 >= self.window_end_n:
            self._close_window()

    def imu_gap(self, n):
        """n IMU samples were lost: time moves on, the stride in progress is dropped."""
        if n <= 0 or not self.config.has_imu:
            return
        self.w[_W_FLAGS] |= S.FLAG_SAMPLES_LOST
        self.n_imu += n
        self.imu_detector.reset()
        if self.imu_clock is self.clock:
            self._skip_windows(self.n_imu)

    def pressure_gap(self, n):
        if n <= 0 or self.pressure is None:
            return
        self.w[_W_FLAGS] |= S.FLAG_SAMPLES_LOST
        self.n_pressure += n
        self.pressure.gap(n)
        if self.pressure_clock is self.clock:
            self._skip_windows(self.n_pressure)

    # ---- events from the detectors (sinks) ---------------------------------------
    def impact_cg(self, m2):
        return (isqrt(m2) * 100 + self.g // 2) // self.g if self.g else 0

    def initial_contact(self, t_ms, m2_peak):
        """An IMU-detected strike with the peak squared acceleration magnitude after it."""
        cg = self.impact_cg(m2_peak)
        if self.imu_timing:
            self._contact(t_ms, cg, 0)
        else:
            # pressure owns the timing: the impact goes to the contact it reports next
            if cg > self.pending_impact_cg:
                self.pending_impact_cg = cg

    def final_contact(self, t_ms, contact_ms):
        if self.imu_timing:
            self._toe_off(t_ms, contact_ms)

    def _pressure_contact(self):
        # the insole reports a contact when it ends: strike (with the IMU's impact for
        # it, if any), then toe-off with the contact time
        p = self.pressure
        self._contact(p.crossing_ms(p.on_index, p.on_frac), self._take_impact(), p.strike)
        self._toe_off(p.crossing_ms(p.off_index, p.off_frac), p.contact_ms)
        if p.swing_ms > 0:  # flight measured (0 when walking)
            self.w[_W_FLIGHT_SUM] += p.flight_ms
            self.w[_W_FLIGHT_COUNT] += 1

    def _take_impact(self):
        cg = self.pending_impact_cg
        self.pending_impact_cg = 0
        return cg

    def _impact(self, cg):
        if cg <= 0:
            return
        w = self.w
        w[_W_IMPACT_SUM] += cg
        w[_W_IMPACT_COUNT] += 1
        if cg > w[_W_IMPACT_PEAK]:
            w[_W_IMPACT_PEAK] = cg

    def _contact(self, t_ms, cg, strike):
        if self.events is not None:
            self.events.push(EV_INITIAL_CONTACT, t_ms, cg, strike)
        w = self.w
        w[_W_CONTACTS] += 1
        if self.last_contact_ms >= 0:
            interval = t_ms - self.last_contact_ms
            per = self.steps_per_contact
            if _MIN_STEP_INTERVAL_MS * per <= interval <= _MAX_STEP_INTERVAL_MS * per:
                k = w[_W_INTERVAL_COUNT]
                if k < len(self.intervals):
                    self.intervals[k] = interval
                    w[_W_INTERVAL_COUNT] = k + 1
        self.last_contact_ms = t_ms
        self._impact(cg)
        if strike == STRIKE_HEEL:
            w[_W_HEEL] += 1
        elif strike == STRIKE_MID:
            w[_W_MID] += 1
        elif strike == STRIKE_FORE:
            w[_W_FORE] += 1

    def _toe_off(self, t_ms, contact_ms):
        if self.events is not None:
            self.events.push(EV_FINAL_CONTACT, t_ms, contact_ms, 0)
        if contact_ms > 0:
            self.w[_W_CONTACT_SUM] += contact_ms
            self.w[_W_CONTACT_COUNT] += 1

    # ---- windows -----------------------------------------------------------------
    def _close_window(self):
        self._emit_window(self.window_ms)
        self._set_window_end(self.clock.samples(self.window_start_ms + self.window_ms))

    def _skip_windows(self, n):
        """After a gap up to sample n: the window in progress closes with its data, and
        the whole windows lost in the gap become one summary (at most two summaries per
        gap, so the pool never overflows however long the gap)."""
        if n < self.window_end_n:
            return
        self._close_window()
        self.w[_W_FLAGS] |= S.FLAG_SAMPLES_LOST
        whole = (self.clock.ms(n) - self.window_start_ms) // self.window_ms
        if whole > 0:
            self._emit_window(whole * self.window_ms)
            self.w[_W_FLAGS] |= S.FLAG_SAMPLES_LOST
            self._set_window_end(self.clock.samples(self.window_start_ms + self.window_ms))

    def _emit_window(self, duration_ms):
        """Fills the next pool summary from the accumulators and starts a new window."""
        out = self.pool[self.pool_next]
        out.index = self.window_index
        out.start_ms = self.window_start_ms
        out.duration_ms = duration_ms
        self._fill(out)
        self._publish()
        self.window_index += 1
        self.window_start_ms += duration_ms
        self._clear_window()

    def _fill(self, out):
        per = self.steps_per_contact
        w = self.w
        out.steps = w[_W_CONTACTS] * per
        cadence = 0
        k = w[_W_INTERVAL_COUNT]
        if k > 0:
            # interquartile mean of the intervals: the steady rhythm of the window, not
            # bent by a missed or extra contact, a stop or the first steps after one
            d = insertion_sort(self.intervals, k)
            lo = k >> 2
            hi = k - lo
            total = 0
            for i in range(lo, hi):
                total += d[i]
            cadence = (60000 * per * (hi - lo) + total // 2) // total
        out.cadence_spm = cadence
        out.impact_mean_cg = w[_W_IMPACT_SUM] // w[_W_IMPACT_COUNT] if w[_W_IMPACT_COUNT] else 0
        out.impact_peak_cg = w[_W_IMPACT_PEAK]
        contact = w[_W_CONTACT_SUM] // w[_W_CONTACT_COUNT] if w[_W_CONTACT_COUNT] else 0
        out.contact_ms = contact
        flight = 0
        if w[_W_FLIGHT_COUNT]:
            flight = w[_W_FLIGHT_SUM] // w[_W_FLIGHT_COUNT]
        elif contact and cadence:
            # one foot: a step lasts 60000/cadence ms, its contact part is the stance
            flight = 60000 // cadence - contact
            if flight < 0:
                flight = 0
        out.flight_ms = flight
        out.strike_heel = w[_W_HEEL]
        out.strike_mid = w[_W_MID]
        out.strike_fore = w[_W_FORE]
        flags = w[_W_FLAGS]
        if w[_W_DEAD] * 2 > self.n_imu - w[_W_IMU_FIRST]:
            flags |= S.FLAG_IMU_DEGRADED
        if self.pressure is not None and self.pressure.take_flags() & (PFLAG_NEGATIVE | PFLAG_STUCK):
            flags |= S.FLAG_PRESSURE_DEGRADED
        if w[_W_CONTACTS] and self._walking(cadence, contact):
            flags |= S.FLAG_WALKING
        out.flags = flags

    def _walking(self, cadence, contact):
        if contact and cadence:
            # walking has double support: each foot is on the ground longer than a step
            return contact * cadence > 60000
        return 0 < cadence < 140

    def _publish(self):
        self.pool_next = (self.pool_next + 1) % _SUMMARY_POOL
        if self.ready_count == _SUMMARY_POOL:
            self.ready = (self.ready + 1) % _SUMMARY_POOL  # caller fell behind: drop oldest
        else:
            if self.ready_count == 0:
                self.ready = (self.pool_next - 1) % _SUMMARY_POOL
            self.ready_count += 1

    def poll_window(self):
        if self.ready_count == 0:
            return None
        out = self.pool[self.ready]
        self.ready = (self.ready + 1) % _SUMMARY_POOL
        self.ready_count -= 1
        return out

    def finish(self):
        """Closes the last, partial window at the end of a session and returns the
        oldest unpolled summary (the partial one if everything else was polled)."""
        if self.imu_detector is not None:
            self.imu_detector.flush()
        if self.pressure is not None and self.pressure.on_ground():
            p = self.pressure  # a contact still on the ground: its strike, no toe-off
            self._contact(p.crossing_ms(p.on_index, p.on_frac), self._take_impact(), 0)
        clock = self.clock
        n = self.n_imu if clock is self.imu_clock else self.n_pressure
        now_ms = clock.ms(n)
        if now_ms > self.window_start_ms:
            self._emit_window(now_ms - self.window_start_ms)
        return self.poll_window()
