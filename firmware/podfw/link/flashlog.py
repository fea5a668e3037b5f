# Append-only, power-cut-safe ring log of v1 summary records on the pod's flash.
#
# Layout: a directory of segment files. A segment is named by the sequence number of
# its first record (8 hex digits + ".seg") and holds up to `segment_records` records of
# wire.RECORD_SIZE bytes back to back, record k being sequence first + k. Segments are
# only ever appended to, never rewritten, because littlefs (the ESP32 MicroPython
# filesystem) copies everything after a write in the middle of a file.
#
# Power cut: an append that is cut at any byte leaves a short tail in the newest
# segment. On mount the newest segment is checked record by record (length, CRC and
# sequence); what follows the last intact record is ignored, the segment is sealed and
# the next record starts a new segment, reusing the lost record's sequence number (that
# record was never sent: records are logged before they are sent). So a cut loses at
# most the record being written.
#
# Held records (flash wear): littlefs cannot add to a partly written block in place; each
# reopen-and-append copies the file's last block into a freshly erased one, so logging
# every 5-second record on its own costs one 4 KiB erase per record (720 an hour).
# append(record, hold=True) keeps the record in RAM with the others held, and the log
# writes them together, one append per segment they fall in, when `hold_records` are
# held or flush() is called: one erase per batch. A power cut loses the held records,
# never one already written (the repair above is the same); records are sent only once
# written, so the host never holds a record whose number the pod could give again.
#
# Ring: when the log holds `capacity` records the oldest segment is deleted before the
# next append. Sequence numbers start at 0 for a new log, so `oldest_seq` is exactly the
# number of records the ring has dropped. `log_id` (random, made when the log is
# created) tells the host that a log was wiped and numbering restarted.
#
# Budget: 192 records a segment = 3840 bytes (one 4 KiB littlefs block); default
# capacity 96 segments = 18432 records = 368640 bytes of records, 25.6 h of continuous
# 5-second windows (17280 records a day).
import os

from micropython import const

from podfw.link import wire

SEGMENT_RECORDS = const(192)
DEFAULT_CAPACITY = const(18432)
# records held in RAM before one write (12 = a minute of 5-second windows: a power cut
# with no central streaming loses at most that much)
HOLD_RECORDS = const(12)
_SUFFIX = ".seg"


class LogError(Exception):
    pass


class FileStorage:
    """Segment files in one directory (littlefs on the pod; any filesystem under the
    unix port and CPython). The few operations the log needs, so tests can wrap them."""

    def __init__(self, root):
        self.root = root
        try:
            os.mkdir(root)
        except OSError:
            pass  # exists
        self._reader = None
        self._reader_name = None

    def _path(self, first_seq):
        return "%s/%08x%s" % (self.root, first_seq, _SUFFIX)

    def segments(self):
        """First sequence numbers of the segments present, unsorted."""
        found = []
        for name in os.listdir(self.root):
            if name.endswith(_SUFFIX) and len(name) == 8 + len(_SUFFIX):
                try:
                    found.append(int(name[:8], 16))
                except ValueError:
                    continue  # not ours
        return found

    def size(self, first_seq):
        return os.stat(self._path(first_seq))[6]

    def read(self, first_seq, offset, buf):
        """Reads len(buf) bytes at offset into buf; returns the count read."""
        if self._reader_name != first_seq:
            self._close_reader()
            self._reader = open(self._path(first_seq), "rb")
            self._reader_name = first_seq
        self._reader.seek(offset)
        return self._reader.readinto(buf)

    def append(self, first_seq, data):
        if self._reader_name == first_seq:
            self._close_reader()
        with open(self._path(first_seq), "ab") as f:
            f.write(data)

    def remove(self, first_seq):
        if self._reader_name == first_seq:
            self._close_reader()
        os.remove(self._path(first_seq))

    def read_id(self):
        try:
            with open(self.root + "/log.id", "rb") as f:
                data = f.read()
        except OSError:
            return None
        if len(data) != 4:
            return None
        return data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24)

    def write_id(self, log_id):
        with open(self.root + "/log.id", "wb") as f:
            f.write(bytes((log_id & 0xFF, (log_id >> 8) & 0xFF, (log_id >> 16) & 0xFF,
                           (log_id >> 24) & 0xFF)))

    def close(self):
        """Releases the open read handle (before unmounting or sleeping)."""
        self._close_reader()

    def _close_reader(self):
        if self._reader is not None:
            self._reader.close()
        self._reader = None
        self._reader_name = None


