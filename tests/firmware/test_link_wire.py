# Wire format v1 under real MicroPython: round trips, clipping, corruption detection,
# control-point parsing, and the ESP32 31-bit small-int budget of the arithmetic.
from fwtest import Lcg, assert_equal, assert_raises, assert_small_int
from podfw import crc
from podfw.gait.summary import WindowSummary
from podfw.link import wire


def random_record(rng):
    return wire.Record(
        seq=rng.below(1 << 24) * 256 + rng.below(256), time_s=rng.below(1 << 30),
        duration_ms=rng.below(256) * 100, steps=rng.below(256), cadence_spm=rng.below(256),
        impact_peak_cg=rng.below(4096), contact_ms=rng.below(4096), flags=rng.below(256),
        strike_heel=rng.below(32), strike_mid=rng.below(32), strike_fore=rng.below(32),
        clock_set=rng.below(2) == 1, session_start=rng.below(2) == 1)


def test_crc_is_ccitt_false():
    assert_equal(wire.crc16(b"123456789"), 0x29B1, "CRC-16/CCITT-FALSE check value")


def test_round_trip_random_records():
    rng = Lcg(7)
    for _ in range(500):
        record = random_record(rng)
        data = wire.encode_record(record)
        assert_equal(len(data), wire.RECORD_SIZE, "record size")
        assert_equal(wire.decode(data), record, "decoded record")


def test_extremes_round_trip():
    for value in (0, 1):
        top = wire.Record(0xFFFFFFFF * value, 0xFFFFFFFF * value, 25500 * value,
                          255 * value, 255 * value, 4095 * value, 4095 * value, 255 * value,
                          31 * value, 31 * value, 31 * value)
        assert_equal(wire.decode(wire.encode_record(top)), top, "extreme record")


def test_summary_encoding_and_clipping():
    summary = WindowSummary(index=0, start_ms=0, duration_ms=4960, steps=300, cadence_spm=172,
                            impact_peak_cg=5000, contact_ms=231, strike_heel=40,
                            strike_mid=2, strike_fore=-1, flags=0x11)
    record = wire.decode(wire.encode_summary(summary, 42, 850000000, clock_set=False))
    assert_equal(record.duration_ms, 5000, "duration rounded to 0.1 s")
    assert_equal((record.steps, record.impact_peak_cg, record.strike_heel, record.strike_fore),
                 (255, 4095, 31, 0), "clipped fields")
    assert record.clipped and record.session_start and not record.clock_set
    assert_equal((record.seq, record.time_s, record.cadence_spm, record.contact_ms,
                  record.strike_mid, record.flags), (42, 850000000, 172, 231, 2, 0x11),
                 "kept fields")
    normal = WindowSummary(index=3, duration_ms=5000, steps=14, cadence_spm=168)
    record = wire.decode(wire.encode_summary(normal, 43, 850000005))
    assert not record.clipped and not record.session_start and record.clock_set


def test_every_single_bit_flip_is_rejected():
    data = wire.encode_record(random_record(Lcg(3)))
    for i in range(wire.RECORD_SIZE):
        for bit in range(8):
            bad = bytearray(data)
            bad[i] ^= 1 << bit
            exc = assert_raises(wire.WireError, wire.decode, bad)
            assert "summary record" in str(exc)


def test_every_two_byte_burst_is_rejected():
    rng = Lcg(11)
    data = wire.encode_record(random_record(rng))
    for i in range(wire.RECORD_SIZE - 1):
        for _ in range(40):
            bad = bytearray(data)
            bad[i] ^= rng.below(256)
            bad[i + 1] ^= 1 + rng.below(255)
            assert_raises(wire.WireError, wire.decode, bad)


def test_wrong_length_version_and_reserved_bits():
    data = wire.encode_record(random_record(Lcg(5)))
    for n in range(wire.RECORD_SIZE + 4):
        if n != wire.RECORD_SIZE:
            candidate = (data + bytes(4))[:n]
            assert "bytes, expected 20" in str(assert_raises(wire.WireError, wire.decode, candidate))
    v2 = bytearray(data)
    v2[0] = (2 << 4) | (v2[0] & 0x0F)
    assert "version 2" in str(assert_raises(wire.WireError, wire.decode, v2))
    for index, bit in ((0, 0x08), (17, 0x80)):
        bad = bytearray(data)
        bad[index] |= bit
        bad[18:20] = wire.crc16(bad, 18).to_bytes(2, "little")
        assert "reserved" in str(assert_raises(wire.WireError, wire.decode, bad))


