# TDK InvenSense ICM-42688-P (WHO_AM_I 0x47): ±16 g, ±2000 dps, 200 Hz, stream-to-FIFO of
# 16-byte packets (header, accel XYZ, gyro XYZ big-endian, temperature, timestamp).
# Register map: TDK DS-000347.
from micropython import const

from podfw.drivers.imu import FifoImu, odr_code
from podfw.sampling.ring import STAMP_MASK

_DEVICE_CONFIG = const(0x11)
_INT_CONFIG = const(0x14)
_FIFO_CONFIG = const(0x16)
_INT_STATUS = const(0x2D)  # followed by FIFO_COUNTH, FIFO_COUNTL
_INTF_CONFIG0 = const(0x4C)
_PWR_MGMT0 = const(0x4E)
_GYRO_CONFIG0 = const(0x4F)
_ACCEL_CONFIG0 = const(0x50)
_SMD_CONFIG = const(0x57)
_FIFO_CONFIG1 = const(0x5F)
_INT_CONFIG1 = const(0x64)
_INT_SOURCE1 = const(0x66)
_REG_BANK_SEL = const(0x76)
_ACCEL_WOM_X_THR = const(0x4A)  # bank 4, then Y, Z
_HEADER_EMPTY = const(0x80)
_HEADER_ACC_GYRO = const(0x60)

_ODR_CODES = ((100, 8), (200, 7), (500, 15), (1000, 6))


class ICM42688P(FifoImu):
    NAME = "icm42688p"
    WHO_AM_I_REG = 0x75
    WHO_AM_I = 0x47
    DATA_REG = 0x30  # FIFO_DATA: a burst read streams the FIFO
    RECORD_BYTES = 16
    RECORDS_PER_SAMPLE = 1
    MAX_BURST_RECORDS = 16  # a power of two: bursts are 16, 8 .. 1 packets
    FIFO_RECORDS = 128  # 2 KB of 16-byte packets
    ACC_LSB_PER_G = 2048
    GYRO_LSB_PER_DPS = 16.4

    def __init__(self, i2c, address, rate_hz, board_path, clock):
        FifoImu.__init__(self, i2c, address, rate_hz, board_path, clock)
        self._odr = odr_code(_ODR_CODES, self.NAME, rate_hz, board_path)
        self._status = bytearray(3)
        self.bad_packets = 0

    def configure(self):
        d = self.dev
        d.write_u8(_REG_BANK_SEL, 0)
        d.write_u8(_DEVICE_CONFIG, 0x01)  # soft reset
        self.clock.sleep_ms(2)
        d.write_u8(_INTF_CONFIG0, 0x70)  # FIFO count in records, big-endian count and data
        d.write_u8(_GYRO_CONFIG0, self._odr)  # FS_SEL 0 = ±2000 dps
        d.write_u8(_ACCEL_CONFIG0, self._odr)  # FS_SEL 0 = ±16 g
        d.write_u8(_FIFO_CONFIG1, 0x07)  # accel + gyro + temperature: 16-byte packets
        d.write_u8(_FIFO_CONFIG, 0x40)  # stream-to-FIFO
        d.write_u8(_PWR_MGMT0, 0x0F)  # accel and gyro low-noise mode
        self.clock.sleep_ms(45)  # gyroscope start-up

    def _read_level(self):
        s = self._status
        self.dev.read_into(_INT_STATUS, s)
        self.level = (s[1] << 8) | s[2]
        self.fifo_overflowed = bool(s[0] & 0x02)  # FIFO_FULL_INT, cleared by the read

    def _parse(self, k, ring):
        b = self.buf
        got = 0
        i = 0
        for _ in range(k):
            header = b[i]
            if header & _HEADER_EMPTY or header & _HEADER_ACC_GYRO != _HEADER_ACC_GYRO:
                self.bad_packets += 1
                self._stamp = (self._stamp + self.period_us) & STAMP_MASK
            else:
                self._emit(ring, s16_be(b, i + 1), s16_be(b, i + 3), s16_be(b, i + 5),
                           s16_be(b, i + 7), s16_be(b, i + 9), s16_be(b, i + 11))
                got += 1
            i += 16
        return got

    def enable_wake(self, threshold_mg):
        """Accelerometer alone in low-power mode at 50 Hz, wake-on-motion on INT1, in the
        order and with the waits of the datasheet's "Wake on Motion programming"
        (DS-000347 8.7)."""
        d = self.dev
        clock = self.clock
        d.write_u8(_PWR_MGMT0, 0x00)  # sensors off: no register writes for 200 us after
        clock.sleep_ms(1)
        d.write_u8(_INT_CONFIG, 0x07)  # INT1 latched (for the ESP32's level wake), push-pull, active high
        # INT_CONFIG1 resets to 0x10: INT_ASYNC_RESET must be cleared "for proper INT1 and
        # INT2 pin operation" (datasheet, register 0x64); pulse timing bits stay default
        d.write_u8(_INT_CONFIG1, 0x00)
        # 1. accelerometer at 50 Hz (ACCEL_ODR 9, FS_SEL 0 = ±16 g) in low-power mode
        d.write_u8(_ACCEL_CONFIG0, 0x09)
        d.write_u8(_PWR_MGMT0, 0x02)
        clock.sleep_ms(1)
        # 2. thresholds, 1 LSB = 1 g / 256, in bank 4
        ths = threshold_mg * 256 // 1000
        ths = 255 if ths > 255 else ths
        d.write_u8(_REG_BANK_SEL, 4)
        d.write_u8(_ACCEL_WOM_X_THR, ths)
        d.write_u8(_ACCEL_WOM_X_THR + 1, ths)
        d.write_u8(_ACCEL_WOM_X_THR + 2, ths)
        d.write_u8(_REG_BANK_SEL, 0)
        clock.sleep_ms(1)
        # 3. WOM on X, Y and Z routed to INT1
        d.write_u8(_INT_SOURCE1, 0x07)
        clock.sleep_ms(50)
        # 4. WOM on: each sample compared with the previous one, any axis, SMD_MODE WOM
        d.write_u8(_SMD_CONFIG, 0x05)


def s16_be(buf, i):
    v = (buf[i] << 8) | buf[i + 1]
    return v - 0x10000 if v & 0x8000 else v
