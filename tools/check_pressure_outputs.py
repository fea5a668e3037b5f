"""Records, or checks against a record, everything the firmware reports on every recording
that has insole zones: the gait engine's events and window summaries
(tests/firmware/gait_replay.py: contacts with strike pattern, toe-offs with contact time,
every summary field) and the insole detector's own report per contact
(tests/firmware/pressure_replay.py: start, end, contact, swing and flight time, peak,
loading rate, strike position, centre-of-pressure path, zone shares, flags), each under
the MicroPython unix port (viper code active) and under CPython (the host replay).

A change to the detector's code that must not change its output (a speed-up) is checked
by recording before it and checking after:

    .venv/bin/python tools/check_pressure_outputs.py --record /tmp/before.json
    .venv/bin/python tools/check_pressure_outputs.py --check /tmp/before.json

It prints the number of recordings and of output lines compared, and exits 1 on the first
difference (naming the recording, the interpreter and the line).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "tests" / "host")]

from gait_replay_case import DUMPS, ROOT, UNIX64, write_case  # noqa: E402
from stridepod.recordings import dumpfile  # noqa: E402
from stridepod.recordings.replay import quantise_recording  # noqa: E402

FIRMWARE_TESTS = ROOT / "tests" / "firmware"
# the detector's fields at a touch-down and at a lift-off (tests/host/pressure_runs.py)
ON_FIELDS = ["on_index", "on_frac", "swing_ms"]
OFF_FIELDS = ["on_index", "on_frac", "off_index", "off_frac", "contact_ms", "swing_ms",
              "flight_ms", "peak", "peak_index", "loading_rate", "strike", "strike_pos",
              "first_zone", "cop_y_start", "cop_y_end", "cop_ml_range"]
# CPython runs the same replay scripts with the host's stand-in for `micropython`
CPYTHON_PRELUDE = ("import sys, runpy; sys.path[:0] = [%r, %r]; import podfw; "
                   "sys.argv[:] = [sys.argv[1], sys.argv[2]]; "
                   "runpy.run_path(sys.argv[0], run_name='__main__')")


def recordings_with_zones() -> list[str]:
    return [p.stem for p in sorted(DUMPS.glob("*.csv"))
            if dumpfile.load(p).pressure is not None]


def write_cases(name: str, folder: Path) -> tuple[Path, Path]:
    """The engine's case (gait_replay.py) and the detector's case (pressure_replay.py)."""
    q = quantise_recording(dumpfile.load(DUMPS / f"{name}.csv"))
    cfg = q.config
    engine = write_case(replace(q, imu=None), folder)  # the insole path alone
    data = str(folder / "pressure.bin")
    detector = {"rate_hz": int(cfg.pressure_rate_hz),
                "lsb_per_newton": cfg.pressure_lsb_per_newton,
                "zones": [list(xy) for xy in cfg.zone_xy], "scans": len(q.pressure),
                "pressure": data, "on_fields": ON_FIELDS, "off_fields": OFF_FIELDS}
    (folder / "detector.json").write_text(json.dumps(detector))
    return engine, folder / "detector.json"


def run(interpreter: str, script: str, case: Path) -> list[str]:
    path = str(FIRMWARE_TESTS / script)
    if interpreter == "micropython":
        env = dict(os.environ, MICROPYPATH=os.pathsep.join(
            [str(ROOT / "firmware"), str(FIRMWARE_TESTS), ".frozen"]))
        cmd = [str(UNIX64), path, str(case)]
    else:
        env = dict(os.environ)
        prelude = CPYTHON_PRELUDE % (str(ROOT / "firmware"), str(FIRMWARE_TESTS))
        cmd = [sys.executable, "-c", prelude, path, str(case)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=1200)
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or not lines or lines[-1] != "DONE":
        raise SystemExit(f"{script} on {case} under {interpreter} failed:\n"
                         + proc.stdout[-2000:] + proc.stderr[-2000:])
    return lines


def outputs(name: str) -> dict[str, list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        engine, detector = write_cases(name, Path(tmp))
        return {f"{what} {interpreter}": run(interpreter, script, case)
                for what, script, case in (("engine", "gait_replay.py", engine),
                                           ("detector", "pressure_replay.py", detector))
                for interpreter in ("micropython", "cpython")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--record", type=Path, help="write the outputs to this file")
    mode.add_argument("--check", type=Path, help="compare the outputs with this record")
    args = ap.parse_args()
    names = recordings_with_zones()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        got = dict(zip(names, pool.map(outputs, names), strict=True))
    for name, runs in got.items():
        for what in ("engine", "detector"):
            if runs[what + " micropython"] != runs[what + " cpython"]:
                print(f"{name}: the {what} reports differently under MicroPython and CPython")
                return 1
    lines = sum(len(v) for runs in got.values() for v in runs.values())
    events = sum(ln.startswith(("E ", "on,", "off,")) for runs in got.values()
                 for v in runs.values() for ln in v)
    if args.record:
        args.record.write_text(json.dumps(got))
        print(f"recorded {len(names)} recordings, {lines} lines ({events} events)")
        return 0
    want = json.loads(args.check.read_text())
    if sorted(want) != names:
        print(f"recordings differ: recorded {sorted(want)}, now {names}")
        return 1
    for name in names:
        for run_name, lines_now in got[name].items():
            before = want[name][run_name]
            if lines_now != before:
                i = next((k for k, (a, b) in enumerate(zip(before, lines_now, strict=False))
                          if a != b), min(len(before), len(lines_now)))
                print(f"{name} {run_name}: line {i} was {before[i:i + 1]}, "
                      f"now {lines_now[i:i + 1]}")
                return 1
    print(f"identical: {len(names)} recordings x 4 runs (engine and detector, MicroPython "
          f"and CPython), {lines} lines ({events} events)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
