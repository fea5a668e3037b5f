"""The gait engine gives the same output under the real MicroPython unix port as under
CPython, on real recordings quantised exactly as the pod's sensors deliver them, with the
heap locked around every per-sample call and its state range-checked to 31 bits
(tests/firmware/gait_replay.py does the MicroPython side)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from podfw.gait.engine import EV_FINAL_CONTACT, EV_INITIAL_CONTACT
from podfw.gait.summary import FIELDS
from stridepod.recordings import dumpfile
from stridepod.recordings.replay import quantise_recording, run_engine

ROOT = Path(__file__).resolve().parents[2]
DUMPS = ROOT.parent / "shared" / "datasets" / "dumps"

# one recording per detector: foot gyro, sacrum, foot accelerometer (with clipping),
# insole; the long run is cut to keep the test quick under MicroPython
CASES = [
    ("gaitmap_walk_left", None),
    ("alcantara_run_03", None),
    ("adept_outdoor_run_left_ankle", 30000),
    ("gaitpdb_JuCo02_01_left", None),
]


def micropython_binary() -> str:
    return str(Path(sys.executable).parent / "micropython")


def expected_lines(q) -> list[str]:
    result = run_engine(q)
    events = sorted(
        [(t, EV_INITIAL_CONTACT, round(g * 100), s) for t, g, s in
         zip(result.initial_contacts_s, result.impact_g, result.strike, strict=True)]
        + [(t, EV_FINAL_CONTACT, c, 0) for t, c in
           zip(result.final_contacts_s, result.contact_ms, strict=True)])
    return ([f"E {k} {round(t * 1000)} {a} {b}" for t, k, a, b in events],
            ["W " + " ".join(str(w[f]) for f in FIELDS) for w in result.windows])


def micropython_lines(q, tmp_path: Path) -> tuple[list[str], list[str]]:
    n = len(q.imu) if q.imu is not None else len(q.pressure)
    case = {"config": config_kwargs(q.config), "samples": n, "imu": None, "pressure": None}
    if q.imu is not None:
        (tmp_path / "imu.bin").write_bytes(q.imu.astype("<i2").tobytes())
        case["imu"] = str(tmp_path / "imu.bin")
    if q.pressure is not None:
        (tmp_path / "pressure.bin").write_bytes(q.pressure.astype("<i2").tobytes())
        case["pressure"] = str(tmp_path / "pressure.bin")
        case["zones"] = q.pressure.shape[1]
    (tmp_path / "case.json").write_text(json.dumps(case))
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(
        [str(ROOT / "firmware"), str(ROOT / "tests" / "firmware"), ".frozen"]))
    proc = subprocess.run([micropython_binary(), str(ROOT / "tests" / "firmware" / "gait_replay.py"),
                           str(tmp_path / "case.json")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    out = proc.stdout.splitlines()
    assert proc.returncode == 0 and out and out[-1] == "DONE", proc.stdout[-2000:] + proc.stderr
    events = sorted((ln for ln in out if ln.startswith("E ")),
                    key=lambda ln: (int(ln.split()[2]), int(ln.split()[1])))
    return events, [ln for ln in out if ln.startswith("W ")]


def config_kwargs(cfg) -> dict:
    return {"imu_rate_hz": cfg.imu_rate_hz, "pressure_rate_hz": cfg.pressure_rate_hz,
            "placement": cfg.placement, "acc_lsb_per_g": cfg.acc_lsb_per_g,
            "gyro_lsb_per_dps": cfg.gyro_lsb_per_dps, "has_gyro": cfg.has_gyro,
            "zone_xy": cfg.zone_xy, "pressure_lsb_per_newton": cfg.pressure_lsb_per_newton,
            "window_s": cfg.window_s}


@pytest.mark.parametrize(("name", "limit"), CASES)
def test_micropython_output_equals_cpython(name, limit, tmp_path):
    q = quantise_recording(dumpfile.load(DUMPS / name))
    if limit:
        q = replace(q, imu=None if q.imu is None else q.imu[:limit],
                    pressure=None if q.pressure is None else q.pressure[:limit])
    want_events, want_windows = expected_lines(q)
    got_events, got_windows = micropython_lines(q, tmp_path)
    assert len(want_events) > 10  # the comparison is about real strides
    assert got_events == sorted(want_events, key=lambda ln: (int(ln.split()[2]), int(ln.split()[1])))
    assert got_windows == want_windows
