# Register-level models of the supported IMUs for firmware tests under MicroPython: the
# identity register, the range/rate/FIFO configuration the driver writes, and a FIFO that
# fills at the configured output data rate from a recording (sim_feed.Feed) on the
# simulated clock. Faults: `stuck` (the FIFO stops filling until a software reset).
# `still` holds the pod motionless (for the power states). Wake on motion is modelled
# too: once the driver has armed it as the datasheet says, the accelerometer runs at the
# wake rate and `int1()` is the level of the INT1 pin the ESP32's deep-sleep wake watches
# (high, latched, after a sample moves more than the threshold).

from sim_feed import cached_feed

FIFO_BYTES_LSM = 1022 * 7  # the 10-bit FIFO level counts at most 1023 words
FIFO_BYTES_ICM = 2048 // 16 * 16


def samples_in(elapsed_us, odr_hz):
    """Samples an ODR of odr_hz (<= 1000) has produced after elapsed_us: elapsed * odr
    // 10**6, split at whole seconds so no product passes 2**30 (31-bit small ints)."""
    seconds = elapsed_us // 1000000
    return seconds * odr_hz + (elapsed_us - seconds * 1000000) * odr_hz // 1000000


def sample_time_us(n, odr_hz):
    """Time of sample n after the start: n * 10**6 // odr_hz, split the same way."""
    seconds = n // odr_hz
    return seconds * 1000000 + (n - seconds * odr_hz) * 1000000 // odr_hz


def _motion_feed(name, acc_lsb_per_g, gyro_lsb_per_dps):
    scales = {}
    for c in ("ax", "ay", "az"):
        scales[c] = (acc_lsb_per_g, 0, -32768, 32767)
    for c in ("gx", "gy", "gz"):
        scales[c] = (gyro_lsb_per_dps, 0, -32768, 32767)
    return cached_feed(name, scales)


class _ByteFifo:
    """The chip FIFO as a byte ring; when full the oldest record is overwritten and the
    overflow flag set (LSM6DSO continuous mode, ICM-42688-P stream mode)."""

    def __init__(self, size, record):
        self.buf = bytearray(size)
        self.size = size
        self.record = record
        self.head = 0  # bytes ever written
        self.tail = 0  # bytes ever read
        self.overflow = False

    def clear(self):
        self.tail = self.head
        self.overflow = False

    def records(self):
        return (self.head - self.tail) // self.record

    def push(self, rec, n):
        if self.head - self.tail + n > self.size:
            self.tail += self.record
            self.overflow = True
        size = self.size
        for i in range(n):
            self.buf[(self.head + i) % size] = rec[i]
        self.head += n

    def pop_into(self, buf, filler):
        size = self.size
        for i in range(len(buf)):
            if self.tail < self.head:
                buf[i] = self.buf[self.tail % size]
                self.tail += 1
            else:
                buf[i] = filler


