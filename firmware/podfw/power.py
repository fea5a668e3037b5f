# Power states of the pod, driven by motion seen in the IMU samples:
#   ACTIVE  full sampling (IMU FIFO drains + 100 Hz pressure scans on the timer).
#   IDLE    no motion for power.idle_after_s: pressure scanning stops; any motion
#           returns to ACTIVE.
#   deep sleep after power.deep_sleep_after_min without motion: the IMU is switched to
#           its wake-on-motion interrupt (threshold from the board file) wired to
#           imu.int1_pin, which wakes the ESP32 (a wake from deep sleep is a reboot).
# Between FIFO drains the CPU light-sleeps (the IMU keeps sampling into its FIFO) when
# the board file allows it (power.light_sleep) and nothing needs it awake: no zone scans
# on the timer (IDLE, or a board without zones) and no BLE central connected (MicroPython's
# lightsleep pauses the BLE controller, micropython/micropython#6396).
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
        self.radio_connected = False  # set by the BLE link's task (main.py)

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
        """Waits ms between drains: light sleep when allowed (see above), otherwise an
        asyncio sleep so other tasks (BLE) run."""
        if (self.enabled and self.board.light_sleep and not self.radio_connected
                and ms >= _MIN_LIGHT_SLEEP_MS and (self.state == IDLE or not self.board.zones)):
            self.hw.lightsleep(ms)
            ms = 0
        await self.hw.async_sleep_ms(ms)

    def deep_sleep(self, imu):
        imu.enable_wake(self.board.wake_threshold_mg)
        self.hw.wake_on_pin(self.board.imu_int1_pin, 1)
        self.hw.deepsleep()
