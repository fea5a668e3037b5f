# ST LSM6DSO (WHO_AM_I 0x6C): ±16 g, ±2000 dps, 208 Hz, continuous FIFO of tagged 7-byte
# words (tag, X, Y, Z little-endian). Accelerometer and gyroscope words arrive as separate
# tagged records; a sample is complete when both were seen. Register map: ST DS12140.
# StImu holds what the LSM6DSO shares with the LSM6DS3TR-C (lsm6ds3trc.py).
from micropython import const

from podfw.drivers.imu import FifoImu, odr_code, s16_le

_FIFO_CTRL3 = const(0x09)
_FIFO_MODE = const(0x0A)  # FIFO_CTRL4 on the LSM6DSO, FIFO_CTRL5 on the LSM6DS3TR-C
_CTRL1_XL = const(0x10)
_CTRL2_G = const(0x11)
_CTRL3_C = const(0x12)
_FIFO_STATUS1 = const(0x3A)
_TAP_CFG0 = const(0x56)
_TAP_CFG2 = const(0x58)
_WAKE_UP_THS = const(0x5B)
_WAKE_UP_DUR = const(0x5C)
_MD1_CFG = const(0x5E)
_TAG_GYRO = const(0x01)
_TAG_ACC = const(0x02)
_FS_MG = const(16000)

# ODR codes (bits 7:4 of CTRL1_XL/CTRL2_G and of the FIFO rates)
_ODR_CODES = ((104, 4), (208, 5), (416, 6), (833, 7))


class StImu(FifoImu):
    """The ST 6-axis IMUs: same control, wake-up and interrupt registers, same scales and
    output data rates; they differ in the FIFO."""
    WHO_AM_I_REG = 0x0F
    RECORDS_PER_SAMPLE = 2
    MAX_BURST_RECORDS = 32  # a power of two: bursts are 32, 16 .. 1 records
    ACC_LSB_PER_G = 2049  # 0.488 mg/LSB at ±16 g
    GYRO_LSB_PER_DPS = 14.286  # 70 mdps/LSB at ±2000 dps
    # register 0x58 for the wake-up: INTERRUPTS_ENABLE (+ LIR on the LSM6DS3TR-C)
    WAKE_TAP_CFG = 0x80

    def __init__(self, i2c, address, rate_hz, board_path, clock):
        FifoImu.__init__(self, i2c, address, rate_hz, board_path, clock)
        self._odr = odr_code(_ODR_CODES, self.NAME, rate_hz, board_path)
        self._gx = self._gy = self._gz = 0  # the newest gyroscope record

    def configure(self):
        d = self.dev
        d.write_u8(_CTRL3_C, 0x01)  # SW_RESET
        self.clock.sleep_ms(2)
        d.write_u8(_CTRL3_C, 0x44)  # BDU | IF_INC
        d.write_u8(_CTRL1_XL, (self._odr << 4) | 0x04)  # FS_XL = ±16 g
        d.write_u8(_CTRL2_G, (self._odr << 4) | 0x0C)  # FS_G = ±2000 dps
        self._configure_fifo()

    def _hold_gyro(self, b, i):
        self._gx = s16_le(b, i)
        self._gy = s16_le(b, i + 2)
        self._gz = s16_le(b, i + 4)

    def _latch_wake(self):
        """Makes the wake-up interrupt latched (LIR), so INT1 stays high until read and the
        ESP32's level wake sees it; on chips where LIR is in WAKE_TAP_CFG there is nothing
        more to write."""

    def enable_wake(self, threshold_mg):
        """Accelerometer alone at 26 Hz, wake-up (slope) interrupt routed to INT1."""
        d = self.dev
        d.write_u8(_FIFO_MODE, 0x00)  # FIFO bypass
        self._latch_wake()
        d.write_u8(_CTRL2_G, 0x00)  # gyroscope off
        d.write_u8(_CTRL1_XL, 0x24)  # 26 Hz, ±16 g
        d.write_u8(_WAKE_UP_DUR, 0x00)  # WAKE_THS_W = 0: 1 LSB = FS / 64
        ths = threshold_mg * 64 // _FS_MG
        d.write_u8(_WAKE_UP_THS, ths if ths > 0 else 1)
        d.write_u8(_TAP_CFG2, self.WAKE_TAP_CFG)
        d.write_u8(_MD1_CFG, 0x20)  # INT1_WU


class LSM6DSO(StImu):
    NAME = "lsm6dso"
    WHO_AM_I = 0x6C
    DATA_REG = 0x78  # FIFO_DATA_OUT_TAG; burst reads roll over 0x78..0x7E
    RECORD_BYTES = 7
    FIFO_RECORDS = 1023  # the 10-bit FIFO level

    def __init__(self, i2c, address, rate_hz, board_path, clock):
        StImu.__init__(self, i2c, address, rate_hz, board_path, clock)
        self._status = bytearray(2)
        self._acc = [0, 0, 0]
        self._has_acc = False
        self._has_gyro = False

    def _configure_fifo(self):
        d = self.dev
        d.write_u8(_FIFO_CTRL3, (self._odr << 4) | self._odr)  # batch gyro and acc
        d.write_u8(_FIFO_MODE, 0x06)  # continuous mode
        self._has_acc = False
        self._has_gyro = False

    def _read_level(self):
        self.dev.read_into(_FIFO_STATUS1, self._status)
        s2 = self._status[1]
        self.level = self._status[0] | ((s2 & 0x03) << 8)
        self.fifo_overflowed = bool(s2 & 0x40)  # FIFO_OVR_IA

    def _parse(self, k, ring):
        b = self.buf
        acc = self._acc
        got = 0
        i = 0
        for _ in range(k):
            tag = b[i] >> 3
            if tag == _TAG_ACC:
                acc[0] = s16_le(b, i + 1)
                acc[1] = s16_le(b, i + 3)
                acc[2] = s16_le(b, i + 5)
                self._has_acc = True
            elif tag == _TAG_GYRO:
                self._hold_gyro(b, i + 1)
                self._has_gyro = True
            if self._has_acc and self._has_gyro:
                self._emit(ring, acc[0], acc[1], acc[2], self._gx, self._gy, self._gz)
                self._has_acc = False
                self._has_gyro = False
                got += 1
            i += 7
        return got

    def _latch_wake(self):
        self.dev.write_u8(_TAP_CFG0, 0x01)  # LIR
