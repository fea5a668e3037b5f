# Boots the pod: board file -> Pod -> Scheduler, windows to the BLE link (PodLink, which
# logs each to flash first). `import main; main.record()` from the REPL starts the raw
# sample stream for `stridepod record` instead.
import sys

# The stridepod MicroPython image freezes the firmware library (boards/micropython): a
# library deployed since (ROMFS at /rom/lib, or /lib) comes first, so a deploy updates
# the pod without a new image. `stridepod dev deploy` checks where podfw comes from by
# importing this module.
if ".frozen" in sys.path:
    sys.path.remove(".frozen")
    sys.path.append(".frozen")

import asyncio  # noqa: E402

from podfw import board as boardfile  # noqa: E402
from podfw.drivers.imu import ImuError  # noqa: E402
from podfw.hw import EspHardware  # noqa: E402
from podfw.pod import Pod  # noqa: E402
from podfw.sampling.scheduler import Scheduler  # noqa: E402

BOARD_FILE = "/board.json"
BONDS_FILE = "/bonds.json"  # the BLE bonds (keys), kept across reboots
LINK_POLL_MS = 20
FAULT_BLINK_MS = 100


def _load():
    try:
        return boardfile.load(BOARD_FILE), EspHardware()
    except boardfile.BoardError as exc:
        print("stridepod: " + str(exc))
        raise SystemExit(1) from None


def _start(pod):
    """Starts the sensors; a missing or wrong IMU is reported on the console and by a
    fast-blinking status LED until the pod is reset (nothing useful can run without it)."""
    try:
        pod.start()
    except ImuError as exc:
        print("stridepod: " + str(exc))
        while True:
            pod.led.set(not pod.led.lit)
            pod.hw.sleep_ms(FAULT_BLINK_MS)


async def _serve_link(link, pod):
    while True:
        link.poll()
        link.set_battery(pod.battery_percent)
        pod.power.radio_connected = link.connected  # no light sleep under a connection
        await asyncio.sleep_ms(LINK_POLL_MS)


def run():
    import bluetooth

    from podfw.link import gatt
    from podfw.link.clock import PodClock
    from podfw.link.flashlog import FileStorage, FlashLog
    from podfw.link.podlink import PodLink

    board, hw = _load()
    link = None

    def sink(summary):
        link.publish(summary)

    pod = Pod(board, sink, hw)
    _start(pod)
    link = PodLink(bluetooth.BLE(), FlashLog(FileStorage("/log")), PodClock(),
                   config=pod.engine.config, controller=pod, bonds=gatt.BondStore(BONDS_FILE),
                   battery_percent=pod.battery_percent, counters=pod.counters)
    pod.before_sleep = link.flush  # the records the log holds in RAM go to flash first

    async def both():
        asyncio.create_task(_serve_link(link, pod))
        await Scheduler(pod).run()

    try:
        asyncio.run(both())
    finally:  # Ctrl-C from the REPL, a deploy: what the log holds is written
        link.flush()


def record():
    """Raw mode: every sample to USB serial in podfw.rawframe frames until reset."""
    board, hw = _load()
    pod = Pod(board, None, hw, raw_out=hw.serial_out())
    _start(pod)
    pod.engine.send_info()
    asyncio.run(Scheduler(pod).run())


if __name__ == "__main__":
    run()
