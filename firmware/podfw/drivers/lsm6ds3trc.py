# ST LSM6DS3TR-C (WHO_AM_I 0x6A): ±16 g, ±2000 dps, 208 Hz, continuous FIFO without tags:
# data sets in a fixed pattern, gyroscope X, Y, Z then accelerometer X, Y, Z (16-bit
# little-endian words); FIFO_STATUS3 says where in the pattern the next word is.
# Register map: ST DS12352 (the same layout as the LSM6DSL).
from micropython import const

from podfw.drivers.imu import FifoImu, s16_le
from podfw.drivers.lsm6dso import st_enable_wake

_FIFO_CTRL3 = const(0x08)
_FIFO_CTRL5 = const(0x0A)
_CTRL1_XL = const(0x10)
_CTRL2_G = const(0x11)
_CTRL3_C = const(0x12)
_FIFO_STATUS1 = const(0x3A)  # .. FIFO_STATUS4 (0x3D)
_PATTERN_WORDS = const(6)

_ODR_CODES = ((104, 4), (208, 5), (416, 6), (833, 7))


class LSM6DS3TRC(FifoImu):
    NAME = "lsm6ds3trc"
    WHO_AM_I_REG = 0x0F
    WHO_AM_I = 0x6A
    DATA_REG = 0x3E  # FIFO_DATA_OUT_L; a burst read streams the FIFO
    RECORD_BYTES = 6  # one sensor's X, Y, Z
    RECORDS_PER_SAMPLE = 2
    MAX_BURST_RECORDS = 32  # a power of two: bursts are 32, 16 .. 1 triples
    FIFO_RECORDS = 1365  # 4 KB of 16-bit words, in triples
    ACC_LSB_PER_G = 2049  # 0.488 mg/LSB at ±16 g
    GYRO_LSB_PER_DPS = 14.286  # 70 mdps/LSB at ±2000 dps

    def __init__(self, i2c, address, rate_hz, board_path, clock):
        FifoImu.__init__(self, i2c, address, rate_hz, board_path, clock)
        self._odr = 0
        for hz, code in _ODR_CODES:
            if hz == rate_hz:
                self._odr = code
        if not self._odr:
            raise ValueError("%s: lsm6ds3trc supports imu.rate_hz 104, 208, 416 or 833, not %d"
                             % (board_path, rate_hz))
        self._status = bytearray(4)
        self._gyro_next = True  # the next triple in the FIFO is the gyroscope's
        self._gx = self._gy = self._gz = 0

    def configure(self):
        d = self.dev
        d.write_u8(_CTRL3_C, 0x01)  # SW_RESET
        self.clock.sleep_ms(2)
        d.write_u8(_CTRL3_C, 0x44)  # BDU | IF_INC
        d.write_u8(_CTRL1_XL, (self._odr << 4) | 0x04)  # FS_XL = ±16 g
        d.write_u8(_CTRL2_G, (self._odr << 4) | 0x0C)  # FS_G = ±2000 dps
        d.write_u8(_FIFO_CTRL3, 0x09)  # gyro and accel in the FIFO, no decimation
        d.write_u8(_FIFO_CTRL5, (self._odr << 3) | 0x06)  # FIFO rate, continuous mode

    def _read_level(self):
        s = self._status
        self.dev.read_into(_FIFO_STATUS1, s)
        words = s[0] | ((s[1] & 0x07) << 8)
        self.level = words // 3
        self.fifo_overflowed = bool(s[1] & 0x40)  # OVER_RUN
        pattern = s[2] | ((s[3] & 0x03) << 8)
        self._gyro_next = pattern < 3  # words 0-2 of the pattern are the gyroscope's

    def _parse(self, k, ring):
        b = self.buf
        got = 0
        i = 0
        for _ in range(k):
            if self._gyro_next:
                self._gx = s16_le(b, i)
                self._gy = s16_le(b, i + 2)
                self._gz = s16_le(b, i + 4)
                self._gyro_next = False
            else:
                self._emit(ring, s16_le(b, i), s16_le(b, i + 2), s16_le(b, i + 4),
                           self._gx, self._gy, self._gz)
                self._gyro_next = True
                got += 1
            i += 6
        return got

    def enable_wake(self, threshold_mg):
        """Accelerometer alone at 26 Hz, wake-up (slope) interrupt routed to INT1."""
        self.dev.write_u8(_FIFO_CTRL5, 0x00)  # FIFO bypass
        st_enable_wake(self.dev, threshold_mg, 0x81)  # INTERRUPTS_ENABLE | LIR (latched)