def _new_log_id():
    data = os.urandom(4)
    return data[0] | (data[1] << 8) | (data[2] << 16) | ((data[3] & 0x3F) << 24)


class FlashLog:
    def __init__(self, storage, capacity=DEFAULT_CAPACITY, segment_records=SEGMENT_RECORDS,
                 hold_records=HOLD_RECORDS):
        if capacity < 2 * segment_records:
            raise LogError("capacity must hold at least two segments")
        self.storage = storage
        self.capacity = capacity
        self.segment_records = segment_records
        self.hold_records = hold_records
        self._buf = bytearray(wire.RECORD_SIZE)
        self._held_buf = bytearray(hold_records * wire.RECORD_SIZE)
        self._held_view = memoryview(self._held_buf)
        self.held = 0  # records waiting in RAM, numbered next_seq - held .. next_seq - 1
        self.unwritten = 0  # held records a failed write lost, since the log was opened
        self._mount()

    def _mount(self):
        # one [first_seq, record count] per segment, oldest first
        firsts = sorted(self.storage.segments())
        self._segments = [[first, self.storage.size(first) // wire.RECORD_SIZE]
                          for first in firsts]
        self._sealed = False
        while self._segments:
            first, stored_size = self._segments[-1][0], self.storage.size(self._segments[-1][0])
            intact = self._intact_prefix(first, stored_size // wire.RECORD_SIZE)
            if intact == 0:
                # nothing usable (cut during its first record): drop the file so the
                # sequence number can start a segment again
                self.storage.remove(first)
                self._segments.pop()
                continue
            self._segments[-1][1] = intact
            self._sealed = intact * wire.RECORD_SIZE != stored_size
            break
        self.count = 0
        for segment in self._segments:
            self.count += segment[1]
        if self._segments:
            last = self._segments[-1]
            self.next_seq = last[0] + last[1]
        else:
            self.next_seq = 0
        log_id = self.storage.read_id()
        if log_id is None:
            log_id = _new_log_id()
            self.storage.write_id(log_id)
        self.log_id = log_id
        self._damaged = False
        self.held = 0

    def _intact_prefix(self, first, n):
        buf = self._buf
        for k in range(n):
            if self.storage.read(first, k * wire.RECORD_SIZE, buf) != wire.RECORD_SIZE:
                return k
            try:
                wire.check_record(buf)
            except wire.WireError:
                return k
            if wire.record_seq(buf) != first + k:
                return k
        return n

    @property
    def oldest_seq(self):
        """Sequence number of the oldest record kept (next_seq when empty)."""
        return self._segments[0][0] if self._segments else self.next_seq

    @property
    def dropped(self):
        """Records the ring has deleted to make room since the log was created."""
        return self.oldest_seq

    def append(self, record, hold=False):
        """Stores one encoded record whose sequence number must be `next_seq`; returns it.
        hold=True keeps it in RAM until `hold_records` are held (or flush()); otherwise
        it and every held record are written now. A failed write raises (the records it
        held are lost, counted in `unwritten`; the log repairs itself)."""
        if len(record) != wire.RECORD_SIZE:
            raise LogError("record is %d bytes" % len(record))
        wire.check_record(record)
        seq = wire.record_seq(record)
        if self._damaged:
            self._mount()
        if seq != self.next_seq:
            raise LogError("record has sequence %d, log expects %d" % (seq, self.next_seq))
        at = self.held * wire.RECORD_SIZE
        self._held_buf[at:at + wire.RECORD_SIZE] = record
        self.held += 1
        self.next_seq = seq + 1
        if not hold or self.held >= self.hold_records:
            self.flush()
        return seq

    def scratch(self):
        """The buffer held records wait in (hold_records * 20 bytes, a memoryview), for
        the caller to use while nothing is held; every append overwrites it."""
        return self._held_view

    def flush(self):
        """Writes the held records: one storage append per segment they fall in, oldest
        segments evicted first when the ring is full. Returns how many were written."""
        held = self.held
        done = 0
        first = self.next_seq - held
        try:
            while done < held:
                done += self._write_run(first + done, done, held - done)
        except Exception:
            # the segment may now end in a partial record (full filesystem, I/O error):
            # repair it the way a boot after a power cut does, now if the storage
            # answers, else before the next append
            self.held = 0
            self.unwritten += held - done
            self._damaged = True
            try:
                self._mount()
            except Exception:  # noqa: S110 - the original error is the one to report
                pass
            raise
        self.held = 0
        return held

    def _write_run(self, seq, index, left):
        """Writes up to `left` held records from held slot `index` (sequence `seq`) into
        one segment; returns how many."""
        while self.count + 1 > self.capacity:
            first, n = self._segments[0]
            self.storage.remove(first)
            self._segments.pop(0)
            self.count -= n
        last = self._segments[-1] if self._segments else None
        if last is None or self._sealed or last[1] >= self.segment_records:
            last = [seq, 0]
            self._segments.append(last)
            self._sealed = False
        n = min(left, self.segment_records - last[1], self.capacity - self.count)
        start = index * wire.RECORD_SIZE
        self.storage.append(last[0], self._held_view[start:start + n * wire.RECORD_SIZE])
        last[1] += n
        self.count += n
        return n

    def _segment_after(self, seq):
        # index of the first segment whose first sequence is > seq (binary search: a
        # full-day backfill looks up every record)
        segments = self._segments
        lo, hi = 0, len(segments)
        while lo < hi:
            mid = (lo + hi) >> 1
            if segments[mid][0] <= seq:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def read(self, seq, buf):
        """Copies record `seq` into buf (a bytearray(20)); returns False when the ring
        no longer has it, it was never written, or it is damaged on flash."""
        i = self._segment_after(seq) - 1
        if i < 0:
            return False
        first, n = self._segments[i]
        if seq >= first + n:
            return False
        if self.storage.read(first, (seq - first) * wire.RECORD_SIZE, buf) != wire.RECORD_SIZE:
            return False
        try:
            wire.check_record(buf)
        except wire.WireError:
            return False
        return wire.record_seq(buf) == seq

    def read_run(self, seq, views, count):
        """Reads up to `count` consecutive records from `seq` (never across a segment
        end) into views[k - 1], the k-record view of one buffer (views[k - 1] holds k *
        20 bytes); returns how many leading records are intact (0: `seq` is missing or
        damaged). Allocates nothing: the backfill's per-notification path."""
        i = self._segment_after(seq) - 1
        if i < 0:
            return 0
        first, n = self._segments[i]
        left = first + n - seq
        if left <= 0:
            return 0
        if count > left:
            count = left
        view = views[count - 1]
        got = self.storage.read(first, (seq - first) * wire.RECORD_SIZE, view)
        if got is None or got < wire.RECORD_SIZE:
            return 0
        if count > got // wire.RECORD_SIZE:
            count = got // wire.RECORD_SIZE
        k = 0
        while k < count and wire.record_ok_at(view, k * wire.RECORD_SIZE, seq + k):
            k += 1
        return k

    def next_present(self, seq):
        """The smallest kept sequence number >= seq, or next_seq when there is none."""
        i = self._segment_after(seq)
        if i > 0:
            first, n = self._segments[i - 1]
            if seq < first + n:
                return seq
        if i < len(self._segments):
            return self._segments[i][0]
        return self.next_seq
