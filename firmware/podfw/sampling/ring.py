# Single-producer single-consumer ring of fixed-width integer rows, allocated once.
# The producer (a timer ISR or the FIFO drain) only writes `head` and `dropped`; the
# consumer (the processing task) only writes `tail` and its count of drops reported, so
# no lock is needed. A push into a full ring is counted in `dropped` (an overrun), never
# silently lost.
from array import array

from micropython import const

# Timestamps are kept modulo 2**30 like the ESP32's time.ticks_us (the 64-bit unix port's
# ticks wrap later), so they always fit the array and a 31-bit small int.
STAMP_MASK = const(0x3FFFFFFF)


class Ring:
    def __init__(self, width, capacity, typecode="h", gaps=False):
        self.width = width
        self.capacity = capacity
        self.data = array(typecode, bytes(2 * width * capacity))  # 16-bit typecode: h or H
        # per-row timestamp in microseconds, modulo 2**30
        self.stamps = array("i", bytes(4 * capacity))
        # with gaps: per row, how many rows the producer missed just before it (u16)
        self.gaps = array("H", bytes(2 * capacity)) if gaps else None
        # head/tail count rows since start: at 200 rows/s they stay small ints (< 2**30)
        # for 62 days of continuous sampling
        self.head = 0  # rows ever pushed (producer)
        self.tail = 0  # rows ever popped (consumer)
        self.dropped = 0  # rows that did not fit (producer)
        self._dropped_taken = 0  # `dropped` at the last take_dropped (consumer)

    def free_slot(self):
        """Offset of the next row to fill in `data`, or -1 (and one overrun) when full."""
        if self.head - self.tail >= self.capacity:
            self.dropped += 1
            return -1
        return (self.head % self.capacity) * self.width

    def commit(self, stamp, gap=0):
        slot = self.head % self.capacity
        self.stamps[slot] = stamp & STAMP_MASK
        if self.gaps is not None:
            self.gaps[slot] = gap
        self.head += 1

    def take_dropped(self):
        """Rows that did not fit since the last call (the consumer reports each once)."""
        dropped = self.dropped
        new = dropped - self._dropped_taken
        self._dropped_taken = dropped
        return new

    def available(self):
        return self.head - self.tail

    def oldest(self):
        """Offset of the oldest unread row in `data` (call only when available())."""
        return (self.tail % self.capacity) * self.width

    def offset(self, k):
        """Offset of the k-th unread row (0 = the oldest) in `data`, k < available()."""
        return ((self.tail + k) % self.capacity) * self.width

    def oldest_stamp(self):
        return self.stamps[self.tail % self.capacity]

    def oldest_gap(self):
        """Rows missed just before the oldest unread one (a ring made with gaps)."""
        return self.gaps[self.tail % self.capacity]

    def release(self):
        self.tail += 1

    def clear(self):
        self.tail = self.head
