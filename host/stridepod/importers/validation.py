"""The one set of range checks every importer applies (CSV, FIT, TCX, GPX, service exports).

A value outside its range cannot be a measurement of a person (a 66,667-minute run, 720 h
of sleep, a resting heart rate of 254 bpm, a cadence of 508 steps/min). The stridepod CSV
formats, which the runner writes by hand, refuse the whole file on such a value
(`csvfiles`); files that devices and services write keep their good records: the record whose
date or duration is impossible is refused, an impossible optional value is dropped, and
either is reported with file and record (`parsed.Parsed`). Nothing out of range is stored.

Units are those of the store's columns: minutes, km, bpm, ms, hours, steps/min, g, s/km."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from stridepod.recovery.model import WELLNESS_SIGNALS, Run, WellnessDay


@dataclass(frozen=True)
class Range:
    lo: float
    hi: float
    unit: str

    def holds(self, value: float) -> bool:
        return not (math.isnan(value) or math.isinf(value)) and self.lo <= value <= self.hi

    def describe(self) -> str:
        return f"{_num(self.lo)}..{_num(self.hi)}" + (f" {self.unit}" if self.unit else "")


# Bounds of what a body can do, wide enough for an ultra (48 h), an elite's resting heart
# (~28 bpm) or a young athlete's nightly rMSSD (~250 ms), narrow enough to catch unit mix-ups.
RANGES: dict[str, Range] = {
    # runs
    "duration_min": Range(0.1, 48 * 60, "min"),
    "distance_km": Range(0, 500, "km"),
    "rpe": Range(0, 10, ""),
    "avg_hr": Range(25, 250, "bpm"),
    "max_hr": Range(25, 250, "bpm"),
    "steps": Range(0, 500_000, "steps"),
    "cadence_spm": Range(60, 260, "steps/min"),
    "impact_g_mean": Range(0, 50, "g"),
    "impact_g_peak": Range(0, 50, "g"),
    "contact_ms": Range(0, 2000, "ms"),
    "strike_heel": Range(0, 1, ""),
    "strike_mid": Range(0, 1, ""),
    "strike_fore": Range(0, 1, ""),
    "asymmetry_pct": Range(0, 100, "%"),
    "pace_s_per_km": Range(60, 3600, "s/km"),
    # mornings
    "resting_hr": Range(25, 130, "bpm"),
    "rmssd_ms": Range(1, 500, "ms"),
    "sleep_h": Range(0, 24, "h"),
    # pain log
    "during": Range(0, 10, ""),
    "next_morning": Range(0, 10, ""),
}
REQUIRED_RUN_FIELDS = ("duration_min",)


def _num(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.0f}"


def problem(field: str, value: float | None) -> str | None:
    """Why `value` cannot be stored as `field`, or None when it can (or is not measured)."""
    if value is None or field not in RANGES:
        return None
    limits = RANGES[field]
    if limits.holds(float(value)):
        return None
    return f"{field} {_num(float(value))} is outside {limits.describe()}"


def check_run(run: Run) -> tuple[Run | None, list[str]]:
    """The run with every impossible optional value dropped, or None when its duration is
    impossible; and one message per problem."""
    messages: list[str] = []
    dropped: dict[str, Any] = {}
    for f in dataclasses.fields(Run):
        why = problem(f.name, getattr(run, f.name))
        if why is None:
            continue
        if f.name in REQUIRED_RUN_FIELDS:
            return None, [f"{why}: run refused"]
        messages.append(f"{why}: value not stored")
        dropped[f.name] = None
    if run.avg_hr is not None and run.max_hr is not None and run.avg_hr > run.max_hr \
            and "avg_hr" not in dropped and "max_hr" not in dropped:
        messages.append(f"avg_hr {_num(run.avg_hr)} is above max_hr {_num(run.max_hr)}: both not stored")
        dropped.update(avg_hr=None, max_hr=None)
    return (dataclasses.replace(run, **dropped) if dropped else run), messages


def check_wellness(day: WellnessDay) -> tuple[WellnessDay | None, list[str]]:
    """The morning with every impossible value dropped, or None when nothing measured is
    left; and one message per problem."""
    messages: list[str] = []
    dropped: dict[str, Any] = {}
    for name in WELLNESS_SIGNALS:
        why = problem(name, getattr(day, name))
        if why is not None:
            messages.append(f"{why}: value not stored")
            dropped[name] = None
    kept = dataclasses.replace(day, **dropped) if dropped else day
    if all(getattr(kept, name) is None for name in WELLNESS_SIGNALS):
        return None, messages
    return kept, messages
