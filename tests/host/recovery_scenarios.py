"""Realistic day-by-day histories for the recovery tests (seeded, so deterministic)."""

import datetime as dt
import math
import random

from stridepod.recovery import Run, WellnessDay

TODAY = dt.date(2026, 11, 22)  # a Sunday


def day(ago: int) -> dt.date:
    return TODAY - dt.timedelta(days=ago)


def wellness(days=90, rhr=52.0, rmssd=65.0, sleep=7.8, seed=1, edits=None):
    """`days` mornings ending today with day-to-day noise like a wrist device's; `edits`
    maps days-ago -> dict of field overrides (None removes the value)."""
    rng = random.Random(seed)
    out = []
    for ago in range(days - 1, -1, -1):
        values = {
            "resting_hr": round(rhr + rng.gauss(0, 1.5), 1),
            "rmssd_ms": round(rmssd * math.exp(rng.gauss(0, 0.1)), 1),
            "sleep_h": round(sleep + rng.gauss(0, 0.35), 2),
        }
        values.update((edits or {}).get(ago, {}))
        out.append(WellnessDay(day(ago), source="watch", **values))
    return out


def training(weeks=8, seed=2, minutes=(45, 60, 45, 90), weekdays=(1, 3, 5, 6), quality_weekday=1,
             start_ago=None, pace=330.0, hr=142.0, **gait):
    """Runs on fixed weekdays for `weeks` weeks ending today (or `start_ago` days ago)."""
    rng = random.Random(seed)
    first = (start_ago if start_ago is not None else 7 * weeks - 1)
    runs = []
    for ago in range(first, first - 7 * weeks, -1):
        if ago < 0:
            break
        d = day(ago)
        if d.weekday() not in weekdays:
            continue
        m = minutes[weekdays.index(d.weekday())]
        quality = d.weekday() == quality_weekday
        runs.append(Run(
            d, float(m), distance_km=round(m * 60 / pace, 2), rpe=7.0 if quality else 4.0,
            avg_hr=round(hr + (20 if quality else 0) + rng.gauss(0, 2), 1), max_hr=186.0,
            pace_s_per_km=pace - (40 if quality else 0) + rng.gauss(0, 4), source="pod",
            kind="quality" if quality else ("long" if m >= 80 else ""),
            **{k: (v(rng) if callable(v) else v) for k, v in gait.items()},
        ))
    return runs
