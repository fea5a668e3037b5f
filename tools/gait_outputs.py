"""Every output of the firmware gait engine on every recorded dump, recorded once and
checked after a change: a speed-up must give the same events on every dump.

For each recording under ../shared/datasets/dumps (all families), quantised exactly as the
pod's sensors deliver it, the engine's events (strike, toe-off with their times, impact,
strike pattern, contact time) in the order it emits them and its window summaries are
collected under CPython (the host replay) and under the MicroPython unix port(s)
(tests/firmware/gait_replay.py: viper and native code active, heap locked per sample).
Both must agree; `check` then compares them with a file `record` wrote before.

    .venv/bin/python tools/gait_outputs.py record OUT.json [--unix32] [--only NAME...]
    .venv/bin/python tools/gait_outputs.py check OUT.json [--unix32] [--only NAME...]

Prints one line per dump and the totals (dumps, events, windows compared); exit code 1
when anything differs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from array import array
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "host")]

from gait_replay_case import DUMPS, GAIT_REPLAY, UNIX64, write_case  # noqa: E402
from podfw.gait.engine import GaitEngine  # noqa: E402
from podfw.gait.summary import FIELDS  # noqa: E402
from stridepod.recordings import dumpfile  # noqa: E402
from stridepod.recordings.replay import quantise_recording  # noqa: E402


def dump_names() -> list[str]:
    return sorted(p.stem for p in DUMPS.glob("*.csv"))


def cpython_lines(q) -> list[str]:
    """The engine under CPython: gait_replay.py's output lines, in emission order."""
    eng = GaitEngine(q.config)
    rec = array("i", [0, 0, 0, 0])
    out: list[str] = []

    def drain() -> None:
        while eng.events.pop_into(rec):
            out.append("E {} {} {} {}".format(*rec))
        while (w := eng.poll_window()) is not None:
            out.append("W " + " ".join(str(getattr(w, f)) for f in FIELDS))

    imu = q.imu.tolist() if q.imu is not None else None
    scans = [array("i", r) for r in q.pressure.tolist()] if q.pressure is not None else None
    n = len(imu) if imu is not None else len(scans or [])
    for i in range(n):
        if imu is not None:
            eng.push_imu(*imu[i])
        if scans is not None:
            eng.push_pressure(scans[i])
        if eng.events.size or eng.ready_count:
            drain()
    last = eng.finish()
    if last is not None:
        out.append("W " + " ".join(str(getattr(last, f)) for f in FIELDS))
    drain()
    return out


def micropython_lines(binary: Path, case: Path) -> list[str]:
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(
        [str(ROOT / "firmware"), str(ROOT / "tests" / "firmware"), ".frozen"]))
    proc = subprocess.run([str(binary), "-X", "heapsize=64M", str(GAIT_REPLAY), str(case)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=3600)
    lines = proc.stdout.splitlines()
    if proc.returncode or not lines or lines[-1] != "DONE":
        raise SystemExit(f"{binary} {case}: " + proc.stdout[-2000:] + proc.stderr[-2000:])
    return lines[:-1]


def outputs(name: str, binaries: dict[str, Path]) -> dict[str, list[str]]:
    q = quantise_recording(dumpfile.load(DUMPS / name))
    got = {"cpython": cpython_lines(q)}
    with tempfile.TemporaryDirectory() as tmp:
        case = write_case(q, Path(tmp))
        for label, binary in binaries.items():
            got[label] = micropython_lines(binary, case)
    return got


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("record", "check"))
    ap.add_argument("file", type=Path)
    ap.add_argument("--unix32", action="store_true", help="also the 32-bit unix port")
    ap.add_argument("--only", nargs="*", help="these dumps only")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    binaries = {"unix64": UNIX64}
    if args.unix32:
        from stridepod.devtools import interpreters

        binaries["unix32"] = interpreters.installed().unix32
    names = args.only or dump_names()
    recorded = json.loads(args.file.read_text()) if args.mode == "check" else {}
    bad = events = windows = 0
    result = {}
    with ThreadPoolExecutor(args.jobs) as pool:
        for name, got in zip(names, pool.map(lambda n: outputs(n, binaries), names), strict=True):
            lines = got["cpython"]
            differ = [k for k, v in got.items() if v != lines]
            if args.mode == "check" and recorded.get(name) != lines:
                differ.append("recorded")
            bad += bool(differ)
            ne = sum(ln.startswith("E ") for ln in lines)
            events += ne
            windows += len(lines) - ne
            result[name] = lines
            print(f"{name}: {ne} events, {len(lines) - ne} windows"
                  + (" DIFFER: " + ", ".join(differ) if differ else " same"), flush=True)
    if args.mode == "record":
        args.file.write_text(json.dumps(result))
    print(f"{len(names)} dumps, {events} events and {windows} windows compared "
          f"(cpython, {', '.join(binaries)}{', recorded' if args.mode == 'check' else ''}): "
          + (f"{bad} differ" if bad else "all identical"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
