# Gait events in a preallocated ring the caller drains, so detecting a step never
# allocates. Each record is four ints: kind, time in ms from session start, a, b (the
# kinds, podfw.gait.engine EV_*, say what a and b are). Loaded only by an engine that
# was asked for events (GaitConfig(events=N)): the pod sends windows, not events.
from array import array

from micropython import const

_RECORD = const(4)


class EventRing:
    def __init__(self, capacity=64):
        self.capacity = capacity
        self.buf = array("i", bytes(4 * _RECORD * capacity))
        self.head = 0  # next record to read
        self.size = 0
        self.dropped = 0  # records overwritten because the caller did not drain in time

    def push(self, kind, t_ms, a, b):
        if self.size == self.capacity:
            self.head = (self.head + 1) % self.capacity
            self.size -= 1
            self.dropped += 1
        i = ((self.head + self.size) % self.capacity) * _RECORD
        buf = self.buf
        buf[i] = kind
        buf[i + 1] = t_ms
        buf[i + 2] = a
        buf[i + 3] = b
        self.size += 1

    def pop_into(self, out):
        """Copies the oldest record into `out` (an int array of 4) and removes it.
        Returns False when the ring is empty."""
        if self.size == 0:
            return False
        i = self.head * _RECORD
        buf = self.buf
        out[0] = buf[i]
        out[1] = buf[i + 1]
        out[2] = buf[i + 2]
        out[3] = buf[i + 3]
        self.head = (self.head + 1) % self.capacity
        self.size -= 1
        return True

    def __len__(self):
        return self.size
