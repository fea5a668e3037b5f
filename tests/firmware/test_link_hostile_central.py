# A hostile (or buggy) bonded central against the pod's control point, under real
# MicroPython: every op byte, every parameter length around the right one, and every
# parameter at and beyond its field's limits (docs/protocol.md, section 2). After each
# write the pod must answer exactly once with the result the protocol names, and log the
# next window: nothing a central writes may stop the pod logging.

import radio_recorder
from fwtest import assert_equal

radio_recorder.install()  # before podfw.link.gatt imports `bluetooth`

from podfw.gait.config import GaitConfig  # noqa: E402
from podfw.gait.summary import WindowSummary  # noqa: E402
from podfw.link import wire  # noqa: E402
from podlink_rig import Controller, Rig  # noqa: E402

# u32 values at the limits of every u32 field and of the ESP32's 31-bit small ints
U32_LIMITS = (0, 1, 0x3FFFFFFF, 0x40000000, 0x7FFFFFFF, 0x80000000,
              wire.MAX_SET_TIME_S - 1, wire.MAX_SET_TIME_S, wire.MAX_SET_TIME_S + 1,
              0xFFFFFFFE, 0xFFFFFFFF)
FILLS = (0x00, 0x01, 0x7F, 0x80, 0xFF)
CAPACITY = 128  # a small ring, so a backfill from 0 streams quickly and the ring wraps


def _u32(value):
    return bytes((value & 0xFF, (value >> 8) & 0xFF, (value >> 16) & 0xFF, value >> 24))


def _params(length):
    """Parameter bytes of one length: uniform fills, and each u32 limit cut or padded."""
    out = [bytes((fill,)) * length for fill in FILLS]
    for value in U32_LIMITS:
        raw = _u32(value) + b"\xff\x00"
        out.append(raw[:length] if length <= len(raw) else raw + bytes(length - len(raw)))
    return out


def cases():
    """(write, expected result) for every case, op by op."""
    for op in range(256):
        if op not in wire.OP_NAMES:
            for length in range(6):
                yield bytes((op,)) + bytes((0xFF,)) * length, wire.RESULT_NOT_SUPPORTED
            continue
        size = wire._PARAM_LEN[op]
        for length in range(size + 4):
            if length != size:
                for param in _params(length):
                    yield bytes((op,)) + param, wire.RESULT_INVALID_PARAMETER
        if size == 0:
            yield bytes((op,)), wire.RESULT_SUCCESS
        elif size == 1:
            for target in range(256):
                if target == wire.CALIBRATE_IMU_STILL:
                    result = wire.RESULT_SUCCESS
                elif target == wire.CALIBRATE_PRESSURE_ZERO:
                    result = wire.RESULT_FAILED  # the controller's own answer
                else:
                    result = wire.RESULT_INVALID_PARAMETER
                yield bytes((op, target)), result
        else:
            for value in U32_LIMITS:
                refused = op == wire.OP_SET_TIME and value > wire.MAX_SET_TIME_S
                yield (wire.encode_command(op, value),
                       wire.RESULT_INVALID_PARAMETER if refused else wire.RESULT_SUCCESS)


def _answer(rig, conn, data):
    """Writes data and returns the one response the pod sent (events are skipped)."""
    rig.command(conn, data)
    while rig.link.poll():  # a backfill streams the ring, then goes live
        pass
    replies = [r for r in rig.indications(conn) if r.kind == "response"]
    assert_equal(len(replies), 1, "responses to %r" % data)
    return replies[0]


def test_every_op_length_and_limit_is_answered_and_logging_never_stops():
    with Rig(capacity=CAPACITY, segment=32, controller=Controller(),
             config=GaitConfig()) as rig:
        rig.bonded_central(1)
        tried = 0
        for data, expected in cases():
            clock_before = (rig.clock.is_set, rig.clock.now_s(), rig.clock.generation)
            reply = _answer(rig, 1, data)
            assert_equal((reply.op, reply.result), (data[0], expected), "reply to %r" % data)
            if data[0] == wire.OP_SET_TIME and expected != wire.RESULT_SUCCESS:
                assert_equal((rig.clock.is_set, rig.clock.now_s(), rig.clock.generation),
                             clock_before, "clock after a refused %r" % data)
            seq = rig.window()
            assert_equal(seq, rig.log.next_seq - 1, "window logged after %r" % data)
            assert rig.link.flush(), "the held windows written after %r" % data
            record = wire.decode(rig.log_record(seq))
            assert record.time_s <= wire.MAX_TIME_S
            rig.command(1, wire.encode_command(wire.OP_STOP_STREAM))
            rig.indications(1)
            rig.ble.notified = []  # the recorder keeps everything sent: keep the heap small
            rig.ble.indicated = []
            rig.ble.updates = []
            rig.seen = 0
            tried += 1
        counters = rig.link.counters
        assert_equal((counters.log_failures, counters.link_errors), (0, 0), "failures, errors")
        assert tried > 1500, tried
        status = _answer(rig, 1, wire.encode_command(wire.OP_READ_STATUS)).fields
        config = _answer(rig, 1, wire.encode_command(wire.OP_READ_CONFIG)).fields
        assert_equal((status["log_failures"], status["link_errors"], config["next_seq"]),
                     (0, 0, tried), "what the pod reports")
        print("hostile central: %d control-point writes, %d windows logged" % (tried, tried))


