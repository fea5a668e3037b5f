"""The v1 wire format and the pod's control-point handler under CPython, with
hypothesis: the host decoder rejects every corrupt record with a clear error, and no
control-point write makes the firmware's handler raise."""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podfw.gait.summary import WindowSummary
from podfw.link import wire

ROOT = Path(__file__).resolve().parents[2]

u32 = st.integers(0, 0xFFFFFFFF)
records = st.builds(
    wire.Record,
    seq=u32,
    time_s=u32,
    duration_ms=st.integers(0, 255).map(lambda ds: ds * 100),
    steps=st.integers(0, 255),
    cadence_spm=st.integers(0, 255),
    impact_peak_cg=st.integers(0, 4095),
    contact_ms=st.integers(0, 4095),
    flags=st.integers(0, 255),
    strike_heel=st.integers(0, 31),
    strike_mid=st.integers(0, 31),
    strike_fore=st.integers(0, 31),
    clock_set=st.booleans(),
    session_start=st.booleans(),
)


@given(records)
def test_round_trip(record):
    data = bytes(wire.encode_record(record))
    assert len(data) == wire.RECORD_SIZE
    assert wire.decode(data) == record
    assert wire.decode(data).as_dict()["seq"] == record.seq == wire.decode(data)["seq"]


@given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6),
       st.integers(-(10**6), 10**6))
def test_out_of_range_values_are_clipped_and_flagged(steps, impact, contact, heel):
    record = wire.decode(wire.encode_fields(1, 2, 5000, steps, 170, impact, contact, 0, heel, 0, 0))
    assert record.steps == min(max(steps, 0), 255)
    assert record.impact_peak_cg == min(max(impact, 0), 4095)
    assert record.contact_ms == min(max(contact, 0), 4095)
    assert record.strike_heel == min(max(heel, 0), 31)
    in_range = 0 <= steps <= 255 and 0 <= impact <= 4095 and 0 <= contact <= 4095 and 0 <= heel <= 31
    assert record.clipped is not in_range


def _flip_bits(data: bytes, positions) -> bytes:
    out = bytearray(data)
    for bit in positions:
        out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


RECORD_BITS = wire.RECORD_SIZE * 8


@st.composite
def corruptions(draw):
    """A valid record and a corrupted copy, in the classes the 16-bit CRC is guaranteed
    to catch (bursts up to 16 bits, any odd number of flipped bits, any two flipped
    bits) or the length check catches (truncation, extra bytes)."""
    data = bytes(wire.encode_record(draw(records)))
    kind = draw(st.sampled_from(["burst", "odd", "two", "length"]))
    if kind == "burst":
        length = draw(st.integers(1, 16))
        start = draw(st.integers(0, RECORD_BITS - length))
        inner = draw(st.integers(0, (1 << max(length - 2, 0)) - 1)) if length > 2 else 0
        pattern = 1 | (inner << 1) | (1 << (length - 1))
        bad = _flip_bits(data, [start + i for i in range(length) if pattern >> i & 1])
    elif kind == "odd":
        n = draw(st.sampled_from([1, 3, 5, 7, 9]))
        bad = _flip_bits(data, draw(st.lists(st.integers(0, RECORD_BITS - 1), min_size=n,
                                              max_size=n, unique=True)))
    elif kind == "two":
        bad = _flip_bits(data, draw(st.lists(st.integers(0, RECORD_BITS - 1), min_size=2,
                                              max_size=2, unique=True)))
    else:
        n = draw(st.integers(0, 40).filter(lambda n: n != wire.RECORD_SIZE))
        bad = (data + draw(st.binary(min_size=20, max_size=20)))[:n]
    return data, bad


@given(corruptions())
def test_decoder_rejects_every_corrupt_record_with_a_clear_error(pair):
    good, bad = pair
    assert bad != good
    with pytest.raises(wire.WireError) as caught:
        wire.decode(bad)
    message = str(caught.value)
    assert message.startswith("summary record") and "\n" not in message


@given(st.binary(min_size=0, max_size=40))
def test_arbitrary_bytes_decode_or_raise_wire_error(data):
    try:
        record = wire.decode(data)
    except wire.WireError:
        return
    assert bytes(wire.encode_record(record)) == data  # only an intact record decodes


