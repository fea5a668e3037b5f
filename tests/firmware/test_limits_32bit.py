# The firmware at the integer limits of a 32-bit MicroPython, where the ESP32 differs
# from a 64-bit build: small ints end at 2**30 (past it an int is a heap object), viper
# ints are 32-bit machine words. Sequence numbers and timestamps are u32 on the wire and
# pass 2**30 (seconds since 2000 do in January 2034), the millisecond tick counter wraps
# at 2**30. Under unix64 these tests pass on any code; under unix32 (and on the pod)
# they catch a value that wraps, a format that truncates or an allocation under
# heap_lock. The limits are those of podfw.link.wire (u32 fields), podfw.link.flashlog
# (segment names %08x), podfw.link.clock and podfw.gait.fixedpoint.
import sys
from array import array

import micropython

from fwtest import assert_equal, assert_raises, assert_small_int
from logstorage import ScratchStorage
from podfw.gait import pressure_viper
from podfw.gait.fixedpoint import SampleClock
from podfw.gait.pressure import EV_OFF, EV_ON, MAX_ZONES, PressureContacts
from podfw.link import clock, flashlog, wire

EDGES = ((1 << 30) - 1, 1 << 30, (1 << 31) - 1, 1 << 31, (1 << 32) - 1)
# time.ticks_ms wraps at the small-int range: 2**30 on 32-bit builds and the ESP32, 2**62
# on a 64-bit build (which therefore never shows the pod's wrap)
TICKS_PERIOD = (sys.maxsize + 1) >> 1


def _record(seq, time_s):
    return bytes(wire.encode_fields(seq, time_s, 5000, 14, 168, 812, 231, 0, 3, 2, 2))


def test_this_interpreter_has_the_integers_it_claims():
    # unix32 (and the ESP32): 31-bit small ints, viper products wrap at 32 bits
    @micropython.viper
    def product(a: int, b: int) -> int:
        return a * b

    if sys.maxsize == (1 << 31) - 1:
        assert_equal(product(1 << 16, 1 << 16), 0, "2**32 in a 32-bit viper int")
        assert_equal(product(46341, 46341), 46341 * 46341 - (1 << 32), "wraps negative")
    else:
        assert_equal(sys.maxsize, (1 << 63) - 1, "a 64-bit build")
        assert_equal(product(1 << 16, 1 << 16), 1 << 32, "64-bit viper int")


def test_wire_records_round_trip_at_the_u32_edges():
    for value in EDGES:
        data = _record(value, value)
        rec = wire.decode(data)
        assert_equal((rec.seq, rec.time_s), (value, value), "seq and time at %d" % value)
        assert_equal(wire.record_seq(data), value, "record_seq at %d" % value)
        assert_equal(wire.encode_record(rec), data, "re-encoded at %d" % value)
    exc = assert_raises(wire.WireError, _record, 1 << 32, 0)
    assert "does not fit u32" in str(exc), str(exc)
    late = wire.decode(_record(0, 1 << 32))  # a clock past 2106: kept at the last second
    assert_equal((late.time_s, late.clipped), (wire.MAX_TIME_S, True), "time clipped")


def test_control_point_u32_parameters_at_the_edges():
    for value in EDGES:
        for op in (wire.OP_SET_TIME, wire.OP_BACKFILL):
            assert_equal(wire.parse_command(wire.encode_command(op, value)), (op, value),
                         "op %d with %d" % (op, value))
    op, param = wire.parse_command(wire.encode_command(wire.OP_BACKFILL, wire.BACKFILL_LIVE_ONLY))
    assert param == wire.BACKFILL_LIVE_ONLY  # 0xFFFFFFFF: a heap int on 32-bit, still equal
    assert_raises(wire.WireError, wire.encode_command, wire.OP_BACKFILL, 1 << 32)


def _log_from(storage, first, count):
    # a log whose records start at `first`: a segment file as the pod leaves it
    data = bytearray()
    for k in range(count):
        data += _record(first + k, 900000000 + 5 * k)
    storage.append(first, bytes(data))
    return flashlog.FlashLog(storage, 16, 8)


