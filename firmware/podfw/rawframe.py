# The raw sample stream of `stridepod record`: the pod (raw mode) writes framed binary
# samples to USB serial; the host recorder decodes them. Defined once, here; the host
# imports this module (podfw is installed on the host).
#
#   frame   = A5 5A | type u8 | seq u8 | length u16 LE | payload | crc u16 LE
#   crc     = CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over type..payload
#   INFO    payload: UTF-8 JSON describing the stream (board, rates, units, zones)
#   IMU     payload: first sample index u32, its time u32, then samples of 6 x int16
#           (chip LSB); the samples follow at the nominal data rate
#   PRESSURE payload: first scan index u32, its time u32, zones u8, then scans of
#           zones x int16 (0.1 N after calibration), at the nominal scan rate
#   END     payload: empty; the pod stopped streaming
# All little-endian. Sample indexes count from the start of the stream per sensor; a
# jump is a gap. Times are the pod's microsecond clock modulo 2**30 (IMU samples are
# stamped from the FIFO drain time, scans when taken), one clock for both sensors, so
# the recorder can measure the IMU's real data rate and line the zones up with it.
from micropython import const

from podfw.crc import crc16

SYNC0 = const(0xA5)
SYNC1 = const(0x5A)
TYPE_INFO = const(1)
TYPE_IMU = const(2)
TYPE_PRESSURE = const(3)
TYPE_END = const(4)
HEADER = const(6)
CRC_BYTES = const(2)
IMU_PREFIX = const(8)  # index, time
IMU_SAMPLE_BYTES = const(12)
PRESSURE_PREFIX = const(9)  # index, time, zones
MAX_PAYLOAD = const(2048)
IMU_BATCH = const(10)  # samples per IMU frame
PRESSURE_BATCH = const(5)  # scans per pressure frame


def seal(buf, ftype, seq, length):
    """Writes header and CRC around a payload already at buf[HEADER:HEADER+length];
    returns the frame size."""
    buf[0] = SYNC0
    buf[1] = SYNC1
    buf[2] = ftype
    buf[3] = seq & 0xFF
    buf[4] = length & 0xFF
    buf[5] = length >> 8
    end = HEADER + length
    crc = crc16(buf, 2, end)
    buf[end] = crc & 0xFF
    buf[end + 1] = crc >> 8
    return end + CRC_BYTES


def put_u32(buf, i, v):
    buf[i] = v & 0xFF
    buf[i + 1] = (v >> 8) & 0xFF
    buf[i + 2] = (v >> 16) & 0xFF
    buf[i + 3] = (v >> 24) & 0xFF


def put_i16(buf, i, v):
    # saturates: a gyro sample at full scale minus its zero-rate offset can pass 16 bits
    if v > 32767:
        v = 32767
    elif v < -32768:
        v = -32768
    buf[i] = v & 0xFF
    buf[i + 1] = (v >> 8) & 0xFF


def get_u32(buf, i):
    return buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)


def get_i16(buf, i):
    v = buf[i] | (buf[i + 1] << 8)
    return v - 0x10000 if v & 0x8000 else v


class Decoder:
    """Finds frames in a byte stream. Bytes outside frames are skipped and counted; a
    frame with a bad CRC or impossible length is counted as corrupt and the search goes
    on one byte later, so one damaged frame costs only itself."""

    def __init__(self):
        self.buf = bytearray()
        self.frames = 0
        self.corrupt = 0
        self.skipped_bytes = 0

    def feed(self, data):
        self.buf.extend(data)

    def next_frame(self):
        """(type, seq, payload bytes) of the next complete frame, or None."""
        buf = self.buf
        while True:
            start = buf.find(bytes((SYNC0, SYNC1)))
            if start < 0:
                keep = 1 if buf and buf[-1] == SYNC0 else 0
                self.skipped_bytes += len(buf) - keep
                self.buf = buf = buf[len(buf) - keep:]
                return None
            if start:
                self.skipped_bytes += start
                self.buf = buf = buf[start:]
            if len(buf) < HEADER:
                return None
            length = buf[4] | (buf[5] << 8)
            if length > MAX_PAYLOAD or buf[2] not in (TYPE_INFO, TYPE_IMU, TYPE_PRESSURE,
                                                      TYPE_END):
                self.corrupt += 1
                self.buf = buf = buf[1:]
                continue
            end = HEADER + length
            if len(buf) < end + CRC_BYTES:
                return None
            crc = buf[end] | (buf[end + 1] << 8)
            if crc != crc16(buf, 2, end):
                self.corrupt += 1
                self.buf = buf = buf[1:]
                continue
            frame = (buf[2], buf[3], bytes(buf[HEADER:end]))
            self.buf = buf[end + CRC_BYTES:]
            self.frames += 1
            return frame

    def pending(self):
        """Bytes of an unfinished frame left at the end of the stream (truncated)."""
        return len(self.buf)
