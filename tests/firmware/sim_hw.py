# Simulated pod hardware for firmware tests under the MicroPython unix port (which has no
# machine.I2C/ADC/Timer). SimHardware offers the same methods as podfw.hw.EspHardware, on
# a simulated clock: time only moves when the pod sleeps or a test advances it, so runs
# are exact and fast. Nothing on a sampling path allocates (heap_lock tests run through it).
from fwtest import Lcg

TICKS_MASK = (1 << 30) - 1
TICKS_HALF = 1 << 29
# MicroPython's ESP32 port: a Timer callback is queued by the ISR (mp_sched_schedule)
# into a queue of MICROPY_SCHEDULER_DEPTH = 8 (ports/esp32/mpconfigport.h) and run by
# the main task; a tick that finds the queue full is dropped.
SCHEDULER_DEPTH = 8


class DeepSleep(Exception):
    """Raised where the ESP32 would power down (machine.deepsleep never returns)."""


class SimPin:
    def __init__(self, hw, n):
        self.hw = hw
        self.n = n
        self.level = 0

    def value(self, v=None):
        if v is None:
            return self.level
        self.level = 1 if v else 0
        return None


class SimADC:
    """An ADC input. `source(t_us)` gives the voltage as a 16-bit count."""

    def __init__(self, hw, pin):
        self.hw = hw
        self.pin = pin
        self.reads = 0

    def read_u16(self):
        self.reads += 1
        return self.hw.analog_u16(self.pin)

    def read_uv(self):
        return self.hw.analog_uv(self.pin)


class SimI2C:
    """I2C bus with register-level devices (`read(reg, buf)`, `write(reg, buf)`). Fault
    injection: `fail_per_mille` transactions raise OSError(ENODEV), as a NACK does on the
    ESP32 port, chosen by a fixed pseudo-random sequence so runs repeat exactly."""

    def __init__(self, hw):
        self.hw = hw
        self.devices = {}
        self.fail_per_mille = 0
        self.transactions = 0
        self.failures = 0
        self._rng = Lcg(12345)
        self._nack = OSError(19)  # preallocated: raising it does not allocate

    def _fault(self):
        self.transactions += 1
        if self.fail_per_mille:
            if self._rng.below(1000) < self.fail_per_mille:
                self.failures += 1
                raise self._nack

    def readfrom_mem_into(self, addr, reg, buf):
        self._fault()
        dev = self.devices.get(addr)
        if dev is None:
            raise self._nack
        dev.read(reg, buf)

    def writeto_mem(self, addr, reg, buf):
        self._fault()
        dev = self.devices.get(addr)
        if dev is None:
            raise self._nack
        dev.write(reg, buf)


class SimTimer:
    def __init__(self, hw):
        self.hw = hw
        self.callback = None
        self.period_us = 0
        self.next_us = 0
        self.fired = 0  # ticks of the hardware timer (run, queued or dropped)

    def init(self, freq=0, callback=None, hard=False):
        if hard:  # ports/esp32/machine_timer.c
            raise ValueError("hard Timers are not implemented")
        self.period_us = 1000000 // freq
        self.callback = callback
        self.next_us = self.hw.now_us + self.period_us

    def deinit(self):
        self.callback = None


class SimPixel:
    def __init__(self):
        self.colour = (0, 0, 0)
        self.writes = 0

    def __setitem__(self, i, colour):
        self.colour = colour

    def write(self):
        self.writes += 1


class SimMux:
    """CD74HC4067: the common pin carries the channel chosen by the four select pins."""

    def __init__(self, hw, select_pins):
        self.pins = [hw.pin_out(p) for p in select_pins]

    def channel(self):
        p = self.pins
        return p[0].level | (p[1].level << 1) | (p[2].level << 2) | (p[3].level << 3)