def test_arithmetic_stays_in_small_ints():
    # worst cases of what the encoder and the CRC compute in machine words (seq and
    # time are packed by struct, which takes any width)
    assert_small_int(max(crc.CRC16_TABLE) << 8, "CRC state shifted by a byte")
    assert_small_int(0xFF00 << 8, "CRC table build before masking")
    assert_small_int(wire.MAX_IMPACT_CG | (wire.MAX_CONTACT_MS << 12), "impact/contact word")
    assert_small_int(wire.MAX_STRIKES | (wire.MAX_STRIKES << 5) | (wire.MAX_STRIKES << 10),
                     "strike word")
    # a window start in 2033 (seconds since 2000) still decodes to a small int
    record = wire.decode(wire.encode_fields(5, 33 * 365 * 86400, 5000, 1, 1, 1, 1, 0, 0, 0, 0))
    assert_small_int(record.time_s, "2033 timestamp")


def test_command_round_trips():
    cases = ((wire.OP_SET_TIME, 850000000), (wire.OP_START_SESSION, None),
             (wire.OP_STOP_SESSION, None), (wire.OP_BACKFILL, 0),
             (wire.OP_BACKFILL, wire.BACKFILL_LIVE_ONLY), (wire.OP_CALIBRATE, 2),
             (wire.OP_READ_CONFIG, None), (wire.OP_STOP_STREAM, None))
    for op, param in cases:
        assert_equal(wire.parse_command(wire.encode_command(op, param)), (op, param), "command")


def test_random_command_bytes_raise_only_wire_errors():
    rng = Lcg(99)
    accepted = 0
    for _ in range(3000):
        data = bytes(rng.below(9) if k == 0 else rng.below(256) for k in range(rng.below(7)))
        try:
            op, param = wire.parse_command(data)
        except wire.WireError:
            continue
        accepted += 1
        assert_equal(wire.encode_command(op, param), data, "accepted command re-encodes")
    assert accepted > 100


def test_indications_decode():
    response = wire.decode_indication(wire.encode_response(
        wire.OP_BACKFILL, wire.RESULT_SUCCESS, wire.backfill_payload(5, 90, 3, 0x1234)))
    assert response.ok
    assert_equal(response.fields, {"first_seq": 5, "next_seq": 90, "lost": 3,
                                   "log_id": 0x1234}, "backfill fields")
    config = wire.decode_indication(wire.encode_response(
        wire.OP_READ_CONFIG, wire.RESULT_SUCCESS,
        wire.config_payload(600, 200, 100, "right_insole", 3, 18432, 7)))
    assert_equal((config.fields["window_s"], config.fields["placement"]),
                 (600, "right_insole"), "config fields")
    event = wire.decode_indication(wire.encode_event(wire.EVENT_CAUGHT_UP,
                                                     wire.caught_up_payload(90, 85)))
    assert_equal((event.kind, event.fields["sent"]), ("event", 85), "caught-up event")
    failed = wire.decode_indication(wire.encode_response(wire.OP_CALIBRATE, wire.RESULT_FAILED))
    assert not failed.ok
    for bad in (b"", b"\x80", b"\x80\x04\x01\x00", b"\x81\x09", b"\x7f\x01\x01",
                b"\x80\x04\x09"):
        assert_raises(wire.WireError, wire.decode_indication, bad)


def test_records_per_notification_follows_the_mtu():
    assert_equal(wire.MAX_RECORDS_PER_NOTIFICATION,
                 (wire.MAX_ATT_MTU - wire.ATT_NOTIFY_HEADER) // wire.RECORD_SIZE, "maximum")
    assert_equal([wire.records_per_notification(m) for m in (23, 42, 43, 63, 185, 247, 517)],
                 [1, 1, 2, 3, 9, 12, 12], "records per notification")


def test_packed_records_are_checked_one_by_one():
    rng = Lcg(17)
    records = [wire.encode_record(random_record(rng)) for _ in range(wire.MAX_RECORDS_PER_NOTIFICATION)]
    packed = bytearray(b"".join(records))
    parts = wire.split_notification(packed)
    assert_equal(parts, records, "split")
    for k in range(len(records)):
        seq = wire.record_seq(records[k])
        assert wire.record_ok_at(packed, k * wire.RECORD_SIZE, seq)
        assert not wire.record_ok_at(packed, k * wire.RECORD_SIZE, seq + 1)
    # one flipped bit damages exactly the record it is in
    for i in range(0, len(packed), 7):
        bad = bytearray(packed)
        bad[i] ^= 1 << (i % 8)
        hit = i // wire.RECORD_SIZE
        for k in range(len(records)):
            ok = wire.record_ok_at(bad, k * wire.RECORD_SIZE, wire.record_seq(records[k]))
            assert_equal(ok, k != hit, "record %d with byte %d flipped" % (k, i))
    for n in (0, 19, 21, 39, 241):
        exc = assert_raises(wire.WireError, wire.split_notification, bytes(n))
        assert "not a whole number" in str(exc)
