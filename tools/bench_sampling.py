"""Cost of the pod's sampling under the MicroPython unix port, on simulated hardware fed
from a shared recording, as ratios to a reference bytecode loop timed in the same run
(absolute times differ between machines; the ratios carry over to the ESP32 roughly).

    .venv/bin/python tools/bench_sampling.py      (re-runs itself under micropython)

For each board: one second of data (IMU FIFO drains at the board's drain period + the
pressure timer's scans + calibration + gait engine + window publishing), and the heap
the firmware holds after start (modules + Pod), twice: with the library compiled from
source, and imported from a ROMFS image of .mpy files (as `stridepod dev deploy --romfs`
puts it on a pod; x64 code for the unix port). The simulated chips' own work (filling
their FIFO from the recording) happens outside the timed part; the byte copy of the
simulated I2C transfer stays inside it, as the real bus transfer would.
"""
import sys

if sys.implementation.name != "micropython":
    import os
    import subprocess
    import tempfile
    from pathlib import Path

    from stridepod.devtools.deploy import library_romfs

    root = Path(__file__).resolve().parents[1]
    mp = Path(sys.executable).parent / "micropython"
    fw_tests = root / "tests" / "firmware"
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(
        [str(root / "firmware"), str(fw_tests), ".frozen"]))
    code = subprocess.run([str(mp), __file__], cwd=root, env=env).returncode
    if code:
        sys.exit(code)
    # The same heap measurement with podfw from a ROMFS image (firmware/ not on the path).
    from romfs_heap_report import report

    with tempfile.TemporaryDirectory() as tmp:
        print(report(library_romfs("x64", Path(tmp)))[2])
    sys.exit(0)

import gc  # noqa: E402
import time  # noqa: E402

from heap_start import heap_after_start  # noqa: E402
from sim_pod import BOARDS  # noqa: E402  (the supported boards' files)

REF_ITERATIONS = 100000
SECONDS = 5
RUNS = 3  # best of: other processes on the machine only ever add time


def reference_us():
    """Best of 5: a plain integer bytecode loop of REF_ITERATIONS iterations."""
    best = None
    for _ in range(5):
        t = time.ticks_us()
        x = 0
        for i in range(REF_ITERATIONS):
            x = (x + i) & 0xFFFF
        dt = time.ticks_diff(time.ticks_us(), t)
        best = dt if best is None or dt < best else best
    return best


def cost_per_second(board_path, raw):
    from sim_pod import make_pod, run_pod

    class Null:
        def write(self, buf):
            pass

    pod, hw, chip, windows = make_pod(board_path, raw_out=Null() if raw else None)
    hw.unloaded = True
    pod.calibrate()
    hw.unloaded = False
    pod.start()
    run_pod(pod, 2)
    period = pod.board.drain_ms * 1000
    drains = SECONDS * 1000000 // period
    spent = 0
    for _ in range(drains):
        t = time.ticks_us()
        hw.run_for(period)  # the timer interrupt's zone scans
        spent += time.ticks_diff(time.ticks_us(), t)
        chip.catch_up()  # the simulated chip fills its FIFO (not the pod's work)
        t = time.ticks_us()
        pod.service()
        spent += time.ticks_diff(time.ticks_us(), t)
    return spent // SECONDS, pod


def main():
    ref = reference_us()
    print(f"reference loop: {REF_ITERATIONS} iterations in {ref} us")
    modules, pod_bytes, _ = heap_after_start(BOARDS[0])
    print(f"heap after start ({BOARDS[0]}, 64-bit unix port), firmware library compiled from source: board + pod objects {pod_bytes / 1024:.1f} KB (drivers, "
          f"rings, engine state) + firmware modules loaded as bytecode {modules / 1024:.1f} KB = {(modules + pod_bytes) / 1024:.1f} KB "
          "(the 48 KB goal is met from a ROMFS image: see below)")
    for path in BOARDS:
        for raw in (False, True):
            us, pod = min((cost_per_second(path, raw) for _ in range(RUNS)),
                          key=lambda r: r[0])
            b = pod.board
            print("{:<36} {:<6} 1 s = {} IMU samples + {} scans of {} zones: {:6d} us = {:.2f} x "
                  "reference loop ({:.1f} us per IMU sample)".format(
                      path, "raw" if raw else "engine", b.imu_rate_hz, b.pressure_rate_hz,
                      len(b.zones), us, us / ref, us / b.imu_rate_hz))
    # no allocation per sample: heap use over 5 s of sampling after warm-up
    us, pod = cost_per_second(BOARDS[1], False)
    gc.collect()
    before = gc.mem_alloc()
    micropython_heap_check(pod)
    gc.collect()
    print(f"heap growth over 5 s of sampling: {gc.mem_alloc() - before} B")


def micropython_heap_check(pod):
    import micropython

    hw = pod.hw
    period = pod.board.drain_ms * 1000
    micropython.heap_lock()
    try:
        for _ in range(5 * 1000000 // period):
            hw.run_for(period)
            pod.service()
    finally:
        micropython.heap_unlock()


main()
