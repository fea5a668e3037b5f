"""How long `assess` takes on 5 years of daily history (wellness every morning, 4-5 runs a
week with pod gait fields, a pain log and a supplied plan). Prints times, nothing else.

    .venv/bin/python tools/bench_recovery.py [years]
"""

from __future__ import annotations

import datetime as dt
import math
import random
import sys
import time

from stridepod.recovery import History, PainEntry, PlannedSession, Run, WellnessDay, assess
from stridepod.recovery.assess import prepare
from stridepod.recovery.config import Config

TODAY = dt.date(2026, 11, 22)


def history(years: float, seed: int = 7) -> History:
    rng = random.Random(seed)
    days = int(365 * years)
    wellness, runs, pain = [], [], []
    for ago in range(days, -1, -1):
        d = TODAY - dt.timedelta(days=ago)
        wellness.append(WellnessDay(d, 50 + rng.gauss(0, 2), 60 * math.exp(rng.gauss(0, 0.12)),
                                    7.5 + rng.gauss(0, 0.6), "bench"))
        week = ago // 7
        if d.weekday() in (1, 3, 5, 6) or (d.weekday() == 2 and week % 2):
            scale = 0.5 if week % 4 == 0 else 1.0  # a step-back week every 4
            minutes = scale * (90 if d.weekday() == 6 else 45 + rng.random() * 15)
            runs.append(Run(d, minutes, minutes / 5.5, rng.choice([None, 4.0, 7.0]), 140 + rng.gauss(0, 4), 184,
                            int(minutes * 170), 170 + rng.gauss(0, 2), 2.4, 8 + rng.gauss(0, 0.4), 245,
                            0.6, 0.3, 0.1, 2 + abs(rng.gauss(0, 0.5)), 330 + rng.gauss(0, 8), "pod",
                            kind="quality" if d.weekday() == 1 else ""))
        if rng.random() < 0.03:
            pain.append(PainEntry(d, "knee", rng.randint(0, 5), rng.randint(0, 4)))
    plan = [PlannedSession(TODAY + dt.timedelta(days=i), k, m)
            for i, (k, m) in enumerate([("easy", 45), ("quality", 50), ("easy", 40), ("rest", None),
                                        ("easy", 45), ("long", 95), ("strength", 30)], start=1)]
    return History(wellness, runs, pain, plan)


def main(argv: list[str]) -> int:
    years = float(argv[0]) if argv else 5.0
    h = history(years)
    assess(h, TODAY)  # warm-up: imports, numpy first calls
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        assess(h, TODAY)
        timings.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    prepare(h, TODAY, Config())
    prep = time.perf_counter() - t0
    best, median = min(timings), sorted(timings)[2]
    print(f"{years:g} years: {len(h.wellness)} mornings, {len(h.runs)} runs, {len(h.pain)} pain entries")
    print(f"assess: best {1000 * best:.1f} ms, median {1000 * median:.1f} ms of 5 "
          f"(merge + readiness series alone {1000 * prep:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
