# The pod runtime: board file -> drivers -> rings -> gait engine -> sink(summary).
#
#   pod = Pod(board, sink, hw)      # hw: podfw.hw.EspHardware() or the test simulation
#   asyncio.run(Scheduler(pod).run())
#
# Per drain (service): the IMU FIFO is read in bursts into the IMU ring, pressure scans
# that the timer interrupt left in the pressure ring are calibrated, both streams go to
# the engine, finished windows go to the sink. Faults never stop the pod: I2C errors are
# retried by the driver and mark the window FLAG_IMU_DEGRADED; a FIFO that stops filling
# is restarted and its lost samples reported with engine.imu_gap; lost samples (chip FIFO
# or ring overruns) are counted and reported, never silently dropped. Raw mode
# (raw_out=stream) replaces the engine with podfw.rawstream.RawStreamer.
#
# Sessions: start() begins one with the sensors. stop_session() publishes the last partial
# window and ends it; the IMU keeps sampling (its motion drives idle and deep sleep) but
# no sample reaches the engine and the pressure scans stop until start_session(), whose
# fresh engine counts windows from index 0 again.
import gc
import json
from array import array

from micropython import const

from podfw.counters import WHERE_IMU, Counters
from podfw.drivers.battery import LOW_PERCENT, Battery
from podfw.drivers.imu import GYRO_BIAS_FILE, GYRO_BIAS_MAX_DPS, IMU_ROW, ImuError, open_imu
from podfw.drivers.led import StatusLed
from podfw.drivers.pressure import PressureZones
from podfw.gait import summary as S
from podfw.power import ACTIVE, IDLE, Power
from podfw.sampling.ring import Ring
from podfw.sampling.scans import ScanSchedule

_RING_DRAINS = const(4)  # the rings hold this many drain periods
_STALL_DRAINS = const(3)  # drains without a sample before the IMU is restarted
_BATTERY_EVERY_MS = const(60000)
_LED_MS = const(50)
# calibrate() targets: podfw.link.wire CALIBRATE_* is the definition (mirrored here so
# the pod does not import the link; a test checks they are equal)
CALIBRATE_IMU_STILL = const(1)
CALIBRATE_PRESSURE_ZERO = const(2)


