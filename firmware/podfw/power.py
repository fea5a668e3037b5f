# Power states of the pod, driven by motion seen in the IMU samples:
#   ACTIVE  full sampling (IMU FIFO drains + 100 Hz pressure scans on the timer).
#   IDLE    no motion for power.idle_after_s: pressure scanning stops and the CPU light-
#           sleeps between FIFO drains (the IMU keeps sampling into its FIFO); any motion
#           returns to ACTIVE.
#   deep sleep after power.deep_sleep_after_min without motion: the IMU is switched to
#           its wake-on-motion interrupt (threshold from the board file) wired to
#           imu.int1_pin, which wakes the ESP32 (a wake from deep sleep is a reboot).
# The 100 Hz ADC scan needs the CPU awake, so light sleep is only used while IDLE.
from micropython import const

ACTIVE = const(0)
IDLE = const(1)
DEEP_SLEEP = const(2)
_MIN_LIGHT_SLEEP_MS = const(5)  # waking costs about a millisecond


class Power:
    def __init__(self, board, hw, enabled=True):
        self.board = board
        self.enabled = enabled
        self.hw = hw
        self.idle_after_ms = board.idle_after_s * 1000
        self.deep_after_ms = board.deep_sleep_after_min * 60000
        self.state = ACTIVE
        self.last_motion_ms = hw.ticks_ms()

    def update(self, motion):
        """New state from whether the latest samples moved; returns it."""
        now = self.hw.ticks_ms()
        if motion or not self.enabled:
            self.last_motion_ms = now
            self.state = ACTIVE
            return ACTIVE
        still = self.hw.ticks_diff(now, self.last_motion_ms)
        if still >= self.deep_after_ms:
            self.state = DEEP_SLEEP
        elif still >= self.idle_after_ms:
            self.state = IDLE
        return self.state

    async def pause(self, ms):
        """Waits ms between drains: light sleep while IDLE (if the board allows it),
        otherwise an asyncio sleep so other tasks (BLE) run."""
        if self.state == IDLE and self.board.light_sleep and ms >= _MIN_LIGHT_SLEEP_MS:
            self.hw.lightsleep(ms)
            ms = 0
        await self.hw.async_sleep_ms(ms)

    def deep_sleep(self, imu):
        imu.enable_wake(self.board.wake_threshold_mg)
        self.hw.wake_on_pin(self.board.imu_int1_pin, 1)
        self.hw.deepsleep()