class _SimImu:
    RECORD = 0
    FIFO_BYTES = 0

    def __init__(self, hw, feed_name, acc_lsb_per_g, gyro_lsb_per_dps):
        self.hw = hw
        self.feed = _motion_feed(feed_name, acc_lsb_per_g, gyro_lsb_per_dps)
        self.cols = [self.feed.columns[c] for c in ("ax", "ay", "az", "gx", "gy", "gz")]
        self.fifo = _ByteFifo(self.FIFO_BYTES, self.RECORD)
        self.rec = bytearray(16)
        self.regs = bytearray(128)
        self.stuck = False
        self.still = False  # the pod lies still: every sample repeats recording sample 0
        self.gyro_offset = [0, 0, 0]  # zero-rate offset (LSB) added to the gyro axes
        self.resets = 0
        self.odr_hz = 0
        self.streaming = False
        self.t0_us = 0
        self.produced = 0  # samples put in the FIFO since streaming started
        self.acc_lsb_per_g = acc_lsb_per_g
        self.wake = None  # (odr_hz, threshold_mg, slope divisor, armed at us) once armed
        self.wake_refused = ""  # why the last attempt to arm wake on motion did not
        self.wake_samples = 0
        self.wake_prev = None
        self.int1_high = False

    def _reset(self):
        for i in range(128):
            self.regs[i] = 0
        self.resets += 1
        self.stuck = False
        self.streaming = False
        self.fifo.clear()
        self.wake = None
        self.int1_high = False

    # --- wake on motion ------------------------------------------------------------------
    def _arm_wake(self, odr_hz, threshold_mg, slope_divisor):
        self.wake = (odr_hz, threshold_mg, slope_divisor, self.hw.now_us)
        self.wake_refused = ""
        self.wake_samples = 0
        self.wake_prev = None

    def _wake_event_allowed(self):
        return True

    def int1(self):
        """Level of the INT1 pin now: 1 once a wake-up event latched it."""
        wake = self.wake
        if wake is not None and not self.int1_high:
            odr_hz, threshold_mg, divisor, t0 = wake
            due = (self.hw.now_us - t0) * odr_hz // 1000000
            while self.wake_samples < due and not self.int1_high:
                t_us = self.wake_samples * 1000000 // odr_hz
                i = 0 if self.still else self.feed.index_at(t_us)
                acc = [self.cols[k][i] for k in range(3)]
                prev = self.wake_prev
                self.wake_prev = acc
                self.wake_samples += 1
                if prev is None:
                    continue
                for k in range(3):
                    moved_mg = abs(acc[k] - prev[k]) * 1000 // (self.acc_lsb_per_g * divisor)
                    if moved_mg > threshold_mg and self._wake_event_allowed():
                        self.int1_high = True
        return 1 if self.int1_high else 0

    def _start(self, odr_hz):
        self.odr_hz = odr_hz
        self.streaming = True
        self.t0_us = self.hw.now_us
        self.produced = 0
        self.fifo.clear()

    def catch_up(self):
        if not self.streaming:
            return
        due = samples_in(self.hw.now_us - self.t0_us, self.odr_hz)
        while self.produced < due:
            if not self.stuck:
                t_us = sample_time_us(self.produced, self.odr_hz)
                self._write_sample(0 if self.still else self.feed.index_at(t_us))
            self.produced += 1

    def sample_value(self, axis, i):
        v = self.cols[axis][i]
        if axis >= 3:
            v += self.gyro_offset[axis - 3]
        return v & 0xFFFF


