# ST LSM6DS3TR-C (WHO_AM_I 0x6A): ±16 g, ±2000 dps, 208 Hz, continuous FIFO without tags:
# data sets in a fixed pattern, gyroscope X, Y, Z then accelerometer X, Y, Z (16-bit
# little-endian words); FIFO_STATUS3 says where in the pattern the next word is.
# Register map: ST DS12352 (the same layout as the LSM6DSL). Everything but the FIFO is
# shared with the LSM6DSO (lsm6dso.StImu).
from micropython import const

from podfw.drivers.imu import s16_le
from podfw.drivers.lsm6dso import StImu

_FIFO_CTRL3 = const(0x08)
_FIFO_CTRL5 = const(0x0A)
_FIFO_STATUS1 = const(0x3A)  # .. FIFO_STATUS4 (0x3D)


class LSM6DS3TRC(StImu):
    NAME = "lsm6ds3trc"
    WHO_AM_I = 0x6A
    DATA_REG = 0x3E  # FIFO_DATA_OUT_L; a burst read streams the FIFO
    RECORD_BYTES = 6  # one sensor's X, Y, Z
    # 4 KB FIFO = 2048 16-bit words (DIFF_FIFO counts up to 2047): 682 three-word records
    FIFO_RECORDS = 682
    WAKE_TAP_CFG = 0x81  # TAP_CFG: INTERRUPTS_ENABLE | LIR (latched)

    def __init__(self, i2c, address, rate_hz, board_path, clock):
        StImu.__init__(self, i2c, address, rate_hz, board_path, clock)
        self._status = bytearray(4)
        self._gyro_next = True  # the next triple in the FIFO is the gyroscope's

    def _configure_fifo(self):
        d = self.dev
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
                self._hold_gyro(b, i)
                self._gyro_next = False
            else:
                self._emit(ring, s16_le(b, i), s16_le(b, i + 2), s16_le(b, i + 4),
                           self._gx, self._gy, self._gz)
                self._gyro_next = True
                got += 1
            i += 6
        return got