class SimHardware:
    """The pod's hardware on a simulated clock. Analog inputs: `zone_sources` maps a pin
    (direct zones) or a mux channel to (array of counts, Feed); `battery_mv` with the
    board's divider feeds the battery pin."""

    def __init__(self, board, flash_dir):
        self.board = board
        self.flash_dir = flash_dir
        self.now_us = 1000
        self.pins = {}
        self.timers = []
        self.i2c_bus = SimI2C(self)
        self.zone_arrays = {}  # pin or mux channel -> array of raw counts
        self.zone_feed = None
        self.zone_zero = {}  # pin or mux channel -> counts with no load
        self.unloaded = False  # nobody stands on the insole: zones read their zero
        self.stuck_full_scale = -1  # pin/channel that reads 65535 (shorted FSR)
        self.battery_mv = 3900
        self.light_sleeps = 0
        self.light_sleep_us = 0
        # the scheduler's queue (callback, timer), preallocated: the ISR must not allocate
        self._queue_cb = [None] * SCHEDULER_DEPTH
        self._queue_arg = [None] * SCHEDULER_DEPTH
        self._queued = 0
        self._queue_head = 0
        self.sched_dropped = 0  # callbacks the full queue refused
        self.busy = False  # the main task is held in C: queued callbacks wait
        self.wake_pin = None
        self.pixel = None
        self.mux = None
        if board.mux is not None:
            self.mux = SimMux(self, board.mux["select_pins"])
        self.serial = None  # stream for raw mode (serial_out)

    # clock -------------------------------------------------------------------------
    # like the ESP32's time module: tick counters wrap at 2**30
    def ticks_us(self):
        return self.now_us & TICKS_MASK

    def ticks_ms(self):
        return (self.now_us // 1000) & TICKS_MASK

    def ticks_diff(self, a, b):
        return ((a - b + TICKS_HALF) & TICKS_MASK) - TICKS_HALF

    def sleep_us(self, us):  # busy wait: no interrupts run in between
        self.now_us += us

    def sleep_ms(self, ms):
        self.run_for(ms * 1000)

    def run_for(self, us):
        """Advances the clock; each timer tick queues its callback, which runs at once
        unless the main task is busy (blocked_us)."""
        end = self.now_us + us
        while True:
            nxt = end
            due = None
            for t in self.timers:
                if t.callback is not None and t.next_us <= nxt:
                    nxt = t.next_us
                    due = t
            self.now_us = nxt
            if due is None:
                return
            due.next_us += due.period_us
            due.fired += 1
            self._schedule(due.callback, due)
            if not self.busy:
                self.run_scheduled()

    def _schedule(self, callback, arg):
        # mp_sched_schedule: False (the tick is lost) when the queue is full
        if self._queued >= SCHEDULER_DEPTH:
            self.sched_dropped += 1
            return
        slot = (self._queue_head + self._queued) % SCHEDULER_DEPTH
        self._queue_cb[slot] = callback
        self._queue_arg[slot] = arg
        self._queued += 1

    def run_scheduled(self):
        """The main task runs the queued callbacks (between bytecodes, or while it
        waits). A timer stopped since keeps its queued callbacks, as on the port."""
        while self._queued:
            slot = self._queue_head
            callback = self._queue_cb[slot]
            arg = self._queue_arg[slot]
            self._queue_head = (slot + 1) % SCHEDULER_DEPTH
            self._queued -= 1
            callback(arg)

    def blocked_us(self, us):
        """The main task is held in C for `us` (a flash erase, a garbage collection, a
        long I2C transfer): timer ticks queue up, those beyond the queue's depth are
        dropped, and the queued callbacks run late, when it is free again."""
        self.busy = True
        try:
            self.run_for(us)
        finally:
            self.busy = False
        self.run_scheduled()

    async def async_sleep_ms(self, ms):
        import asyncio

        self.run_for(ms * 1000)
        await asyncio.sleep_ms(0)

    # peripherals -------------------------------------------------------------------
    def i2c(self, bus_id, sda, scl, freq):
        return self.i2c_bus

    def _pin(self, n):
        pin = self.pins.get(n)
        if pin is None:
            pin = self.pins[n] = SimPin(self, n)
        return pin

    def pin_out(self, n):
        return self._pin(n)

    def adc(self, n):
        return SimADC(self, n)

    def timer(self, n):
        t = SimTimer(self)
        self.timers.append(t)
        return t

    def neopixel(self, pin):
        self.pixel = SimPixel()
        return self.pixel

    def analog_u16(self, pin):
        source = pin
        if self.mux is not None and pin == self.board.mux["adc_pin"]:
            source = self.mux.channel()
        if source == self.stuck_full_scale:
            return 65535
        counts = self.zone_arrays.get(source)
        if counts is None:
            return 0
        if self.unloaded:
            return self.zone_zero[source]
        return counts[self.zone_feed.index_at(self.now_us)]

    def analog_uv(self, pin):
        if pin == self.board.battery_pin:
            return self.battery_mv * 1000000 // self.board.battery_divider_x1000
        return 0

    def serial_out(self):
        return self.serial

    # power -------------------------------------------------------------------------
    def lightsleep(self, ms):
        self.light_sleeps += 1
        self.light_sleep_us += ms * 1000
        self.run_for(ms * 1000)

    def wake_on_pin(self, pin, level):
        self.wake_pin = (pin, level)

    def deepsleep(self):
        raise DeepSleep()

    def reset_counters(self):
        self.light_sleeps = 0
        self.light_sleep_us = 0


def feed_zones(hw, board, feed_name, zero_counts=600):
    """Feeds the board's pressure zones from a recording: force (N) -> raw counts through
    the inverse of the board's default gain, on top of a per-zone zero offset."""
    from sim_feed import cached_feed

    scales = {}
    for z in board.zones:
        col = "p%d" % (z.index + 1)
        scales[col] = (10 * 65536 / board.default_gain_q16, zero_counts + 13 * z.index, 0, 65535)
    feed = cached_feed(feed_name, scales, "H")
    for z in board.zones:
        hw.zone_arrays[z.source] = feed.columns["p%d" % (z.index + 1)]
        hw.zone_zero[z.source] = scales["p%d" % (z.index + 1)][1]
    hw.zone_feed = feed
    return feed

