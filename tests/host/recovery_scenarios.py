"""Realistic day-by-day histories for the recovery tests (seeded, so deterministic)."""

import dataclasses
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


WELLNESS_COLUMNS = ("date", "resting_hr", "rmssd_ms", "sleep_h", "source")
RUN_COLUMNS = ("date", "duration_min", "distance_km", "rpe", "avg_hr", "max_hr", "pace_s_per_km", "cadence_spm",
               "kind")


def _csv(path, columns, rows) -> None:
    lines = [",".join(columns)]
    for row in rows:
        lines.append(",".join("" if v is None else str(v) for v in row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_history(directory, wellness=(), runs=(), pain=(), plan=()) -> list:
    """The history as the documented CSV import files (docs/recovery.md: wellness, runs,
    pain log, plan) in `directory`; `pain` as (date, site, during, next_morning) and `plan` as
    (date, kind, duration_min, intensity) tuples. Returns the files written (none for an
    empty history)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for name, columns, rows in (
        ("wellness.csv", WELLNESS_COLUMNS,
         [(d.date, d.resting_hr, d.rmssd_ms, d.sleep_h, d.source) for d in wellness]),
        ("runs.csv", RUN_COLUMNS,
         [(r.date, r.duration_min, r.distance_km, r.rpe, r.avg_hr, r.max_hr, r.pace_s_per_km, r.cadence_spm,
           r.kind) for r in runs]),
        ("pain.csv", ("date", "site", "during", "next_morning"), list(pain)),
        ("plan.csv", ("date", "kind", "duration_min", "intensity"), list(plan)),
    ):
        if rows:
            _csv(directory / name, columns, rows)
            files.append(directory / name)
    return files


def _stale(days):
    return [dataclasses.replace(d, date=d.date - dt.timedelta(days=3 * 365)) for d in days]


def _ahead(days: int) -> dt.date:
    return TODAY + dt.timedelta(days=days)


def _after_a_step_back() -> dict:
    """Five weeks of training, a step-back week, then a plan with quality on two days in a
    row, a long-run jump and more volume than the rules allow; cadence that has dropped."""
    block = training(weeks=4, start_ago=41, cadence_spm=lambda rng: 174 + rng.gauss(0, 1))
    block += training(weeks=1, start_ago=13, cadence_spm=lambda rng: 166 + rng.gauss(0, 1))
    step_back = training(weeks=1, start_ago=6, minutes=(20, 30, 20, 45),
                         cadence_spm=lambda rng: 166 + rng.gauss(0, 1))
    plan = [(_ahead(2), "quality", 60, "6 x 4 min at 90% HRmax"), (_ahead(3), "quality", 50, "tempo"),
            (_ahead(5), "easy", 70, "conversational"), (_ahead(7), "long", 150, "easy pace")]
    return dict(wellness=wellness(), runs=block + step_back, plan=plan)


# name -> (history, rules that must speak in it)
HISTORIES = {
    "two signals drifting": (lambda: dict(
        wellness=wellness(edits={ago: {"rmssd_ms": 40.0, "resting_hr": 59.0} for ago in range(7)}),
        runs=training(weeks=8), pain=[(TODAY - dt.timedelta(days=2), "knee", 2, 1)]),
        {"readiness.two_of_three", "advice.knee_protocol"}),
    "step-back week due": (lambda: dict(wellness=wellness(), runs=training(weeks=6)), {"deload.week"}),
    "after a step-back": (_after_a_step_back, {"deload.hr_recheck", "block.spacing", "load.run_spike",
                                              "load.weekly_growth", "gait.cadence_drop"}),
    "back after a layoff": (lambda: dict(wellness=wellness(), runs=training(weeks=6, start_ago=70)),
                            {"return.layoff"}),
    "no runs, short sleeper": (lambda: dict(wellness=wellness(sleep=6.2)), {"advice.sleep_habit"}),
    "pain steps back": (lambda: dict(wellness=wellness(), runs=training(weeks=5),
                                     pain=[(TODAY - dt.timedelta(days=1), "shin", 6, 4)]), {"pain.gate"}),
    "three years old": (lambda: dict(wellness=_stale(wellness()), runs=training(weeks=8, start_ago=3 * 365)),
                        {"return.layoff"}),
    "nothing recorded": (lambda: dict(wellness=[]), {"return.layoff"}),
}
