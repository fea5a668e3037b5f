# MicroPython side of tools/bench_link.py (run by it; not imported by the host).
# Usage: micropython bench_link_micropython.py   (MICROPYPATH: firmware, tests/firmware)
# The pod's CPU per backfill notification: PodLink._stream (flash read of the run, each
# record's CRC checked, gatts_notify) on a scratch flash log with the tests' recording
# `bluetooth` stand-in, whose gatts_notify only counts (the port's is C), at MTU 23 and
# 247. Prints
# "COST mtu iterations_per_notification records_per_notification": the best time per
# notification over the bursts of several passes over 1,920 records, divided by the
# best time of one iteration of bench_gait's reference loop, timed in the same run.
import gc
import time

import radio_recorder

radio_recorder.install()  # before podfw.link.gatt imports `bluetooth`

from podfw.link import podlink, wire  # noqa: E402
from podlink_rig import Rig  # noqa: E402

RECORDS = 1920  # 10 segments of 192
REF_ITERATIONS = 10000
ROUNDS = 3


def reference_loop(n):
    # the yardstick of tools/bench_gait_micropython.py: a load, an add, a mask, a store
    x = 0
    for i in range(n):
        x = (x + i) & 0xFFFF
    return x


def one_pass(rig, conn, mtu):
    """Streams the whole log to a new central at `mtu`; returns the best microseconds
    per notification over its bursts (one _stream call: NOTIFY_BURST notifications)."""
    rig.bonded_central(conn, mtu)
    rig.ble.notify_room = 0  # the command only: nothing streams yet
    rig.command(conn, wire.encode_command(wire.OP_BACKFILL, 0))
    rig.ble.notify_room = None
    rig.ble.discarded = 0
    central = rig.link._centrals[conn]
    gc.collect()
    best = 1 << 30
    while central.stream_next < RECORDS:
        sent = rig.ble.discarded
        t0 = time.ticks_us()
        rig.link._stream(central)
        spent = time.ticks_diff(time.ticks_us(), t0)
        if rig.ble.discarded - sent == podlink.NOTIFY_BURST:
            best = min(best, spent / podlink.NOTIFY_BURST)
    rig.ble.disconnect(conn)
    # 192-record segments hold whole notifications of 1 or 12 records
    assert rig.ble.discarded == RECORDS // wire.records_per_notification(mtu)
    return best


def timed_reference():
    t0 = time.ticks_us()
    reference_loop(REF_ITERATIONS)
    return time.ticks_diff(time.ticks_us(), t0)


def main():
    # best of several passes on both sides, the yardstick timed between the passes: a
    # busy machine's preemptions do not count
    best_ref = 1 << 30
    costs = []
    with Rig(capacity=4096, segment=192) as rig:
        for _ in range(RECORDS):
            rig.window()
        rig.ble.updates = []
        rig.ble.discard = True
        conn = 0
        for mtu in (23, wire.MAX_ATT_MTU):
            best = 1 << 30
            for _ in range(ROUNDS):
                best_ref = min(best_ref, timed_reference())
                conn += 1
                best = min(best, one_pass(rig, conn, mtu))
            costs.append((mtu, best))
    per_iteration = best_ref / REF_ITERATIONS
    for mtu, us in costs:
        print("COST", mtu, us / per_iteration, wire.records_per_notification(mtu))
    print("BURST", podlink.NOTIFY_BURST)


main()
