# The flash log under real MicroPython: power cut at every byte offset of every kind of
# write (new segment, mid segment, ring eviction, a held batch), replay after the cut,
# wrap-around with the dropped count, and the same log on littlefs with its erase count
# (an hour of windows through PodLink, as the pod logs them).
import os

from fwtest import assert_equal, assert_raises
from logstorage import (
    CuttableBlockDevice,
    CuttingStorage,
    FileBlockDevice,
    PowerCut,
    ScratchStorage,
    mount_littlefs,
)
from podfw.link import flashlog, wire

SEGMENT = 4
CAPACITY = 12
IMAGE_BLOCKS = 32  # 128 KiB littlefs flash for the power-cut test


def record(seq):
    return bytes(wire.encode_fields(seq, 1000 + 5 * seq, 5000, seq % 200, 160 + seq % 20,
                                    seq % 4000, 200 + seq % 100, seq & 0xFF, seq % 8,
                                    seq % 5, seq % 3))


def fill(log, n):
    for _ in range(n):
        log.append(record(log.next_seq))


def check_contents(log, first, end):
    buf = bytearray(wire.RECORD_SIZE)
    assert_equal((log.oldest_seq, log.next_seq, log.count), (first, end, end - first),
                 "oldest, next, count")
    for seq in range(first, end):
        assert log.read(seq, buf), "record %d missing" % seq
        assert_equal(bytes(buf), record(seq), "record %d" % seq)
    assert not log.read(end, buf)
    if first:
        assert not log.read(first - 1, buf)


def filled_log(storage, n):
    log = flashlog.FlashLog(storage, CAPACITY, SEGMENT)
    fill(log, n)
    return log


def expected_oldest(n, capacity=CAPACITY, segment=SEGMENT):
    # whole segments go when the ring is full
    oldest = 0
    while n - oldest > capacity:
        oldest += segment
    return oldest


def test_power_cut_at_every_byte_of_every_append():
    # n records already logged (new segment, mid segment, last slot, ring full and
    # evicting), then the append of record n is cut after `keep` bytes
    for n in range(0, 2 * CAPACITY + 2):
        for keep in range(wire.RECORD_SIZE + 1):
            with ScratchStorage() as storage:
                cutter = CuttingStorage(storage)
                log = flashlog.FlashLog(cutter, CAPACITY, SEGMENT)
                fill(log, n)
                cutter.arm_append(keep)
                assert_raises(PowerCut, log.append, record(n))
                rebooted = flashlog.FlashLog(storage, CAPACITY, SEGMENT)
                survived = n + 1 if keep == wire.RECORD_SIZE else n
                # eviction happens before the write, so it stands either way
                oldest = expected_oldest(n + 1)
                check_contents(rebooted, oldest, survived)
                assert_equal(rebooted.log_id, log.log_id, "log id after the cut")
                # the log goes on: the lost record's number is reused, nothing is mixed
                fill(rebooted, 2 * SEGMENT + 1)
                end = survived + 2 * SEGMENT + 1
                again = flashlog.FlashLog(storage, CAPACITY, SEGMENT)
                check_contents(again, again.oldest_seq, end)
                assert again.oldest_seq >= end - CAPACITY


def test_power_cut_at_every_byte_of_a_held_batch():
    # HOLD records held in RAM, written in one flush that crosses a segment boundary and
    # (later n) evicts; the power goes after `keep` bytes of it: every record wholly
    # written survives, in order, the rest are gone (never sent: records are sent only
    # once written) and the log goes on from there
    hold = SEGMENT + 2
    for n in range(1, 2 * CAPACITY, 3):
        for keep in range(hold * wire.RECORD_SIZE + 1):
            with ScratchStorage() as storage:
                cutter = CuttingStorage(storage)
                log = flashlog.FlashLog(cutter, CAPACITY, SEGMENT, hold_records=hold)
                fill(log, n)
                for seq in range(n, n + hold - 1):
                    log.append(record(seq), hold=True)
                assert_equal(log.held, hold - 1, "held")
                cutter.arm_budget(keep)
                if keep < hold * wire.RECORD_SIZE:
                    assert_raises(PowerCut, log.append, record(n + hold - 1), True)
                else:  # the whole batch made it
                    log.append(record(n + hold - 1), True)
                rebooted = flashlog.FlashLog(storage, CAPACITY, SEGMENT, hold_records=hold)
                survived = n + keep // wire.RECORD_SIZE
                assert_equal(rebooted.next_seq, survived, "n %d, cut after %d bytes" % (n, keep))
                check_contents(rebooted, rebooted.oldest_seq, survived)
                assert expected_oldest(n) <= rebooted.oldest_seq <= expected_oldest(n + hold)
                fill(rebooted, SEGMENT + 1)
                check_contents(flashlog.FlashLog(storage, CAPACITY, SEGMENT),
                               rebooted.oldest_seq, survived + SEGMENT + 1)