@given(st.binary(max_size=24))
def test_indication_decoder_raises_only_wire_errors(data):
    try:
        wire.decode_indication(data)
    except wire.WireError as exc:
        assert str(exc)


# ---- the firmware's control-point handler under CPython --------------------------------


@pytest.fixture(scope="module")
def firmware_link():
    """podfw.link.podlink imported with the recording `bluetooth` stand-in the
    MicroPython tests use (CPython has no `bluetooth` module)."""
    spec = importlib.util.spec_from_file_location(
        "radio_recorder", ROOT / "tests" / "firmware" / "radio_recorder.py")
    recorder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recorder)
    saved = {name: sys.modules.pop(name, None)
             for name in ("bluetooth", "podfw.link.gatt", "podfw.link.podlink")}
    sys.modules["bluetooth"] = recorder
    try:
        from podfw.link import clock, flashlog, gatt, podlink

        yield recorder, clock, flashlog, gatt, podlink
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


class Controller:
    def start_session(self):
        return True

    def stop_session(self):
        return True

    def calibrate(self, target):
        raise RuntimeError("IMU not still")  # a failing handler must not escape either


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=24)), min_size=1, max_size=40))
def test_random_control_point_writes_never_raise(firmware_link, writes):
    recorder, clock, flashlog, gatt, podlink = firmware_link
    with tempfile.TemporaryDirectory() as root:
        ble = recorder.BLE()
        log = flashlog.FlashLog(flashlog.FileStorage(root), 64, 16)
        link = podlink.PodLink(ble, log, clock.PodClock(), controller=Controller())
        cp = ble.handle_of(gatt.CONTROL_POINT_UUID)
        ble.connect(1)
        ble.encrypt(1)
        ble.connect(2)  # never bonded
        answered = 0
        for i, (bonded, data) in enumerate(writes):
            conn = 1 if bonded else 2
            ble.write(conn, cp, data)
            if i % 7 == 0:
                link.publish(WindowSummary(index=i, start_ms=i * 5000, duration_ms=5000,
                                           steps=12, cadence_spm=150))
            link.poll()
            while answered < len(ble.indicated):
                who, handle, value = ble.indicated[answered]
                answered += 1
                response = wire.decode_indication(value)
                if response.kind == "response":
                    expected_op = data[0] if data else 0
                    assert response.op == expected_op
                    if not bonded:
                        assert response.result == wire.RESULT_NOT_PERMITTED
                ble.ack_indication(who, handle)
                link.poll()
        responses = [wire.decode_indication(v) for _, _, v in ble.indicated]
        assert sum(r.kind == "response" for r in responses) == len(writes)
        assert all(isinstance(r.result, int) or r.kind == "event" for r in responses)
        assert link.counters.log_failures == 0
        calibrations = sum(1 for b, d in writes if b and len(d) == 2 and d[0] == wire.OP_CALIBRATE
                           and d[1] in (1, 2))
        assert link.counters.link_errors == calibrations  # only the controller's own failures count


@given(st.lists(records, min_size=1, max_size=wire.MAX_RECORDS_PER_NOTIFICATION),
       st.data())
def test_a_packed_notification_is_its_records_each_checked_alone(batch, data):
    packed = b"".join(bytes(wire.encode_record(r)) for r in batch)
    assert len(packed) <= wire.MAX_ATT_MTU - wire.ATT_NOTIFY_HEADER
    assert [wire.decode(part) for part in wire.split_notification(packed)] == batch
    # one flipped bit: only the record it falls in is rejected
    bit = data.draw(st.integers(0, 8 * len(packed) - 1))
    damaged = bytearray(packed)
    damaged[bit // 8] ^= 1 << (bit % 8)
    for k, part in enumerate(wire.split_notification(damaged)):
        if k == bit // (8 * wire.RECORD_SIZE):
            with pytest.raises(wire.WireError, match="summary record"):
                wire.decode(part)
        else:
            assert wire.decode(part) == batch[k]
    cut = data.draw(st.integers(1, len(packed) - 1).filter(lambda n: n % wire.RECORD_SIZE))
    with pytest.raises(wire.WireError, match="not a whole number"):
        wire.split_notification(packed[:cut])
