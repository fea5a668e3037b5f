"""The recorder's decoding and file writing on streams built with the pod's own encoder
(podfw.rawstream runs under CPython too)."""

from __future__ import annotations

import io
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podfw.rawframe import Decoder
from podfw.rawstream import RawStreamer
from stridepod.recordings import dumpfile
from stridepod.recordings.recorder import Recorder, RecorderError

INFO = {
    "board": "test", "imu": "icm42688p", "imu_rate_hz": 200, "pressure_rate_hz": 100,
    "placement": "right_insole", "acc_lsb_per_g": 2048, "gyro_lsb_per_dps": 16.4,
    "has_gyro": True, "pressure_lsb_per_newton": 10,
    "zones": [{"name": "heel", "x": 0, "y": -90}, {"name": "toe", "x": 0, "y": 90}],
}


def stream(imu_samples=40, scans=20, gap_after=None, gap=0, end=True, clock_ppm=0,
           t0_us=(1 << 30) - 30000):
    """A pod's raw stream. The pod clock starts just before its 2**30 us wrap; with
    clock_ppm the IMU's real data rate is off its nominal 200 Hz by that much, while the
    zones are scanned on the pod's own 100 Hz timer."""
    out = io.BytesIO()
    s = RawStreamer(out, INFO, 2)
    s.send_info()
    zones = array("h", [0, 0])
    period = 5000 * 1_000_000 // (1_000_000 + clock_ppm)
    for n in range(imu_samples):
        if n == gap_after:
            s.imu_gap(gap)
        index = n + (gap if gap_after is not None and n >= gap_after else 0)
        s.imu_time = (t0_us + index * period) % (1 << 30)
        s.push_imu(n, 2048, -2048, 164, 0, -164)
        if n % 2 == 0 and n // 2 < scans:
            s.pressure_time = (t0_us + n // 2 * 10_000) % (1 << 30)  # the pod's own timer
            zones[0] = 10 * n
            zones[1] = 5
            s.push_pressure(zones)
    if end:
        s.finish()
    return out.getvalue()


class Port:
    def __init__(self, data: bytes, chunk: int = 7):
        self.data = data
        self.chunk = chunk
        self.written = b""

    def read(self, n):
        part, self.data = self.data[: min(n, self.chunk)], self.data[min(n, self.chunk):]
        return part

    def write(self, b):
        self.written += b


def test_recording_is_a_loadable_dump_with_units_and_zones(tmp_path):
    rec = Recorder(Port(stream()))
    rec.start_pod()
    assert rec.port.written.endswith(b"main.record()\r")
    rec.run(idle_timeout_s=0.2)
    result = rec.write(tmp_path / "walk")
    assert result.ended_by_pod and result.imu_samples == 40 and result.pressure_scans == 20
    d = dumpfile.load(tmp_path / "walk.csv")
    assert d.rate_hz == 200 and d.placement == "right_insole"
    assert d.acc[5].tolist() == pytest.approx([5 / 2048, 1.0, -1.0], abs=1e-6)
    assert d.gyro[5].tolist() == pytest.approx([10.0, 0.0, -10.0], abs=1e-4)
    # pressure at 100 Hz held to the 200 Hz rows: scan k covers IMU samples 2k and 2k+1
    assert d.pressure[6].tolist() == [6.0, 0.5] and d.pressure[7].tolist() == [6.0, 0.5]
    assert [z["name"] for z in d.zones] == ["heel", "toe"]


def test_gap_reported_by_the_pod_is_a_jump_in_t(tmp_path):
    rec = Recorder(Port(stream(gap_after=15, gap=30)))
    rec.run(idle_timeout_s=0.2)
    result = rec.write(tmp_path / "gap")
    assert result.lost_imu_samples == 30
    d = dumpfile.load(tmp_path / "gap.csv")
    jumps = [round(float(x), 4) for x in (d.t[1:] - d.t[:-1]) if x > 0.006]
    assert jumps == [0.155]  # 31 sample periods at 200 Hz


def test_truncated_last_frame_and_garbage_are_counted(tmp_path):
    data = b"\x00garbage\xa5" + stream(end=False)[:-9]
    rec = Recorder(Port(data))
    rec.run(idle_timeout_s=0.2)
    result = rec.write(tmp_path / "cut")
    assert not result.ended_by_pod
    assert result.truncated_bytes > 0
    assert result.skipped_bytes == 9
    assert result.corrupt_frames == 0
    assert result.imu_samples == 30  # the frame of samples 30..39 was cut off


def test_rate_is_measured_on_the_pod_clock(tmp_path):
    rec = Recorder(Port(stream(imu_samples=400, scans=200, clock_ppm=12_000)))
    rec.run(idle_timeout_s=0.2)
    rec.write(tmp_path / "fast")
    d = dumpfile.load(tmp_path / "fast.csv")
    assert d.rate_hz == pytest.approx(202.4, abs=0.05)  # a chip running 1.2 % fast
    assert d.meta["recorder"]["nominal_rate_hz"] == 200
    assert d.t[-1] == pytest.approx(399 / 202.4, abs=1e-3)
    # zones line up with the IMU rows by time across the clock's wrap: row 398 is at
    # 1966.4 ms, when the latest scan was number 196 (1960 ms; it carries 10 * 392 dN)
    assert d.pressure[398].tolist() == [392.0, 0.5]


def test_stream_without_info_cannot_be_written(tmp_path):
    data = stream()
    info_frame = 6 + (data[4] | data[5] << 8) + 2  # header, payload, CRC
    rec = Recorder(Port(data[info_frame:]))
    rec.run(idle_timeout_s=0.2)
    with pytest.raises(RecorderError, match="no INFO frame"):
        rec.write(tmp_path / "x")


def test_silent_port_is_an_error():
    rec = Recorder(Port(b""), source_name="/dev/ttyACM9")
    with pytest.raises(RecorderError, match="no frames from the pod on /dev/ttyACM9 in 0.1 s"):
        rec.run(idle_timeout_s=0.1)


def test_incomplete_stream_description_is_one_clear_error(tmp_path):
    out = io.BytesIO()
    s = RawStreamer(out, {"board": "old"}, 0)
    s.send_info()
    s.push_imu(1, 2, 3, 4, 5, 6)
    s.finish()
    rec = Recorder(Port(out.getvalue()))
    rec.run(idle_timeout_s=0.2)
    with pytest.raises(RecorderError, match="lacks imu_rate_hz, pressure_rate_hz, placement"):
        rec.write(tmp_path / "old")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2000), st.integers(1, 255)), max_size=12),
       st.integers(0, 200))
def test_damaged_streams_never_crash_and_never_invent_frames(flips, cut):
    """Any damage (flipped bytes, a cut end): the recorder keeps going, every frame it
    accepts is one the pod sent, and the rest are counted."""
    original = stream(imu_samples=60, scans=30)
    sent = Decoder()
    sent.feed(original)
    originals = []
    while (frame := sent.next_frame()) is not None:
        originals.append(frame)
    data = bytearray(original)
    for pos, mask in flips:
        data[pos % len(data)] ^= mask
    data = bytes(data[: len(data) - cut])
    got = Decoder()
    got.feed(data)
    accepted = []
    while (frame := got.next_frame()) is not None:
        accepted.append(frame)
    assert set(accepted) <= set(originals)
    if data != original:  # every byte belongs to a frame: damage costs at least one
        assert len(accepted) < len(originals)
    rec = Recorder(Port(data))
    try:
        rec.run(idle_timeout_s=0.05)
    except RecorderError as exc:  # only when nothing at all survived
        assert not accepted, exc
