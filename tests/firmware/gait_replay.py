# Runs the gait engine under MicroPython on a recording already quantised by the host
# (stridepod.recordings.replay.quantise_recording), with the heap locked around every per-sample
# call, and prints what it emits for the host test to compare with CPython's output.
# Usage: micropython gait_replay.py CASE.json
#   CASE.json: {"config": {GaitConfig keyword arguments}, "samples": n,
#               "imu": "file of n*6 int16 (ax ay az gx gy gz)" or null,
#               "pressure": "file of n*zones int16" or null, "zones": zones}
# Output: "E kind t_ms a b" per event, "W" + 13 ints per window, then "DONE".
import gc
import json
import sys
from array import array

import micropython

from fwtest import assert_small_int
from podfw.gait.config import GaitConfig
from podfw.gait.engine import GaitEngine
from podfw.gait.summary import FIELDS


def load(path, count):
    data = array("h", bytes(2 * count))
    with open(path, "rb") as f:
        f.readinto(data)
    return data


def emit(eng, rec):
    while eng.events.pop_into(rec):
        print("E %d %d %d %d" % (rec[0], rec[1], rec[2], rec[3]))
    w = eng.poll_window()
    while w is not None:
        print("W " + " ".join(str(getattr(w, name)) for name in FIELDS))
        w = eng.poll_window()


def check_state(obj, what):
    # every int the engine keeps between samples must fit an ESP32 small int, in its
    # int arrays too
    for name in dir(obj):
        value = getattr(obj, name)
        if isinstance(value, int) and not isinstance(value, bool):
            assert_small_int(value, what + "." + name)
        elif isinstance(value, array):
            for v in value:
                assert_small_int(v, what + "." + name + "[]")


def main():
    with open(sys.argv[1]) as f:
        case = json.load(f)
    cfg = case["config"]
    if cfg.get("zone_xy") is not None:
        cfg["zone_xy"] = [tuple(xy) for xy in cfg["zone_xy"]]
    eng = GaitEngine(GaitConfig(**cfg))
    n = case["samples"]
    imu = load(case["imu"], n * 6) if case.get("imu") else None
    nz = case.get("zones", 0)
    pressure = load(case["pressure"], n * nz) if case.get("pressure") else None
    scan = array("i", bytes(4 * nz))
    rec = array("i", bytes(16))
    parts = [p for p in (eng, eng.imu_detector, eng.pressure) if p is not None]
    gc.collect()
    for i in range(n):
        micropython.heap_lock()
        if imu is not None:
            k = 6 * i
            eng.push_imu(imu[k], imu[k + 1], imu[k + 2], imu[k + 3], imu[k + 4], imu[k + 5])
        if pressure is not None:
            k = nz * i
            for z in range(nz):
                scan[z] = pressure[k + z]
            eng.push_pressure(scan)
        micropython.heap_unlock()
        if eng.events.size or eng.ready_count:
            emit(eng, rec)
        if i % 64 == 0:
            for p in parts:
                check_state(p, type(p).__name__)
    last = eng.finish()
    if last is not None:
        print("W " + " ".join(str(getattr(last, name)) for name in FIELDS))
    emit(eng, rec)
    print("DONE")


main()