def test_flash_log_carries_sequence_numbers_across_2_30_and_2_31():
    buf = bytearray(wire.RECORD_SIZE)
    for first in ((1 << 30) - 5, (1 << 31) - 5, (1 << 32) - 24):
        with ScratchStorage() as storage:
            log = _log_from(storage, first, 3)
            assert_equal(log.next_seq, first + 3, "reopened next_seq")
            for k in range(3, 20):  # crosses the edge, starts segments, evicts the oldest
                log.append(_record(first + k, 900000000 + 5 * k))
            reopened = flashlog.FlashLog(storage, 16, 8)
            assert_equal(reopened.next_seq, first + 20, "next_seq after reopen")
            for seq in range(reopened.oldest_seq, first + 20):
                assert reopened.read(seq, buf), "record %d" % seq
                assert_equal(wire.record_seq(buf), seq, "stored seq")
                assert_equal(reopened.next_present(seq), seq, "present %d" % seq)
            assert reopened.oldest_seq > first, "the ring evicted across the edge"
            assert not reopened.read(reopened.oldest_seq - 1, buf)


class _Ticks:
    """A millisecond tick counter that wraps where this interpreter's time.ticks_ms
    does (so time.ticks_diff, which the clock uses, understands it)."""

    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, ms):
        self.now = (self.now + ms) % TICKS_PERIOD


def test_pod_clock_across_2_30_seconds_and_the_tick_wrap():
    real = clock._ticks_ms
    ticks = _Ticks(TICKS_PERIOD - 2500)  # the tick counter wraps 2.5 s from now
    clock._ticks_ms = ticks
    try:
        pod = clock.PodClock()
        pod.set_s((1 << 30) - 3)  # 2034-01-10, three seconds before 2**30 s since 2000
        seen = []
        for _ in range(8):
            ticks.advance(1000)
            seen.append(pod.now_s())
        assert_equal(seen, [(1 << 30) - 2 + i for i in range(8)], "seconds across both edges")
        pod.set_s((1 << 32) - 2)
        ticks.advance(1999)
        assert_equal(pod.now_s(), (1 << 32) - 1, "the last u32 second")
        data = _record(7, pod.now_s())
        assert_equal(wire.decode(data).time_s, (1 << 32) - 1, "stamped on a record")
    finally:
        clock._ticks_ms = real


def test_sample_clock_is_exact_and_allocation_free_up_to_its_limit():
    # t_ms of a sample stays a small int for 2**30 ms (12.4 days of one session): to
    # there the conversions are exact and allocate nothing at any of the pod's rates
    for rate in (104, 200, 204.8, 208, 416, 500, 833, 1000):
        c = SampleClock(rate)
        n_last = c.samples((1 << 30) - 1000) - 1  # a sample starting 1 s before 2**30 ms
        micropython.heap_lock()
        try:
            ms = c.ms(n_last)
            at = c.ms_at(n_last, 99)
            back = c.samples(ms)
            span = c.span(5000)
        finally:
            micropython.heap_unlock()
        assert_small_int(ms, "ms at %s Hz" % rate)
        assert_small_int(at, "ms_at at %s Hz" % rate)
        assert ms <= at < (1 << 30), (rate, ms, at)
        assert back <= n_last < c.samples(ms + 1), (rate, back, n_last)
        assert_equal(ms, n_last * 1000 * c.den // c.num, "exact at %s Hz" % rate)
        assert span > 0


def test_viper_kernels_equal_their_twins_at_the_ends_of_their_range():
    # the largest sums the viper code forms: 16 zones one below full scale at the
    # outermost coordinates (PressureContacts rescales them to 0..1000 per mille, so
    # sum force * position reaches 16 * 32766 * 1000 < 2**29), held until the zone
    # impulses pass the halving threshold (2**29, after ~16,400 scans). A 32-bit product
    # or sum that wrapped would differ from the plain twin here, on unix32 and on the
    # pod; a 64-bit build could never show it.
    xy = [(-30000 + 4000 * i, 30000 - 4000 * i) for i in range(MAX_ZONES)]
    fast = PressureContacts(xy, 100)
    plain = PressureContacts(xy, 100)
    heavy = array("h", [32766] * MAX_ZONES)
    empty = array("h", bytes(2 * MAX_ZONES))
    total = pressure_viper._scan(fast.st, heavy)
    assert_equal(total, pressure_viper._scan_py(plain.st, heavy), "total force")
    assert_equal(total, 32766 * MAX_ZONES, "total force")
    assert_equal(list(fast.st), list(plain.st), "state after one scan")
    events = 0
    for k in range(17000):
        zones = empty if k < 3 or k == 16999 else heavy
        ev = fast.push(zones)
        assert_equal(ev, pressure_viper.push_py(plain, zones), "event at scan %d" % k)
        events |= ev
        if k % 500 == 0 or k > 16990:
            assert_equal(list(fast.st), list(plain.st), "state at scan %d" % k)
    for v in fast.st:
        assert_small_int(v, "state")
    assert_equal(events, EV_ON | EV_OFF, "one long contact")
    assert_equal(list(fast.share), [63] * MAX_ZONES, "equal shares after the halvings")
