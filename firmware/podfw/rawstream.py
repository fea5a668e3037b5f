# The pod's raw mode for `stridepod record`: takes the place of the gait engine in the
# pod (same push_imu / push_pressure / gap interface) and writes every sample to a
# stream (USB serial) in podfw.rawframe frames. Frames have a fixed batch size and live
# in buffers allocated once, so streaming allocates nothing per sample.
import json

from podfw import rawframe as F


class RawStreamer:
    def __init__(self, out, info, zones):
        self.out = out
        self.zones = zones
        self.seq = 0
        self.imu_index = 0
        self.pressure_index = 0
        self.flags = 0
        self.frames = 0
        self._imu = bytearray(F.HEADER + F.IMU_PREFIX + F.IMU_SAMPLE_BYTES * F.IMU_BATCH
                              + F.CRC_BYTES)
        self._imu_n = 0
        self._p_row = 2 * zones
        self._p = bytearray(F.HEADER + F.PRESSURE_PREFIX + self._p_row * F.PRESSURE_BATCH
                            + F.CRC_BYTES)
        self.imu_time = 0  # pod time (us) of the next sample / scan, set by the pod
        self.pressure_time = 0
        self._p_n = 0
        text = json.dumps(info).encode()
        self._info_len = len(text)
        self._info = bytearray(F.HEADER + self._info_len + F.CRC_BYTES)
        self._info[F.HEADER:F.HEADER + self._info_len] = text

    def _send(self, buf, ftype, length):
        size = F.seal(buf, ftype, self.seq, length)
        self.seq = (self.seq + 1) & 0xFF
        self.frames += 1
        if size == len(buf):
            self.out.write(buf)
        else:
            self.out.write(memoryview(buf)[:size])
        if self.seq == 0:
            self.send_info()  # again every 256 frames: a recorder joining late can start

    def send_info(self):
        self._send(self._info, F.TYPE_INFO, self._info_len)

    # --- the gait engine's interface --------------------------------------------------
    def push_imu(self, ax, ay, az, gx, gy, gz):
        buf = self._imu
        if self._imu_n == 0:
            F.put_u32(buf, F.HEADER, self.imu_index)
            F.put_u32(buf, F.HEADER + 4, self.imu_time)
        i = F.HEADER + F.IMU_PREFIX + F.IMU_SAMPLE_BYTES * self._imu_n
        F.put_i16(buf, i, ax)
        F.put_i16(buf, i + 2, ay)
        F.put_i16(buf, i + 4, az)
        F.put_i16(buf, i + 6, gx)
        F.put_i16(buf, i + 8, gy)
        F.put_i16(buf, i + 10, gz)
        self.imu_index += 1
        self._imu_n += 1
        if self._imu_n == F.IMU_BATCH:
            self._flush_imu()

    def _flush_imu(self):
        if self._imu_n:
            self._send(self._imu, F.TYPE_IMU, F.IMU_PREFIX + F.IMU_SAMPLE_BYTES * self._imu_n)
            self._imu_n = 0

    def push_pressure(self, zones):
        buf = self._p
        if self._p_n == 0:
            F.put_u32(buf, F.HEADER, self.pressure_index)
            F.put_u32(buf, F.HEADER + 4, self.pressure_time)
            buf[F.HEADER + 8] = self.zones
        i = F.HEADER + F.PRESSURE_PREFIX + self._p_row * self._p_n
        for z in range(self.zones):
            F.put_i16(buf, i + 2 * z, zones[z])
        self.pressure_index += 1
        self._p_n += 1
        if self._p_n == F.PRESSURE_BATCH:
            self._flush_pressure()

    def _flush_pressure(self):
        if self._p_n:
            self._send(self._p, F.TYPE_PRESSURE, F.PRESSURE_PREFIX + self._p_row * self._p_n)
            self._p_n = 0

    def imu_gap(self, n):
        self._flush_imu()  # the next frame starts at the index after the gap
        self.imu_index += n

    def pressure_gap(self, n):
        self._flush_pressure()
        self.pressure_index += n

    def flag(self, bits):
        self.flags |= bits

    def poll_window(self):
        return None

    def finish(self):
        self._flush_imu()
        self._flush_pressure()
        buf = bytearray(F.HEADER + F.CRC_BYTES)
        self._send(buf, F.TYPE_END, 0)
        return None
