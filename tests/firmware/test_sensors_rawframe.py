# The raw stream's frames under MicroPython: the pod's encoder and the shared decoder
# agree, damage is detected, gaps show as index jumps, streaming allocates nothing per
# sample.
from array import array

import micropython

from fwtest import assert_equal
from podfw import rawframe as F
from podfw.rawstream import RawStreamer


class Sink:
    def __init__(self):
        self.data = bytearray()

    def write(self, buf):
        self.data.extend(buf)


def _streamer(zones=3):
    out = Sink()
    info = {"imu_rate_hz": 200, "zones": [{"name": "z%d" % i, "x": i, "y": 0} for i in range(zones)]}
    return out, RawStreamer(out, info, zones)


def _frames(data):
    dec = F.Decoder()
    dec.feed(data)
    frames = []
    while True:
        f = dec.next_frame()
        if f is None:
            return frames, dec
        frames.append(f)


def test_crc_is_ccitt_false():
    msg = b"123456789"
    assert_equal(F.crc16(msg, 0, len(msg)), 0x29B1, "CRC-16/CCITT-FALSE check value")


def test_samples_round_trip_through_frames():
    out, s = _streamer()
    s.send_info()
    for n in range(25):
        s.imu_time = n * 5000
        s.push_imu(n, -n, 32767, -32768, 2 * n, 7)
    zones = array("h", [0, 0, 0])
    for n in range(7):
        s.pressure_time = n * 10000
        zones[0] = n
        zones[1] = 1000 + n
        zones[2] = 32767
        s.push_pressure(zones)
    s.finish()
    frames, dec = _frames(out.data)
    kinds = [f[0] for f in frames]
    assert_equal(kinds, [1, 2, 2, 3, 2, 3, 4], "frame order")
    assert_equal(dec.corrupt, 0, "corrupt")
    imu = [f for f in frames if f[0] == F.TYPE_IMU]
    assert_equal(F.get_u32(imu[1][2], 0), 10, "second frame starts at sample 10")
    assert_equal(F.get_u32(imu[1][2], 4), 10 * 5000, "its pod time")
    last = imu[2][2]
    assert_equal(len(last), F.IMU_PREFIX + 12 * 5, "partial last frame")
    p = F.IMU_PREFIX + 12 * 4
    got = [F.get_i16(last, p + 2 * k) for k in range(6)]
    assert_equal(got, [24, -24, 32767, -32768, 48, 7], "sample 24")
    pressure = [f for f in frames if f[0] == F.TYPE_PRESSURE]
    assert_equal(pressure[1][2][8], 3, "zones per scan")
    assert_equal(F.get_u32(pressure[1][2], 4), 5 * 10000, "scan 5 pod time")
    assert_equal(F.get_i16(pressure[1][2], F.PRESSURE_PREFIX + 6 + 2), 1006, "scan 6 zone 2")


def test_values_past_16_bits_saturate():
    # a full-scale gyro sample minus its zero-rate offset (Pod.gyro_bias) passes 16 bits
    buf = bytearray(4)
    for v, want in ((-32911, -32768), (32900, 32767), (-5, -5)):
        F.put_i16(buf, 1, v)
        assert_equal(F.get_i16(buf, 1), want, "put %d" % v)


def test_damaged_frame_costs_only_itself():
    out, s = _streamer()
    for n in range(40):
        s.push_imu(n, 0, 0, 0, 0, 0)
    data = bytearray(out.data)
    frame = len(data) // 4
    data[frame + frame // 2] ^= 0x10  # inside the second frame
    frames, dec = _frames(b"noise" + data)
    assert_equal(dec.corrupt, 1, "corrupt frames")
    assert_equal([F.get_u32(f[2], 0) for f in frames], [0, 20, 30], "surviving frames")
    assert_equal(dec.skipped_bytes, 5 + frame - 1, "bytes outside frames")


def test_gap_shows_as_an_index_jump():
    out, s = _streamer()
    for n in range(5):
        s.push_imu(n, 0, 0, 0, 0, 0)
    s.imu_gap(12)
    for n in range(12):
        s.push_imu(n, 0, 0, 0, 0, 0)
    s.finish()
    frames, dec = _frames(out.data)
    starts = [F.get_u32(f[2], 0) for f in frames if f[0] == F.TYPE_IMU]
    assert_equal(starts, [0, 17, 27], "index jumps by the gap")


def test_streaming_allocates_nothing_per_sample():
    out, s = _streamer(8)

    class Fixed:  # a serial port that takes the bytes without keeping them
        def __init__(self):
            self.n = 0

        def write(self, buf):
            self.n += len(buf)

    line = Fixed()
    s.out = line
    zones = array("h", bytes(16))
    micropython.heap_lock()
    try:
        for n in range(200):
            s.push_imu(n, n, n, n, n, n)
            if n & 1:
                s.push_pressure(zones)
    finally:
        micropython.heap_unlock()
    assert_equal(line.n, 20 * (6 + 8 + 120 + 2) + 20 * (6 + 9 + 80 + 2), "bytes written")
