"""Plain dataclasses the recovery model works on. No storage inside: the app converts its
store (or imported files) into these, calls `assess`, and renders the result."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

SESSION_KINDS = ("rest", "easy", "long", "quality", "strength", "race", "walk_run")
HARD_KINDS = ("quality", "race")
KIND_WORDS = {"walk_run": "walk-run"}  # a kind as a runner reads it, where the name is not plain


def kind_words(kind: str) -> str:
    return KIND_WORDS.get(kind, kind)


@dataclass(frozen=True)
class WellnessDay:
    """One morning's signals; None where not measured."""

    date: dt.date
    resting_hr: float | None = None  # bpm
    rmssd_ms: float | None = None  # nightly or morning rMSSD
    sleep_h: float | None = None  # sleep duration of the night before
    source: str = ""


WELLNESS_SIGNALS = ("resting_hr", "rmssd_ms", "sleep_h")  # WellnessDay's measured fields


@dataclass(frozen=True)
class Run:
    """One run, from the pod or an imported file. Gait fields are None when unknown."""

    date: dt.date
    duration_min: float
    distance_km: float | None = None
    rpe: float | None = None  # session RPE, CR-10 (1-10)
    avg_hr: float | None = None
    max_hr: float | None = None
    steps: int | None = None
    cadence_spm: float | None = None
    impact_g_mean: float | None = None
    impact_g_peak: float | None = None
    contact_ms: float | None = None
    strike_heel: float | None = None  # shares 0..1 of strikes
    strike_mid: float | None = None
    strike_fore: float | None = None
    asymmetry_pct: float | None = None  # left/right difference, % of the mean
    pace_s_per_km: float | None = None
    source: str = ""
    kind: str = ""  # "quality", "long", "race", ... when known (plan, import); "" = unknown
    start: dt.datetime | None = None  # local start time (no time zone) when the source gives it

    @property
    def pace(self) -> float | None:
        if self.pace_s_per_km:
            return self.pace_s_per_km
        if self.distance_km and self.distance_km > 0 and self.duration_min > 0:
            return self.duration_min * 60.0 / self.distance_km
        return None


@dataclass(frozen=True)
class PainEntry:
    """Pain 0-10 at one site, during the run of that day and the next morning."""

    date: dt.date
    site: str
    during: float | None = None
    next_morning: float | None = None


@dataclass(frozen=True)
class PlannedSession:
    date: dt.date
    kind: str  # one of SESSION_KINDS
    duration_min: float | None = None
    distance_km: float | None = None
    intensity: str = ""  # e.g. "90% HRmax", "5:10/km", "walk 1 min / run 2 min"
    back_to_back: bool = False  # the plan explicitly allows a hard day right after another

    @property
    def is_hard(self) -> bool:
        return self.kind in HARD_KINDS


@dataclass(frozen=True)
class Goal:
    date: dt.date
    name: str
    distance_km: float | None = None


@dataclass
class History:
    """Everything the model looks at. Order and exact duplicates do not matter."""

    wellness: list[WellnessDay] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    pain: list[PainEntry] = field(default_factory=list)
    plan: list[PlannedSession] = field(default_factory=list)  # empty = stridepod proposes
    goal: Goal | None = None


@dataclass(frozen=True)
class Reason:
    """Why a verdict was reached or a plan changed."""

    rule: str  # stable id, e.g. "readiness.two_of_three"
    message: str  # one sentence with the numbers
    numbers: dict[str, Any] = field(default_factory=dict)
    baseline: str = ""  # what the numbers were compared with
    changed: str = ""  # what it changed ("" for a verdict that changes nothing)
    evidence: str = ""  # how good the evidence behind the rule is


def to_jsonable(value: Any) -> Any:
    """dataclasses, dates, tuples and NaN made JSON-ready (NaN -> None)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 4)
    if hasattr(value, "item"):  # numpy scalar
        return to_jsonable(value.item())
    return value