def test_held_records_are_numbered_but_not_readable_until_written():
    with ScratchStorage() as storage:
        log = flashlog.FlashLog(storage, CAPACITY, SEGMENT, hold_records=3)
        buf = bytearray(wire.RECORD_SIZE)
        log.append(record(0), hold=True)
        log.append(record(1), hold=True)
        assert_equal((log.next_seq, log.held, log.count), (2, 2, 0), "two held")
        assert not log.read(0, buf)
        assert_equal(flashlog.FlashLog(storage, CAPACITY, SEGMENT).next_seq, 0, "nothing on flash")
        log.append(record(2), hold=True)  # the third fills the batch: written
        assert_equal((log.held, log.count), (0, 3), "written")
        log.append(record(3), hold=True)
        assert_equal(log.flush(), 1, "flush writes what is held")
        check_contents(flashlog.FlashLog(storage, CAPACITY, SEGMENT), 0, 4)


def test_power_cut_during_eviction():
    with ScratchStorage() as storage:
        cutter = CuttingStorage(storage)
        log = flashlog.FlashLog(cutter, CAPACITY, SEGMENT)
        fill(log, CAPACITY)
        cutter.arm_remove()
        assert_raises(PowerCut, log.append, record(CAPACITY))
        rebooted = flashlog.FlashLog(storage, CAPACITY, SEGMENT)
        check_contents(rebooted, 0, CAPACITY)
        fill(rebooted, 1)
        check_contents(rebooted, SEGMENT, CAPACITY + 1)


def test_wrap_around_reports_dropped_records():
    with ScratchStorage() as storage:
        log = filled_log(storage, 10 * CAPACITY + 3)
        end = 10 * CAPACITY + 3
        oldest = expected_oldest(end)
        check_contents(log, oldest, end)
        assert_equal(log.dropped, oldest, "dropped count")
        assert_equal(len(storage.segments()), (end - oldest + SEGMENT - 1) // SEGMENT,
                     "segment files")
        assert_equal(log.next_present(0), oldest, "first kept record")
        for seq in range(oldest, end):
            assert_equal(log.next_present(seq), seq, "kept record")
        assert_equal(log.next_present(end + 5), end, "past the end")
        check_contents(flashlog.FlashLog(storage, CAPACITY, SEGMENT), oldest, end)


def test_damaged_record_is_skipped_not_served():
    with ScratchStorage() as storage:
        filled_log(storage, 6)
        # flip one bit of record 1 in its segment file, as flash bit rot would
        path = "%s/%08x.seg" % (storage.root, 0)
        with open(path, "rb") as f:
            data = bytearray(f.read())
        data[wire.RECORD_SIZE + 7] ^= 0x10
        with open(path, "wb") as f:
            f.write(data)
        reopened = flashlog.FlashLog(storage, CAPACITY, SEGMENT)
        buf = bytearray(wire.RECORD_SIZE)
        assert not reopened.read(1, buf)
        assert reopened.read(2, buf) and reopened.read(5, buf)
        assert_equal(reopened.next_seq, 6, "next sequence")


def test_rejects_out_of_order_and_corrupt_records():
    with ScratchStorage() as storage:
        log = filled_log(storage, 2)
        assert_raises(flashlog.LogError, log.append, record(5))
        bad = bytearray(record(2))
        bad[3] ^= 1
        assert_raises(wire.WireError, log.append, bad)
        assert_raises(flashlog.LogError, log.append, record(2)[:10])
        check_contents(log, 0, 2)


def test_littlefs_day_of_records_and_wear():
    # 512 KiB littlefs volume, like the pod's: log 2000 records, remount, check them
    device = mount_littlefs(128, "/lfs")
    try:
        storage = flashlog.FileStorage("/lfs/log")
        log = flashlog.FlashLog(storage, 1536, 192)
        before = device.erases
        fill(log, 2000)
        erases = device.erases - before
        check_contents(flashlog.FlashLog(storage, 1536, 192),
                       expected_oldest(2000, 1536, 192), 2000)
        print("littlefs: %.2f block erases per record (4 KiB blocks)" % (erases / 2000))
        assert erases < 3 * 2000
    finally:
        os.umount("/lfs")


