# Runs the insole contact detector (PressureContacts) under MicroPython on a recording
# already quantised by the host, with the heap locked around every push and its state
# range-checked to 31 bits after every scan, and prints what it reports for
# tests/host/test_pressure_micropython.py to compare with CPython (pressure_runs.event_lines).
# Usage: micropython pressure_replay.py CASE.json
#   CASE.json: {"rate_hz": r, "lsb_per_newton": l, "zones": [[x, y], ...], "scans": n,
#               "pressure": "file of n*zones int16", "on_fields": [...], "off_fields": [...]}
# Output: "on,<scan>,<on_fields>" per touch-down, "off,<scan>,<off_fields>,<share per zone>"
# per lift-off, "flags,<flags>", then "DONE".
import json
import sys
from array import array

import micropython

from fwtest import assert_small_int_state
from podfw.gait.pressure import EV_OFF, EV_ON, PressureContacts


def main():
    with open(sys.argv[1]) as f:
        case = json.load(f)
    zones = [tuple(xy) for xy in case["zones"]]
    nz = len(zones)
    n = case["scans"]
    pressure = array("h", bytes(2 * n * nz))
    with open(case["pressure"], "rb") as f:
        f.readinto(pressure)
    on_fields = case["on_fields"]
    off_fields = case["off_fields"]
    pc = PressureContacts(zones, case["rate_hz"], case["lsb_per_newton"])
    scan = array("h", bytes(2 * nz))
    for i in range(n):
        k = nz * i
        for z in range(nz):
            scan[z] = pressure[k + z]
        micropython.heap_lock()
        ev = pc.push(scan)
        micropython.heap_unlock()
        assert_small_int_state(pc)
        if ev & EV_ON:
            print(",".join(["on", str(i)] + [str(getattr(pc, name)) for name in on_fields]))
        if ev & EV_OFF:
            print(",".join(["off", str(i)] + [str(getattr(pc, name)) for name in off_fields]
                           + [str(s) for s in pc.share]))
    print("flags,%d" % pc.take_flags())
    print("DONE")


main()