class _SimStImu(_SimImu):
    """The ST 6-axis IMUs: same reset, range and rate registers; they differ in the FIFO
    (set up by the write to 0x0A, which starts or stops streaming)."""
    ODR = {4: 104, 5: 208, 6: 416, 7: 833}
    DATA_REG = 0

    def __init__(self, hw, feed_name, who_am_i):
        # the model serves data at the range the driver must select: ±16 g, ±2000 dps
        _SimImu.__init__(self, hw, feed_name, 1 / 0.000488, 1 / 0.070)
        self.who = who_am_i

    # accelerometer ODR codes (CTRL1_XL bits 7:4) in Hz
    XL_ODR = {1: 12, 2: 26, 3: 52, 4: 104, 5: 208, 6: 416, 7: 833}

    def _update_wake(self):
        """The wake-up interrupt on INT1 (DS12140 / DS12352 "wake-up"): accelerometer on
        at ±16 g, a threshold in WAKE_UP_THS (FS/64 per LSB), interrupts enabled
        (INTERRUPTS_ENABLE, register 0x58 bit 7) and routed (MD1_CFG INT1_WU). The
        slope filter compares (a[n] - a[n-1]) / 2 with it."""
        r = self.regs
        odr = self.XL_ODR.get(r[0x10] >> 4, 0)
        ths = r[0x5B] & 0x3F
        ready = (odr and ths and r[0x58] & 0x80 and r[0x5E] & 0x20
                 and r[0x10] & 0x0C == 0x04 and not r[0x5C] & 0x10)
        if ready and self.wake is None:
            self._arm_wake(odr, ths * 16000 // 64, 2)
        elif not ready:
            self.wake = None

    def _wake_event_allowed(self):
        # a pulsed INT1 can end before the ESP32 samples its wake pin: only a latched
        # (LIR) interrupt is kept as a level
        return bool(self.regs[self.LIR_REG] & 0x01)

    def write(self, reg, buf):
        v = buf[0]
        if reg == 0x12 and v & 0x01:  # CTRL3_C SW_RESET
            self._reset()
            return
        self.regs[reg] = v
        if reg in (0x10, 0x58, 0x5B, 0x5C, 0x5E):
            self._update_wake()
        if reg == 0x0A:  # the FIFO mode register
            xl, g = self.regs[0x10], self.regs[0x11]
            fs_ok = (xl & 0x0C) == 0x04 and (g & 0x0C) == 0x0C
            odr = self._fifo_odr_hz(v)
            if v & 0x07 == 0x06 and odr and fs_ok:
                self._start(odr)
            else:
                self.streaming = False

    def read(self, reg, buf):
        self.catch_up()
        if reg == 0x0F:
            buf[0] = self.who
        elif reg == 0x3A:  # FIFO_STATUS1..
            self._read_fifo_status(buf)
            self.fifo.overflow = False
        elif reg == self.DATA_REG:
            self.fifo.pop_into(buf, 0)
        else:
            for i in range(len(buf)):
                buf[i] = self.regs[(reg + i) & 0x7F]

    def _put_triple(self, first, i, at):
        """Axes first..first+2 of sample i into self.rec from byte `at`, little-endian."""
        rec = self.rec
        for k in range(3):
            v = self.sample_value(first + k, i)
            rec[at + 2 * k] = v & 0xFF
            rec[at + 2 * k + 1] = v >> 8


class SimLSM6DSO(_SimStImu):
    RECORD = 7
    FIFO_BYTES = FIFO_BYTES_LSM
    DATA_REG = 0x78
    LIR_REG = 0x56  # TAP_CFG0

    def __init__(self, hw, feed_name, who_am_i=0x6C):
        _SimStImu.__init__(self, hw, feed_name, who_am_i)

    def _fifo_odr_hz(self, mode):
        """FIFO_CTRL4 was written: the batch rate set in FIFO_CTRL3."""
        return self.ODR.get(self.regs[0x09] & 0x0F, 0)

    def _read_fifo_status(self, buf):
        words = self.fifo.records()
        buf[0] = words & 0xFF
        if len(buf) > 1:
            buf[1] = ((words >> 8) & 0x03) | (0x40 if self.fifo.overflow else 0)

    def _write_sample(self, i):
        rec = self.rec
        rec[0] = 0x01 << 3  # gyroscope word
        self._put_triple(3, i, 1)
        self.fifo.push(rec, 7)
        rec[0] = 0x02 << 3  # accelerometer word
        self._put_triple(0, i, 1)
        self.fifo.push(rec, 7)


class SimLSM6DS3TRC(_SimStImu):
    RECORD = 6  # one sensor's X, Y, Z: the FIFO pattern is gyro triple, accel triple
    FIFO_BYTES = 4092  # 4 KB: DIFF_FIFO counts at most 2047 words, 682 triples
    DATA_REG = 0x3E
    LIR_REG = 0x58  # TAP_CFG

    def __init__(self, hw, feed_name, who_am_i=0x6A):
        _SimStImu.__init__(self, hw, feed_name, who_am_i)

    def _fifo_odr_hz(self, mode):
        """FIFO_CTRL5 was written: its FIFO rate, when gyro and accel are in the FIFO
        without decimation (FIFO_CTRL3)."""
        return self.ODR.get((mode >> 3) & 0x0F, 0) if self.regs[0x08] == 0x09 else 0

    def _read_fifo_status(self, buf):
        words = self.fifo.records() * 3
        buf[0] = words & 0xFF
        buf[1] = ((words >> 8) & 0x07) | (0x40 if self.fifo.overflow else 0)
        if len(buf) > 2:
            buf[2] = (self.fifo.tail // 6 % 2) * 3  # FIFO_PATTERN: next word's place
            buf[3] = 0

    def _write_sample(self, i):
        for first in (3, 0):  # gyroscope triple, then accelerometer triple
            self._put_triple(first, i, 0)
            self.fifo.push(self.rec, 6)


class SimICM42688P(_SimImu):
    RECORD = 16
    FIFO_BYTES = FIFO_BYTES_ICM
    ODR = {8: 100, 7: 200, 15: 500, 6: 1000}

    def __init__(self, hw, feed_name, who_am_i=0x47):
        _SimImu.__init__(self, hw, feed_name, 2048, 16.4)
        self.who = who_am_i
        self.bank = 0
        self.wom_thr = bytearray(3)  # bank 4 ACCEL_WOM_X/Y/Z_THR
        self.written_us = {}  # register (or "thr") -> simulated time of its last write
        self.regs[0x64] = 0x10  # INT_CONFIG1 at power-on

    # ACCEL_ODR codes (ACCEL_CONFIG0 bits 3:0) the wake-on-motion runs at, in Hz
    WOM_ODR = {6: 1000, 15: 500, 7: 200, 8: 100, 9: 50, 10: 25, 11: 12}

    def write(self, reg, buf):
        v = buf[0]
        if reg == 0x76:
            self.bank = v & 0x07
            return
        now = self.hw.now_us
        if self.bank == 4:
            if 0x4A <= reg <= 0x4C:  # ACCEL_WOM_X/Y/Z_THR
                self.wom_thr[reg - 0x4A] = v
                self.written_us["thr"] = now
            return
        if self.bank != 0:
            return
        if reg == 0x11 and v & 0x01:  # DEVICE_CONFIG soft reset
            self._reset()
            self.regs[0x4C] = 0x30  # reset value: byte counts, big-endian
            self.regs[0x64] = 0x10  # INT_CONFIG1: INT_ASYNC_RESET set
            self.written_us = {}
            for i in range(3):
                self.wom_thr[i] = 0
            return
        self.regs[reg] = v
        self.written_us[reg] = now
        if reg == 0x57:
            self._smd_config(v)
        if reg in (0x4E, 0x16, 0x5F):
            r = self.regs
            odr = self.ODR.get(r[0x50] & 0x0F, 0)
            fs_ok = (r[0x4F] >> 5) == 0 and (r[0x50] >> 5) == 0
            ln = r[0x4E] & 0x0F == 0x0F
            if ln and r[0x16] == 0x40 and r[0x5F] & 0x07 == 0x07 and odr and fs_ok:
                if not self.streaming:
                    self._start(odr)
            else:
                self.streaming = False

    def _smd_config(self, v):
        """SMD_CONFIG written: wake on motion starts when SMD_MODE is 1 (WOM) and the
        datasheet's sequence (DS-000347 8.7) was followed: accelerometer on (low-power or
        low-noise mode) at a WOM rate, 1 ms, thresholds, 1 ms, INT_SOURCE1, 50 ms."""
        self.wake = None
        if v & 0x03 != 0x01:
            return
        r = self.regs
        w = self.written_us
        odr = self.WOM_ODR.get(r[0x50] & 0x0F, 0)
        now = self.hw.now_us
        steps = (("accelerometer on", 0x4E, "thr", 1000), ("thresholds", "thr", 0x66, 1000),
                 ("INT_SOURCE1", 0x66, None, 50000))
        if r[0x4E] & 0x03 not in (2, 3) or not odr:
            self.wake_refused = "accelerometer not running at a WOM rate"
            return
        for what, first, then, wait_us in steps:
            end = now if then is None else w.get(then)
            if first not in w or end is None or end - w[first] < wait_us:
                self.wake_refused = "no %d us wait after %s" % (wait_us, what)
                return
        if not v & 0x04:
            self.wake_refused = "WOM_MODE compares with the first sample"
            return
        self._arm_wake(odr, min(self.wom_thr) * 1000 // 256, 1)

    def _wake_event_allowed(self):
        r = self.regs
        # INT1 works only with INT_ASYNC_RESET cleared (register 0x64, bit 4); the
        # interrupt must be routed (INT_SOURCE1) and latched, push-pull, active high
        return (not r[0x64] & 0x10 and r[0x66] & 0x07 == 0x07
                and r[0x14] & 0x07 == 0x07)

    def read(self, reg, buf):
        self.catch_up()
        if self.bank != 0:
            for i in range(len(buf)):
                buf[i] = 0
            return
        if reg == 0x75:
            buf[0] = self.who
        elif reg == 0x2D:  # INT_STATUS, FIFO_COUNTH, FIFO_COUNTL
            buf[0] = 0x02 if self.fifo.overflow else 0
            self.fifo.overflow = False
            n = self.fifo.records() if self.regs[0x4C] & 0x40 else self.fifo.head - self.fifo.tail
            if len(buf) > 2:
                buf[1] = n >> 8
                buf[2] = n & 0xFF
        elif reg == 0x30:
            self.fifo.pop_into(buf, 0xFF)  # an empty FIFO reads 0xFF (header "empty")
        else:
            for i in range(len(buf)):
                buf[i] = self.regs[(reg + i) & 0x7F]

    def _write_sample(self, i):
        rec = self.rec
        rec[0] = 0x68  # header: accel, gyro, ODR timestamp
        for k in range(6):
            v = self.sample_value(k, i)
            rec[1 + 2 * k] = v >> 8
            rec[2 + 2 * k] = v & 0xFF
        rec[13] = 0
        rec[14] = 0
        rec[15] = 0
        self.fifo.push(rec, 16)


def expected_rows(sim, first, count):
    """Rows (ax..gz) of samples first..first+count-1 since streaming started: what a
    correct driver must deliver."""
    rows = []
    for n in range(first, first + count):
        i = sim.feed.index_at(sample_time_us(n, sim.odr_hz))
        rows.append(tuple(sim.cols[k][i] for k in range(6)))
    return rows
