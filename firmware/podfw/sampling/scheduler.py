# The sampling schedule on asyncio: pressure scans run in the board timer's callback
# (started by Pod.start; MicroPython's ESP32 port queues it for the main task, see
# podfw.sampling.scans) and land in a ring; this task drains the IMU FIFO every
# power.drain_ms, feeds both rings to the engine, and pauses (light sleep when idle) in
# between. Other tasks (the BLE link) run during the pauses; the timer callbacks run
# during the pauses and between the bytecodes of everything else.

import sys

from podfw.counters import WHERE_SAMPLING
from podfw.power import ACTIVE, DEEP_SLEEP


class Scheduler:
    def __init__(self, pod):
        self.pod = pod
        self.running = False
        self.cycles = 0

    async def run(self):
        pod = self.pod
        hw = pod.hw
        period = pod.board.drain_ms
        if not pod.running:
            pod.start()
        self.running = True
        try:
            while self.running:
                t0 = hw.ticks_ms()
                try:
                    state = pod.service()
                except Exception as exc:  # a bug must not stop the pod: count, show, go on
                    pod.counters.cycle_errors += 1
                    pod.counters.error(WHERE_SAMPLING, exc)
                    sys.print_exception(exc)
                    state = ACTIVE
                self.cycles += 1
                if state == DEEP_SLEEP:
                    pod.sleep()  # does not return on the pod
                    return
                spent = hw.ticks_diff(hw.ticks_ms(), t0)
                await pod.power.pause(period - spent if spent < period else 0)
        finally:
            self.running = False

    def stop(self):
        self.running = False
