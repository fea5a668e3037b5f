"""The store's contents as the recovery model's inputs (`stridepod.recovery.model`)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from stridepod.recovery import Assessment, Config, assess
from stridepod.recovery.model import (
    WELLNESS_SIGNALS,
    Goal,
    History,
    PainEntry,
    PlannedSession,
    Run,
    WellnessDay,
)
from stridepod.store.database import RUNS, WELLNESS, Store


def _build(cls, row: dict, **renamed):
    """A model dataclass from a store row: same names, dates parsed, unknown keys dropped."""
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in row.items() if k in names and v is not None}
    values.update(renamed)
    values["date"] = dt.date.fromisoformat(row["date"])
    if "start" in values:  # runs: the local start time, stored as ISO text
        values["start"] = dt.datetime.fromisoformat(values["start"])
    return cls(**values)


def load_history(store: Store, as_of: dt.date, lookback_days: int | None = None) -> History:
    """What the model needs to judge `as_of`: the last `lookback_days` of history (all of
    it when None; the model looks back a few months, so years of data stay fast), the plan
    and the next goal race from that day on."""
    start = (as_of - dt.timedelta(days=lookback_days)).isoformat() if lookback_days else None
    goals = store.goals(since=as_of.isoformat())
    wellness, runs = store.wellness_days(start), store.runs(start)
    if start:
        wellness, runs = _with_latest_before(store, start, wellness, runs)
    return History(
        wellness=[_build(WellnessDay, r) for r in wellness],
        runs=[_build(Run, r) for r in runs],
        pain=[_build(PainEntry, r) for r in store.pain_entries(start)],
        plan=[_build(PlannedSession, r, back_to_back=bool(r["back_to_back"]))
              for r in store.planned_sessions(start)],
        goal=_build(Goal, goals[0]) if goals else None,
    )


def _with_latest_before(store: Store, start: str, wellness: list[dict],
                        runs: list[dict]) -> tuple[list[dict], list[dict]]:
    """Where the window from `start` holds no value of a signal (or no run), the latest one
    before it: the model judges nothing on it (it is older than any window), but can say
    "no HRV since 2 September 2023" instead of "no HRV yet"."""
    extra_wellness = []
    for column in WELLNESS_SIGNALS:
        if not any(row[column] is not None for row in wellness):
            older = store.latest_before(WELLNESS, start, column)
            if older:
                extra_wellness.append({**dict.fromkeys(WELLNESS_SIGNALS), "date": older["date"],
                                       "source": older["source"], column: older[column]})
    older_run = None if runs else store.latest_before(RUNS, start, "date")
    return extra_wellness + wellness, ([older_run] if older_run else []) + runs


# The model's longest look-back is the 60-day baseline; fitness (CTL, 42-day time constant)
# needs about a year to settle to within 0.02 % of the full-history value (e^(-365/42)).
LOOKBACK_DAYS = 365


def assess_store(store: Store, as_of: dt.date, config: Config | None = None) -> Assessment:
    """The recovery model's verdict and plan for `as_of`, from what the store holds."""
    return assess(load_history(store, as_of, LOOKBACK_DAYS), as_of, config)
