# Common part of the FIFO IMU drivers: identity check, burst drain of the chip's FIFO into
# preallocated buffers, and one row per sample into a sampling.ring.Ring of width 6
# (ax, ay, az, gx, gy, gz in chip LSB) with a per-sample timestamp derived from the drain
# time and the output data rate. Nothing here allocates after construction.
from micropython import const

from podfw.drivers.i2cdev import I2CDevice
from podfw.sampling.ring import STAMP_MASK

IMU_ROW = const(6)
# Gyro zero-rate offsets (podfw.drivers.imu_calibration) are kept in this flash file.
# LSM6DSO and ICM-42688-P datasheets: +-1 and +-0.5 dps typical; a pod reading more than
# GYRO_BIAS_MAX_DPS at rest is turning (or broken): no offset is taken from it.
GYRO_BIAS_FILE = "gyro_bias.json"
GYRO_BIAS_MAX_DPS = const(10)


class ImuError(Exception):
    pass


def open_imu(board, i2c, clock):
    """The driver for the board's IMU model (board.imu_model was validated)."""
    if board.imu_model == "lsm6dso":
        from podfw.drivers.lsm6dso import LSM6DSO as cls
    elif board.imu_model == "lsm6ds3trc":
        from podfw.drivers.lsm6ds3trc import LSM6DS3TRC as cls
    else:
        from podfw.drivers.icm42688 import ICM42688P as cls
    return cls(i2c, board.imu_address, board.imu_rate_hz, board.path, clock)


class FifoImu:
    # set by each chip driver
    NAME = ""
    WHO_AM_I_REG = 0
    WHO_AM_I = 0
    DATA_REG = 0
    RECORD_BYTES = 0  # bytes of one FIFO record
    RECORDS_PER_SAMPLE = 1
    MAX_BURST_RECORDS = 1
    FIFO_RECORDS = 1  # FIFO capacity in records
    ACC_LSB_PER_G = 0
    GYRO_LSB_PER_DPS = 0.0

    def __init__(self, i2c, address, rate_hz, board_path, clock):
        self.dev = I2CDevice(i2c, address)
        self.rate_hz = rate_hz
        self.board_path = board_path
        self.clock = clock
        self.period_us = 1000000 // rate_hz
        self.buf = bytearray(self.RECORD_BYTES * self.MAX_BURST_RECORDS)
        mv = memoryview(self.buf)
        # views of 1, 2, 4 .. MAX_BURST_RECORDS records made once (slicing a memoryview at
        # drain time would allocate); a drain reads its records in those burst sizes
        self._views = []
        k = 1
        while k <= self.MAX_BURST_RECORDS:
            self._views.append(mv[: self.RECORD_BYTES * k])
            k <<= 1
        self.level = 0  # FIFO records waiting (set by _read_level)
        self.fifo_overflowed = False  # the chip lost samples before this drain
        self.overflows = 0
        self.samples = 0
        self._stamp = 0

    def check_identity(self):
        who = self.dev.read_u8(self.WHO_AM_I_REG)
        if who != self.WHO_AM_I:
            raise ImuError(
                "%s: imu.model %s expects WHO_AM_I 0x%02x at address 0x%02x, read 0x%02x "
                "(wrong model or address in the board file?)"
                % (self.board_path, self.NAME, self.WHO_AM_I, self.dev.address, who)
            )

    def start(self):
        self.check_identity()
        self.configure()

    def drain(self, ring, now_us):
        """Moves every complete sample from the chip FIFO into `ring`; returns how many.
        Raises OSError when the bus fails beyond the retries."""
        self._read_level()
        if self.fifo_overflowed:
            self.overflows += 1
        records = self.level
        if records > self.FIFO_RECORDS:  # a damaged status read: never read past the FIFO
            records = self.FIFO_RECORDS
        n = records // self.RECORDS_PER_SAMPLE
        # the newest sample was taken at most one period before now
        self._stamp = (now_us - (n - 1) * self.period_us) & STAMP_MASK
        got = 0
        views = self._views
        while records > 0:
            i = len(views) - 1
            k = 1 << i
            while k > records:
                i -= 1
                k >>= 1
            self.dev.read_into(self.DATA_REG, views[i])
            got += self._parse(k, ring)
            records -= k
        self.samples += got
        return got

    def _emit(self, ring, ax, ay, az, gx, gy, gz):
        off = ring.free_slot()
        if off >= 0:
            d = ring.data
            d[off] = ax
            d[off + 1] = ay
            d[off + 2] = az
            d[off + 3] = gx
            d[off + 4] = gy
            d[off + 5] = gz
            ring.commit(self._stamp)
        # masked: an ESP32 small int holds 31 bits, a sum past 2**30 would allocate
        self._stamp = (self._stamp + self.period_us) & STAMP_MASK


def odr_code(codes, imu, rate_hz, board_path):
    """The chip's output-data-rate code for rate_hz; `codes` is ((rate_hz, code), ...) by
    rising rate."""
    for hz, code in codes:
        if hz == rate_hz:
            return code
    rates = [str(hz) for hz, _ in codes]
    raise ValueError("%s: %s supports imu.rate_hz %s or %s, not %d"
                     % (board_path, imu, ", ".join(rates[:-1]), rates[-1], rate_hz))


def s16_le(buf, i):
    v = buf[i] | (buf[i + 1] << 8)
    return v - 0x10000 if v & 0x8000 else v
