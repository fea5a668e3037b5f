"""Benchmark: `stridepod today` and `stridepod plan` on a year of data.

Builds a store with 365 mornings, four runs a week with pod gait metrics, the pod records
behind them (5 s windows), a pain log and a plan, then times
  - the work each command does (load from SQLite + recovery model + rendering), in process,
  - the whole command as a user runs it (a new Python process, imports included).
Target (issue 6): under 0.3 s on a year of data.

    .venv/bin/python tools/bench_app.py [--runs N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

from stridepod.cli import main
from stridepod.store.database import Store

TODAY = dt.date(2026, 11, 22)
BUDGET_S = 0.3


def build_year(path: Path, seed: int = 3) -> dict[str, int]:
    rng = random.Random(seed)
    wellness, runs, records, pain = [], [], [], []
    seq = 0
    for ago in range(364, -1, -1):
        day = TODAY - dt.timedelta(days=ago)
        wellness.append({"date": day, "resting_hr": round(52 + rng.gauss(0, 1.5), 1),
                         "rmssd_ms": round(65 * math.exp(rng.gauss(0, 0.1)), 1),
                         "sleep_h": round(7.8 + rng.gauss(0, 0.4), 2), "source": "bench"})
        if day.weekday() not in (1, 3, 5, 6):
            continue
        minutes = {1: 45, 3: 50, 5: 40, 6: 85}[day.weekday()]
        windows = minutes * 12
        start_seq = seq
        for _ in range(windows):
            records.append({"seq": seq, "time_s": seq * 5, "duration_ms": 5000, "steps": 14,
                            "cadence_spm": 168, "impact_peak_cg": 900, "contact_ms": 245,
                            "flags": 0, "strike_heel": 5, "strike_mid": 2, "strike_fore": 0})
            seq += 1
        runs.append({"source_key": f"pod:bench:{start_seq}", "source": "pod",
                     "start": f"{day}T07:00:00", "date": day, "duration_min": minutes,
                     "distance_km": round(minutes / 5.5, 2), "rpe": 7 if day.weekday() == 1 else 4,
                     "avg_hr": 150, "max_hr": 186, "steps": 168 * minutes,
                     "cadence_spm": 168 + rng.gauss(0, 2), "impact_g_peak": 9 + rng.gauss(0, 0.4),
                     "contact_ms": 245 + rng.gauss(0, 5), "strike_heel": 0.7, "strike_mid": 0.3,
                     "strike_fore": 0.0, "kind": "quality" if day.weekday() == 1 else ""})
        if rng.random() < 0.1:
            pain.append({"date": day, "site": "knee", "during": 2, "next_morning": 1})
    plan = [{"date": TODAY + dt.timedelta(days=d), "kind": k, "duration_min": m}
            for d, k, m in ((2, "quality", 50), (4, "easy", 45), (7, "long", 90))]
    with Store.open(path) as store:
        store.add_wellness_days(wellness)
        store.add_runs(runs)
        store.add_pod_records("bench", records)
        store.add_pain_entries(pain)
        store.set_planned_sessions(plan)
    return {"mornings": len(wellness), "runs": len(runs), "pod records": len(records),
            "pain entries": len(pain)}


def in_process(db: Path, command: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        with redirect_stdout(io.StringIO()):
            main(["--db", str(db), command, "--date", TODAY.isoformat(), "--json"])
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def as_process(args: list[str], repeats: int, env: dict[str, str]) -> float:
    exe = Path(sys.executable).with_name("stridepod")
    subprocess.run([str(exe), *args], check=True, stdout=subprocess.DEVNULL, env=env)  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([str(exe), *args], check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def installed_env(pycache: Path) -> dict[str, str]:
    """The environment of an installed stridepod: its modules' bytecode is cached (pip
    compiles it; an editable install writes it on first use). PYTHONDONTWRITEBYTECODE, set
    in some CI and sandbox shells, would make every run compile stridepod's sources again;
    the cache goes to a scratch folder, not into the source tree."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="repeats per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "year.db"
        started = time.perf_counter()
        sizes = build_year(db)
        print(f"a year of data: {', '.join(f'{n} {k}' for k, n in sizes.items())} "
              f"({db.stat().st_size / 1e6:.1f} MB, built in {time.perf_counter() - started:.1f} s)")
        in_process(db, "today", 1)  # first call pays for the imports
        env = installed_env(Path(tmp) / "pycache")
        baseline = as_process(["--version"], args.runs, env)
        print(f"python start-up + stridepod imports (`stridepod --version`): {baseline:.3f} s "
              "(processes below: bytecode cached, as installed)")
        for command in ("today", "plan"):
            work = in_process(db, command, args.runs)
            total = as_process(["--db", str(db), command, "--date", TODAY.isoformat()],
                               args.runs, env)
            print(f"{command:6} work {work:.3f} s ({work / BUDGET_S:.0%} of the {BUDGET_S} s budget); "
                  f"whole command {total:.3f} s ({total / BUDGET_S:.1f}x the budget, "
                  f"{(total - baseline) / total:.0%} of it past start-up)")


if __name__ == "__main__":
    main_bench()
