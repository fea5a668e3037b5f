# MicroPython side of tools/bench_gait.py (run by it; not imported by the host).
# Usage: micropython bench_gait_micropython.py DATA.bin SECONDS
# (imported by tools/bench_gait_rv32.py for the data, the pod's configuration and the feed
# loop, which is why main() only runs as a script)
#   DATA.bin: 200 IMU samples (6 int16) per second of data, then 100 scans of 8 zones
#   (int16) per second, as written by bench_gait.py from real recordings.
# Prints "COST mode iterations" (the engine's time for one second of data divided by the
# time of one reference-loop iteration, best of several passes for both) and "HEAP bytes".
import gc
import sys
import time
from array import array

from podfw.gait.config import GaitConfig
from podfw.gait.engine import GaitEngine

IMU_HZ = 200
PRESSURE_HZ = 100
ZONES = 8
ZONE_XY = [(-500, -800), (-700, -400), (-300, -400), (-700, 0), (-300, 0), (-700, 400),
           (-300, 400), (-500, 800)]
REF_ITERATIONS = 10000
ROUNDS = 5  # passes over the data


def reference_loop(n):
    # the yardstick: one iteration is a load, an add, a mask and a store
    x = 0
    for i in range(n):
        x = (x + i) & 0xFFFF
    return x


def idle(a=0, b=0, c=0, d=0, e=0, f=0):
    return False


def one_second(s, imu, pressure, scan, push_imu, push_pressure, use_imu, use_pressure,
               now=time.ticks_us, diff=time.ticks_diff):
    """Feeds second s of the data to the push functions; returns the time it took as
    diff(now() after, now() before) (tools/bench_gait_rv32.py counts instructions)."""
    t0 = now()
    if use_imu:
        base = s * IMU_HZ * 6
        for i in range(IMU_HZ):
            k = base + 6 * i
            push_imu(imu[k], imu[k + 1], imu[k + 2], imu[k + 3], imu[k + 4], imu[k + 5])
    if use_pressure:
        base = s * PRESSURE_HZ * ZONES
        for i in range(PRESSURE_HZ):
            k = base + ZONES * i
            for z in range(ZONES):
                scan[z] = pressure[k + z]
            push_pressure(scan)
    return diff(now(), t0)


def cost(cfg, imu, pressure, seconds, use_imu, use_pressure):
    """Loop iterations per second of data: for each second of data the fastest of ROUNDS
    passes (engine minus the harness's own loops, timed with an empty function), over the
    fastest reference-loop iteration timed between them: best-of-N on both sides, so a
    busy machine's preemptions do not count."""
    scan = array("i", bytes(4 * ZONES))
    rec = array("i", bytes(16))
    best_work = [1 << 30] * seconds
    best_harness = [1 << 30] * seconds
    best_ref = 1 << 30
    for _ in range(ROUNDS):
        eng = GaitEngine(cfg)  # every pass sees the same session from its start
        gc.collect()
        for s in range(seconds):
            t0 = time.ticks_us()
            reference_loop(REF_ITERATIONS)
            best_ref = min(best_ref, time.ticks_diff(time.ticks_us(), t0))
            work = one_second(s, imu, pressure, scan, eng.push_imu, eng.push_pressure,
                              use_imu, use_pressure)
            harness = one_second(s, imu, pressure, scan, idle, idle, use_imu, use_pressure)
            best_work[s] = min(best_work[s], work)
            best_harness[s] = min(best_harness[s], harness)
            while eng.events.pop_into(rec):
                pass
            eng.poll_window()
    per_iteration = best_ref / REF_ITERATIONS
    total = 0
    for s in range(seconds):
        total += best_work[s] - best_harness[s]
    return total / seconds / per_iteration


def load(path, seconds):
    """(imu, pressure) int16 arrays of `seconds` of data from the file bench_gait.py wrote."""
    imu = array("h", bytes(2 * seconds * IMU_HZ * 6))
    pressure = array("h", bytes(2 * seconds * PRESSURE_HZ * ZONES))
    with open(path, "rb") as f:
        f.readinto(imu)
        f.readinto(pressure)
    return imu, pressure


def config():
    """The benchmark's pod: a left insole with a foot IMU (gyro) and 8 zones."""
    return GaitConfig(imu_rate_hz=IMU_HZ, pressure_rate_hz=PRESSURE_HZ, placement="left_foot",
                      zone_xy=ZONE_XY)


def main():
    path = sys.argv[1]
    seconds = int(sys.argv[2])
    imu, pressure = load(path, seconds)
    cfg = config()
    gc.collect()
    before = gc.mem_alloc()
    eng = GaitEngine(cfg)
    gc.collect()
    print("HEAP", gc.mem_alloc() - before)
    del eng
    t0 = time.ticks_us()
    reference_loop(REF_ITERATIONS)
    print("REF_NS", time.ticks_diff(time.ticks_us(), t0) * 1000 / REF_ITERATIONS)
    for mode, use_imu, use_pressure in (("both", True, True), ("imu", True, False),
                                        ("pressure", False, True)):
        print("COST " + mode, cost(cfg, imu, pressure, seconds, use_imu, use_pressure))


if __name__ == "__main__":
    main()