def test_flash_erases_per_hour_of_windows():
    # an hour of 5-second windows (720) through PodLink onto littlefs as the ESP32 port
    # mounts it (VfsLfs2 defaults, 4 KiB blocks), on a block device counting erases:
    # littlefs copies a file's partly written last block into a fresh one on every
    # reopen-and-append, so each write costs an erase. With no central streaming the
    # records are held and written a minute at a time; a streaming central gets each
    # record as soon as it is on flash, so then every record is written on its own.
    import gc

    from podlink_rig import Rig

    gc.collect()
    device = mount_littlefs(64, "/lfs")
    try:
        with Rig(storage=flashlog.FileStorage("/lfs/log")) as rig:

            def an_hour():
                """720 windows; returns (erases, records streamed)."""
                before = device.erases
                streamed = 0
                for _ in range(720):
                    rig.window()
                    streamed += len(rig.records(1))
                    rig.ble.notified.clear()  # the recorder's lists stay small: the
                    rig.ble.updates.clear()  # unix port's 2 MB heap fragments
                return device.erases - before, streamed

            an_hour()  # an hour already logged
            worn = list(device.erased)
            held, streamed = an_hour()
            worst = max(device.erased[b] - worn[b] for b in range(len(worn)))
            rig.bonded_central(1)
            rig.command(1, wire.encode_command(wire.OP_BACKFILL, wire.BACKFILL_LIVE_ONLY))
            streaming, streamed = an_hour()
            assert_equal(streamed, 720, "every live record streamed")
        print("littlefs: %d block erases per hour of windows logged alone (the most "
              "worn of the %d blocks: %d), %d while a central streams them"
              % (held, len(worn), worst, streaming))
        assert held * 6 <= streaming, (held, streaming)
        assert held <= 120, held
    finally:
        os.umount("/lfs")


def _littlefs_image(records, capacity, segment):
    """A snapshot file of a 32-block littlefs flash holding `records` records."""
    device = FileBlockDevice(4096, IMAGE_BLOCKS)
    os.VfsLfs2.mkfs(device)
    os.mount(os.VfsLfs2(device), "/lfs")
    try:
        fill(flashlog.FlashLog(flashlog.FileStorage("/lfs/log"), capacity, segment), records)
    finally:
        os.umount("/lfs")
    return device.snapshot()


def test_littlefs_power_cut_at_every_programmed_byte():
    # the cut now hits the flash itself, under littlefs: for appends that start a
    # segment, continue one and evict the oldest, every byte littlefs programs is a cut
    # point; the volume is then mounted afresh from what the flash holds and replayed
    capacity, segment = 16, 8
    for logged in (8, 13, 16):
        image = _littlefs_image(logged, capacity, segment)
        cut = 0
        while True:
            device = CuttableBlockDevice(image, IMAGE_BLOCKS)
            os.mount(os.VfsLfs2(device), "/lfs")
            storage = flashlog.FileStorage("/lfs/log")
            log = flashlog.FlashLog(storage, capacity, segment)
            device.budget = cut
            log.append(record(logged))
            storage.close()
            os.umount("/lfs")
            at_cut = device.after_cut()
            after = FileBlockDevice(4096, IMAGE_BLOCKS, at_cut)
            os.remove(at_cut)
            os.mount(os.VfsLfs2(after), "/lfs")
            try:
                storage = flashlog.FileStorage("/lfs/log")
                replayed = flashlog.FlashLog(storage, capacity, segment)
                end = replayed.next_seq
                assert end in (logged, logged + 1), "cut %d: next_seq %d" % (cut, end)
                if device.image is None:
                    assert_equal(end, logged + 1, "completed append")
                check_contents(replayed, replayed.oldest_seq, end)
                assert replayed.oldest_seq <= expected_oldest(logged + 1, capacity, segment)
                fill(replayed, 1)
                check_contents(replayed, replayed.oldest_seq, end + 1)
                storage.close()
            finally:
                os.umount("/lfs")
            if device.image is None:
                break
            cut += 1
        os.remove(image)
        assert cut > 16, "an append should program more than a few bytes"
        print("littlefs: %d records logged, append cut at each of %d bytes" % (logged, cut))
