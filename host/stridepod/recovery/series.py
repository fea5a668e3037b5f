"""Input hygiene: order, exact duplicates and repeated imports must not change any result.
Everything downstream works on day-indexed numpy arrays (NaN = no value that day)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from stridepod.recovery.model import PainEntry, PlannedSession, Run, WellnessDay


def _median_or_none(values: Iterable[float | None]) -> float | None:
    distinct = sorted({float(v) for v in values if v is not None})
    return statistics.median(distinct) if distinct else None


def merge_wellness(days: Iterable[WellnessDay]) -> list[WellnessDay]:
    """One record per date. Conflicting values from several sources: median of the
    distinct values, so the result depends neither on order nor on repeated imports."""
    by_date: dict[dt.date, list[WellnessDay]] = defaultdict(list)
    for day in days:
        by_date[day.date].append(day)
    merged = []
    for date in sorted(by_date):
        group = by_date[date]
        merged.append(
            WellnessDay(
                date=date,
                resting_hr=_median_or_none(d.resting_hr for d in group),
                rmssd_ms=_median_or_none(d.rmssd_ms for d in group),
                sleep_h=_median_or_none(d.sleep_h for d in group),
                source="+".join(sorted({d.source for d in group if d.source})),
            )
        )
    return merged


def _run_key(run: Run) -> tuple:
    # the same run imported from the pod and from a watch file: same day, same minute count,
    # same distance to 100 m (or no distance on one side)
    return (run.date, round(run.duration_min))


def merge_runs(runs: Iterable[Run]) -> list[Run]:
    """Exact duplicates collapse; records of the same run from different sources merge
    field by field (first non-None in source order), gait fields from whichever has them."""
    groups: dict[tuple, list[Run]] = defaultdict(list)
    for run in set(runs):
        groups[_run_key(run)].append(run)
    merged = []
    for key in sorted(groups):
        group = sorted(groups[key], key=lambda r: (r.source, repr(r)))
        clusters: list[list[Run]] = []
        for run in group:
            for cluster in clusters:
                a, b = cluster[0].distance_km, run.distance_km
                if a is None or b is None or abs(a - b) <= 0.1 + 0.02 * max(a, b):
                    cluster.append(run)
                    break
            else:
                clusters.append([run])
        for cluster in clusters:
            values = {}
            for f in dataclasses.fields(Run):
                if f.name == "source":
                    values[f.name] = "+".join(sorted({r.source for r in cluster if r.source}))
                    continue
                present = [getattr(r, f.name) for r in cluster if getattr(r, f.name) not in (None, "")]
                values[f.name] = present[0] if present else getattr(cluster[0], f.name)
            merged.append(Run(**values))
    merged.sort(key=lambda r: (r.date, r.duration_min, repr(r)))
    return merged


def merge_pain(entries: Iterable[PainEntry]) -> list[PainEntry]:
    """One entry per (date, site); the worse value wins when several were logged."""
    by_key: dict[tuple, list[PainEntry]] = defaultdict(list)
    for e in entries:
        by_key[(e.date, e.site.strip().lower())].append(e)

    def worst(vals):
        present = [v for v in vals if v is not None]
        return max(present) if present else None

    return [
        PainEntry(date, site, worst(e.during for e in g), worst(e.next_morning for e in g))
        for (date, site), g in sorted(by_key.items())
    ]


def merge_plan(sessions: Iterable[PlannedSession]) -> list[PlannedSession]:
    return sorted(set(sessions), key=lambda s: (s.date, s.kind, repr(s)))


@dataclasses.dataclass
class DailyGrid:
    """Day-indexed arrays from `start` to `end` inclusive."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def index(self, date: dt.date) -> int:
        return (date - self.start).days

    def date(self, i: int) -> dt.date:
        return self.start + dt.timedelta(days=int(i))

    def nan_array(self) -> np.ndarray:
        return np.full(self.days, np.nan)


def grid_for(
    today: dt.date, wellness: list[WellnessDay], runs: list[Run], pain: list[PainEntry]
) -> DailyGrid:
    dates = [d.date for d in wellness] + [r.date for r in runs] + [p.date for p in pain]
    past = [d for d in dates if d <= today]
    return DailyGrid(start=min(past, default=today), end=today)


def rolling_sum(x: np.ndarray, window: int) -> np.ndarray:
    """Sum over [t-window+1, t]; days before the start count as 0."""
    c = np.concatenate(([0.0], np.cumsum(x)))
    first = np.maximum(np.arange(1, len(x) + 1) - window, 0)
    return c[1:] - c[first]


def rolling_stats(x: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(count, mean, population SD) of the non-NaN values in [t-window+1, t]."""
    valid = ~np.isnan(x)
    v = np.where(valid, x, 0.0)
    n = rolling_sum(valid.astype(float), window)
    s = rolling_sum(v, window)
    ss = rolling_sum(v * v, window)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, s / n, np.nan)
        var = np.where(n > 0, ss / n - mean * mean, np.nan)
    sd = np.sqrt(np.clip(var, 0.0, None))
    return n.round().astype(int), mean, sd