class Pod:
    def __init__(self, board, sink, hw, raw_out=None):
        self.board = board
        self.sink = sink
        self.hw = hw
        self.imu = open_imu(board, hw.i2c(board.i2c_id, board.i2c_sda, board.i2c_scl,
                                          board.i2c_freq), hw)
        # gyro zero-rate offsets (LSB), subtracted from every sample (see calibrate)
        self.gyro_bias = array("h", bytes(6))
        self._load_gyro_bias()
        self.zones = PressureZones(board, hw, hw.flash_dir) if board.zones else None
        self.battery = Battery(hw.adc(board.battery_pin), board.battery_divider_x1000)
        self.led = StatusLed(hw, board.led_pins, board.led_kind)
        # raw mode records whatever happens: no idle or deep sleep while streaming
        self.power = Power(board, hw, enabled=raw_out is None)
        per_drain = board.imu_rate_hz * board.drain_ms // 1000 + 1
        self.imu_ring = Ring(IMU_ROW, _RING_DRAINS * per_drain)
        if self.zones is not None:
            per_drain = board.pressure_rate_hz * board.drain_ms // 1000 + 1
            self.pressure_ring = Ring(self.zones.n, _RING_DRAINS * per_drain, "H", gaps=True)
            self.zone_values = array("h", bytes(2 * self.zones.n))
            self.timer = hw.timer(0)
            self.scans = ScanSchedule(self.zones, self.pressure_ring, hw, board.pressure_rate_hz)
            self._scan_cb = self.scans.tick  # bound once: the callback must not allocate
        else:
            self.pressure_ring = None
            self.timer = None
            self.scans = None
        if raw_out is None:
            from podfw.gait.config import GaitConfig
            from podfw.gait.engine import GaitEngine

            # no event ring: the pod sends window summaries, nothing drains single events
            self.engine = GaitEngine(GaitConfig(events=0, **self.stream_info(engine_args=True)))
        else:
            from podfw.rawstream import RawStreamer

            self.engine = RawStreamer(raw_out, self.stream_info(), self.zones.n if self.zones else 0)
        self._raw = raw_out is not None
        # gyro |x|+|y|+|z| above this (LSB) is motion
        self.motion_lsb = int(board.motion_threshold_dps * self.imu.GYRO_LSB_PER_DPS)
        # what went wrong since boot (the link reports it: `stridepod pod info`)
        self.counters = Counters()
        self._scans_missed_at_stop = 0  # missed before the scans last stopped, not yet reported
        self.windows = 0
        self.battery_percent = 100
        self.running = False  # sensors started
        self.session_active = False  # windows are being made
        self.sessions = 0  # sessions begun
        self._retries_seen = 0
        # elapsed times in ms ticks: the us ticks (and stamps) wrap after 17.9 min
        self._last_good_ms = 0
        self._stalled = 0
        self._battery_ms = 0
        self._led_ms = 0
        self._scanning = False
        self._idle_since_ms = 0
        # called once the last window is published, before deep sleep (main.py: the BLE
        # link writes the records its flash log holds in RAM)
        self.before_sleep = None

    def stream_info(self, engine_args=False):
        """The streams' description: GaitConfig arguments, or the raw stream's INFO."""
        b = self.board
        args = {
            "imu_rate_hz": b.imu_rate_hz,
            "pressure_rate_hz": b.pressure_rate_hz or 100,
            "placement": b.placement,
            "acc_lsb_per_g": self.imu.ACC_LSB_PER_G,
            "gyro_lsb_per_dps": self.imu.GYRO_LSB_PER_DPS,
            "has_gyro": True,
            "zone_xy": b.zone_xy() if b.zones else None,
            "pressure_lsb_per_newton": 10,
        }
        if engine_args:
            return args
        args["board"] = b.name
        args["imu"] = b.imu_model
        args["zones"] = [{"name": z.name, "x": z.x, "y": z.y} for z in b.zones]
        del args["zone_xy"]
        return args

    # --- start / stop -------------------------------------------------------------------
    def start(self):
        try:
            self.imu.start()
        except OSError as exc:
            raise ImuError("%s: no answer from imu.model %s at address 0x%02x (i2c sda %d, "
                           "scl %d): %s" % (self.board.path, self.board.imu_model,
                                            self.board.imu_address, self.board.i2c_sda,
                                            self.board.i2c_scl, exc)) from None
        self._last_good_ms = self.hw.ticks_ms()
        self._retries_seen = self.imu.dev.retries
        self._read_battery()
        self.running = True
        self._begin_session()

    def _begin_session(self):
        if self.sessions and not self._raw:  # the last session finished its engine: a fresh one
            config = self.engine.config
            self.engine = None  # let the old one go before allocating the new
            gc.collect()
            from podfw.gait.engine import GaitEngine

            self.engine = GaitEngine(config)
        self.sessions += 1
        self.session_active = True
        # the pressure stream starts now: scans that begin later (idle) are a gap
        self._idle_since_ms = self.hw.ticks_ms()
        if self.power.state != IDLE:
            self._start_scans()

    def _end_session(self):
        # every sample drained so far still belongs to the session
        self._stop_scans()
        self.process()
        if self.running:
            self.drain_imu()
            self.process()
        if not self.session_active:
            return
        eng = self.engine
        summary = eng.finish()
        while summary is not None:
            self._publish(summary)
            summary = eng.poll_window()
        self.session_active = False

    def _start_scans(self):
        if self.timer is not None and not self._scanning:
            self.scans.start()
            self.timer.init(freq=self.board.pressure_rate_hz, callback=self._scan_cb)
            self._scanning = True

    def _stop_scans(self):
        if self.timer is not None and self._scanning:
            self.timer.deinit()
            self._scans_missed_at_stop += self.scans.stop()
            self._scanning = False
            self._idle_since_ms = self.hw.ticks_ms()

    def stop(self):
        """Ends the session (the last partial window goes to the sink) and the sampling."""
        self._end_session()
        self.running = False

    def sleep(self):
        """Deep sleep until the IMU sees motion (never returns on the pod)."""
        self.stop()
        if self.before_sleep is not None:
            self.before_sleep()
        self.led.set(False)
        self.power.deep_sleep(self.imu)

    # --- task context ---------------------------------------------------------------
    def service(self):
        """One scheduling cycle: drain, feed the engine, publish windows; returns the
        power state (podfw.power ACTIVE, IDLE or DEEP_SLEEP)."""
        self.process()  # rows left from before: keeps gaps in their place
        self.drain_imu()
        motion = self.process()
        now_ms = self.hw.ticks_ms()
        if self.hw.ticks_diff(now_ms, self._battery_ms) >= _BATTERY_EVERY_MS:
            self._read_battery()
        if self.led.lit and self.hw.ticks_diff(now_ms, self._led_ms) >= _LED_MS:
            self.led.set(False)
        state = self.power.update(motion)
        if state == ACTIVE:
            if not self._scanning and self.timer is not None and self.session_active:
                self._resume_scans()
        elif state == IDLE:
            self._stop_scans()
        return state

    def _resume_scans(self):
        # the scans skipped while idle or calibrating: a gap in the pressure stream, which
        # keeps the engine's pressure clock in step with the IMU's
        self._report_scans_missed_at_stop()
        missed_ms = self.hw.ticks_diff(self.hw.ticks_ms(), self._idle_since_ms)
        self.engine.pressure_gap(missed_ms * self.board.pressure_rate_hz // 1000)
        self._start_scans()

    def drain_imu(self):
        """Reads the IMU FIFO into the ring; returns the number of samples."""
        imu = self.imu
        eng = self.engine
        now = self.hw.ticks_us()
        try:
            got = imu.drain(self.imu_ring, now)
        except OSError as exc:
            # the samples stay in the chip FIFO for the next drain
            self.counters.imu_faults += 1
            self.counters.error(WHERE_IMU, exc)
            eng.flag(S.FLAG_IMU_DEGRADED)
            return 0
        if imu.dev.retries != self._retries_seen:
            self._retries_seen = imu.dev.retries
            eng.flag(S.FLAG_IMU_DEGRADED)
        if got:
            now_ms = self.hw.ticks_ms()
            expected = self.hw.ticks_diff(now_ms, self._last_good_ms) * self.board.imu_rate_hz // 1000
            self._stalled = 0
            self._last_good_ms = now_ms
            if imu.fifo_overflowed and expected > got:
                # the chip overwrote samples before this drain: they came before these,
                # and process() ran before the drain, so the ring holds only this
                # drain's samples: the gap is reported ahead of them
                self._imu_gap(expected - got)
            return got
        self._stalled += 1
        if self._stalled >= _STALL_DRAINS:
            self._restart_imu()
        return 0

    def _imu_gap(self, lost):
        if self.session_active:  # between sessions nothing is counted
            self.counters.imu_lost += lost
            self.engine.imu_gap(lost)

    def _restart_imu(self):
        """The FIFO stopped filling: reset and reconfigure the chip, report the loss."""
        self.engine.flag(S.FLAG_IMU_DEGRADED)
        self._stalled = 0
        try:
            self.imu.start()
            self.counters.imu_restarts += 1
        except (OSError, ImuError) as exc:
            self.counters.imu_faults += 1
            self.counters.error(WHERE_IMU, exc)
            return
        now_ms = self.hw.ticks_ms()
        lost = self.hw.ticks_diff(now_ms, self._last_good_ms) * self.board.imu_rate_hz // 1000
        self._last_good_ms = now_ms
        if lost > 0:
            self._imu_gap(lost)

    def process(self):
        """Feeds every buffered row to the engine and publishes finished windows (between
        sessions the rows are only checked for motion). Returns True if the IMU rows
        showed motion."""
        eng = self.engine
        session = self.session_active
        motion = False
        ring = self.imu_ring
        d = ring.data
        limit = self.motion_lsb
        raw = self._raw
        bias = self.gyro_bias
        bx = bias[0]
        by = bias[1]
        bz = bias[2]
        while ring.available():
            o = ring.oldest()
            if raw:  # the raw stream carries the pod time of each frame's first sample
                eng.imu_time = ring.oldest_stamp()
            gx = d[o + 3] - bx
            gy = d[o + 4] - by
            gz = d[o + 5] - bz
            if session:
                eng.push_imu(d[o], d[o + 1], d[o + 2], gx, gy, gz)
            if (gx if gx >= 0 else -gx) + (gy if gy >= 0 else -gy) + (gz if gz >= 0 else -gz) > limit:
                motion = True
            ring.release()
        dropped = ring.take_dropped()
        if dropped:
            self._imu_gap(dropped)
        if not session:
            return motion
        ring = self.pressure_ring
        if ring is not None:
            zones = self.zones
            values = self.zone_values
            d = ring.data
            while ring.available():
                missed = ring.oldest_gap()  # scans due just before this one that never ran
                if missed:
                    self._scans_missed(missed)
                zones.calibrate_row(d, ring.oldest(), values)
                if raw:
                    eng.pressure_time = ring.oldest_stamp()
                eng.push_pressure(values)
                ring.release()
            ring.take_dropped()  # the scans the ring had no room for are among the gaps
            if not self._scanning:
                self._report_scans_missed_at_stop()
            if zones.take_clipped():
                eng.flag(S.FLAG_CLIPPED)
            if zones.stuck:
                eng.flag(S.FLAG_PRESSURE_DEGRADED)
        if self.battery_percent < LOW_PERCENT:
            eng.flag(S.FLAG_LOW_BATTERY)
        while True:
            summary = eng.poll_window()
            if summary is None:
                break
            self._publish(summary)
        return motion

    def _scans_missed(self, n):
        self.counters.scans_missed += n
        self.engine.pressure_gap(n)

    def _report_scans_missed_at_stop(self):
        n = self._scans_missed_at_stop
        if n:
            self._scans_missed_at_stop = 0
            if self.session_active:
                self._scans_missed(n)

    def _publish(self, summary):
        self.windows += 1
        self.led.set(True)
        self._led_ms = self.hw.ticks_ms()
        self.sink(summary)

    def _read_battery(self):
        self.battery_percent = self.battery.percent()
        self._battery_ms = self.hw.ticks_ms()

    # --- commands (PodLink controller) -------------------------------------------------
    def start_session(self):
        """Begins a new session (windows from index 0); a session in progress ends first,
        its last partial window published. Starts the sensors if they are not running.
        Raw mode has no sessions: False."""
        if self._raw:
            return False
        if not self.running:
            self.start()
            return True
        self._end_session()
        self._begin_session()
        return True

    def stop_session(self):
        """Ends the session: the last partial window goes to the sink, then no windows
        until start_session. True (also when no session was running); raw mode: False."""
        if self._raw:
            return False
        if self.session_active:
            self._end_session()
        return True

    def calibrate(self, target=CALIBRATE_PRESSURE_ZERO):
        """Runs the calibration asked for; True when it was done, saved in flash.
        CALIBRATE_PRESSURE_ZERO: the zones' zero offsets (insole unloaded).
        CALIBRATE_IMU_STILL: the gyro's zero-rate offsets (pod lying still for 1 s;
        False if it moved)."""
        if target == CALIBRATE_IMU_STILL:
            from podfw.drivers.imu_calibration import calibrate_still

            return calibrate_still(self)
        if target != CALIBRATE_PRESSURE_ZERO or self.zones is None:
            return False
        return self._calibrate_pressure_zero()

    def _load_gyro_bias(self):
        # written by podfw.drivers.imu_calibration for this board's IMU model; anything
        # else (no file, another model, damaged) leaves the offsets at 0
        try:
            with open(self.hw.flash_dir + GYRO_BIAS_FILE) as f:
                saved = json.load(f)
            bias = saved["gyro_bias"]
            limit = GYRO_BIAS_MAX_DPS * self.imu.GYRO_LSB_PER_DPS
            if saved["imu"] != self.board.imu_model or len(bias) != 3:
                return
            for v in bias:
                if not isinstance(v, int) or abs(v) > limit:
                    return
        except (OSError, ValueError, KeyError, TypeError):
            return
        for a in range(3):
            self.gyro_bias[a] = bias[a]

    def _calibrate_pressure_zero(self):
        # the scan timer pauses meanwhile (it would move the multiplexer under the
        # calibration's reads); the missed scans are reported as a pressure gap
        scanning = self._scanning
        self._stop_scans()
        from podfw.drivers.pressure_calibration import calibrate_zero

        try:
            calibrate_zero(self.zones)
        finally:
            if scanning:
                self._resume_scans()
        return True
