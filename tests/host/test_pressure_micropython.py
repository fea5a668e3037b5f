"""The insole contact detector (PressureContacts) reports exactly the same contacts under
the real MicroPython unix port as under CPython, on a whole gaitpdb insole recording
quantised to the pod's 0.1 N, with the heap locked around every scan and its state
range-checked to 31 bits (tests/firmware/pressure_replay.py does the MicroPython side)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pressure_runs import (
    DUMPS,
    LSB_PER_NEWTON,
    OFF_FIELDS,
    ON_FIELDS,
    event_lines,
    zone_xy,
)
from stridepod.recordings import dumpfile

ROOT = Path(__file__).resolve().parents[2]
# PhysioNet gaitpdb healthy control JuCo03 (Hausdorff et al., ODC-By 1.0): it starts with
# the foot loaded, has a zone offset of several newtons and threshold chatter at toe-off
RECORDING = "gaitpdb_JuCo03_01_right"


def micropython_lines(scans, zones, rate_hz: int, tmp_path: Path) -> list[str]:
    (tmp_path / "pressure.bin").write_bytes(scans.astype("<i2").tobytes())
    case = {"rate_hz": rate_hz, "lsb_per_newton": LSB_PER_NEWTON, "zones": zones,
            "scans": len(scans), "pressure": str(tmp_path / "pressure.bin"),
            "on_fields": ON_FIELDS, "off_fields": OFF_FIELDS}
    (tmp_path / "case.json").write_text(json.dumps(case))
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(
        [str(ROOT / "firmware"), str(ROOT / "tests" / "firmware"), ".frozen"]))
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "micropython"),
         str(ROOT / "tests" / "firmware" / "pressure_replay.py"), str(tmp_path / "case.json")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout.splitlines()
    assert proc.returncode == 0 and out and out[-1] == "DONE", proc.stdout[-2000:] + proc.stderr
    return out[:-1]


def test_micropython_contacts_equal_cpython(tmp_path):
    rec = dumpfile.load(DUMPS / f"{RECORDING}.csv")
    rate_hz = int(rec.rate_hz)
    assert rate_hz == rec.rate_hz  # the pod scans at a whole number of hertz
    scans = dumpfile.quantise(rec.pressure, LSB_PER_NEWTON)
    zones = zone_xy(rec)
    want = event_lines(scans, zones, rate_hz)
    assert sum(line.startswith("off,") for line in want) >= 30  # the comparison is about real steps
    assert micropython_lines(scans, zones, rate_hz, tmp_path) == want
