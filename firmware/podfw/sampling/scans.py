# Pressure scans on the board's timer, the way MicroPython's ESP32 port runs a Timer
# callback: never in the interrupt itself (Timer.init(hard=True) raises "hard Timers are
# not implemented"), but queued by the timer's ISR with mp_sched_schedule and run by the
# main task between bytecodes, or while it waits. The queue holds
# MICROPY_SCHEDULER_DEPTH = 8 callbacks (ports/esp32/mpconfigport.h): while the main task
# is held in C for longer than 8 periods (a flash erase: 45 ms typical, 400 ms at worst;
# a garbage collection; a long I2C burst) the timer's later ticks are dropped without a
# trace, and the queued ones run late, all at once.
#
# So a callback does not trust when it runs. It works out from the clock which tick of
# the schedule it serves: the latest one due, whose reading it takes now (at most one
# period late), stamped with that tick's scheduled time. The ticks before it that no
# callback served (dropped by the scheduler, or run too late) are counted as missed and
# carried in the ring with the next row (Ring.gaps), so the engine gets a pressure gap
# exactly where they were and the pressure stream keeps step with the IMU's. A callback
# queued behind a late one finds its tick already served and returns. A scan the ring
# has no room for is missed too. Nothing here allocates.
from micropython import const

from podfw.sampling.ring import STAMP_MASK

_MAX_GAP = const(0xFFFF)  # Ring.gaps holds u16


class ScanSchedule:
    def __init__(self, zones, ring, hw, rate_hz):
        self.zones = zones
        self.ring = ring
        self.hw = hw
        self.period_us = 1000000 // rate_hz
        self.active = False
        self._due_us = 0  # scheduled time of the next tick to serve (us ticks, masked)
        self._missed = 0  # ticks missed since the last row put in the ring

    def start(self):
        """Call just before the timer starts: its first tick is one period from now."""
        self._due_us = (self.hw.ticks_us() + self.period_us) & STAMP_MASK
        self._missed = 0
        self.active = True

    def stop(self):
        """Call just after the timer stopped. Returns the scans missed since the last row:
        those the ring never got and the ticks due before the stop no callback served."""
        self.active = False
        late = self.hw.ticks_diff(self.hw.ticks_us(), self._due_us)
        missed = self._missed + (late // self.period_us + 1 if late >= 0 else 0)
        self._missed = 0
        return missed

    def tick(self, _timer):
        """The timer callback (scheduled context)."""
        if not self.active:
            return  # queued before the timer stopped
        hw = self.hw
        late = hw.ticks_diff(hw.ticks_us(), self._due_us)
        if late < 0:
            return  # queued behind a late callback that served this tick
        period = self.period_us
        skipped = late // period
        due = (self._due_us + skipped * period) & STAMP_MASK
        self._due_us = (due + period) & STAMP_MASK
        ring = self.ring
        missed = self._missed + skipped
        off = ring.free_slot()
        if off < 0:
            self._missed = missed + 1
            return
        self.zones.read_into(ring.data, off)
        ring.commit(due, missed if missed < _MAX_GAP else _MAX_GAP)
        self._missed = 0