class FarClock:
    """A pod clock the test moves at will (podfw.link.clock.PodClock's interface)."""

    def __init__(self):
        self.s = 0
        self.is_set = False
        self.generation = 0

    def now_s(self):
        return self.s

    def set_s(self, seconds):
        self.s = seconds
        self.is_set = True
        self.generation += 1


def test_a_clock_at_the_limit_keeps_logging_past_the_end_of_the_timestamp():
    with Rig(capacity=CAPACITY, segment=32) as rig:
        clock = FarClock()
        rig.link.clock = clock
        rig.bonded_central(1)
        reply = _answer(rig, 1, wire.encode_command(wire.OP_SET_TIME, wire.MAX_SET_TIME_S))
        assert_equal(reply.result, wire.RESULT_SUCCESS, "set-time at the limit")
        # the pod runs for decades without another sync: its clock passes the u32 end
        for step_s in (0, 10 ** 9, 1139207296, 1139207297, 1139207300, 1 << 33):
            clock.s = wire.MAX_SET_TIME_S + step_s
            clock.generation += 1  # re-anchor the session on the moved clock
            seq = rig.window()
            assert seq is not None and rig.link.flush(), step_s
            record = wire.decode(rig.log_record(seq))
            beyond = clock.s - 5 > wire.MAX_TIME_S  # the window started 5 s before now
            assert_equal((record.time_s, record.clipped),
                         (wire.MAX_TIME_S if beyond else clock.s - 5, beyond),
                         "record at clock %d" % clock.s)
        assert_equal(rig.link.counters.log_failures, 0, "windows not logged")


class FailingStorage:
    """Real segment storage whose next `fail` appends raise, as a full flash does."""

    def __init__(self, inner):
        self.inner = inner
        self.fail = 0

    def append(self, first, data):
        if self.fail:
            self.fail -= 1
            raise OSError(28)  # ENOSPC
        self.inner.append(first, data)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_windows_the_flash_refuses_are_counted_reported_and_logging_resumes():
    with Rig(capacity=CAPACITY, segment=32) as rig:
        failing = FailingStorage(rig.log.storage)
        rig.log.storage = failing
        rig.bonded_central(1)
        _answer(rig, 1, wire.encode_command(wire.OP_BACKFILL, wire.BACKFILL_LIVE_ONLY))
        logged = 0  # streaming: each window is written at once, not held
        for fail in (1, 3, 0, 2, 7):
            failing.fail = fail
            for _ in range(fail):
                assert_equal(rig.window(), None, "a refused window")
            seq = rig.window()  # no command in between: the pod recovers on its own
            assert_equal(seq, logged, "the next window's sequence")
            logged += 1
        status = _answer(rig, 1, wire.encode_command(wire.OP_READ_STATUS)).fields
        config = _answer(rig, 1, wire.encode_command(wire.OP_READ_CONFIG)).fields
        assert_equal((status["log_failures"], config["next_seq"]), (13, logged),
                     "windows not logged, reported by read-status")


def test_wire_clips_a_timestamp_beyond_u32_instead_of_failing():
    summary = WindowSummary(index=3, start_ms=0, duration_ms=5000, steps=10)
    for time_s, stored, clipped in ((wire.MAX_TIME_S, wire.MAX_TIME_S, False),
                                    (wire.MAX_TIME_S + 1, wire.MAX_TIME_S, True),
                                    (1 << 40, wire.MAX_TIME_S, True), (-1, 0, True)):
        record = wire.decode(wire.encode_summary(summary, 9, time_s))
        assert_equal((record.time_s, record.clipped), (stored, clipped), "time %d" % time_s)
