# Calibration of the pressure zones (podfw.drivers.pressure), loaded only when one is
# asked for (Pod.calibrate over the link, or from the REPL): the zero offsets with the
# insole unloaded and one zone's gain under a known load. Both are saved in flash, where
# PressureZones.load_calibration finds them at the next boot.
#
#   from podfw.drivers.pressure_calibration import calibrate_gain
#   calibrate_gain(pod.zones, 0, 1962)      # a 20 kg weight on zone 0
import json
import os
from array import array


def calibrate_zero(zones, scans=32, interval_ms=10):
    """With no load on the insole: each zone's zero becomes the highest reading seen,
    so noise at rest reads 0 N. Saved to flash."""
    n = zones.n
    row = array("H", bytes(2 * n))
    peak = array("H", bytes(2 * n))
    for _ in range(scans):
        zones.read_into(row, 0)
        for i in range(n):
            if row[i] > peak[i]:
                peak[i] = row[i]
        zones.hw.sleep_ms(interval_ms)
    for i in range(n):
        zones.zero[i] = peak[i]
    zones.calibrated = True
    save(zones)


def calibrate_gain(zones, zone, load_decinewton, scans=32, interval_ms=10):
    """With a known load on one zone: its gain so that the load reads load_decinewton."""
    row = array("H", bytes(2 * zones.n))
    total = 0
    for _ in range(scans):
        zones.read_into(row, 0)
        total += row[zone]
        zones.hw.sleep_ms(interval_ms)
    span = total // scans - zones.zero[zone]
    if span <= 0:
        raise ValueError("zone %d reads no load above its zero (%d)" % (zone, zones.zero[zone]))
    gain = load_decinewton * 65536 // span
    if not 1 <= gain <= 16000:
        raise ValueError("zone %d gain %d outside 1..16000 (check the sensor and load)"
                         % (zone, gain))
    zones.gain_q16[zone] = gain
    save(zones)


def save(zones):
    rows = [[zones.zero[i], zones.gain_q16[i], zones.saturation[i]] for i in range(zones.n)]
    tmp = zones.path + ".new"
    with open(tmp, "w") as f:
        json.dump({"board": zones.board.name, "zones": rows}, f)
    os.rename(tmp, zones.path)  # replace in one step: a power cut keeps the old file
