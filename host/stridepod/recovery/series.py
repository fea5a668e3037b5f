"""Input hygiene: order, exact duplicates and repeated imports must not change any result.
Everything downstream works on day-indexed numpy arrays (NaN = no value that day)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from stridepod.recovery.model import WELLNESS_SIGNALS, PainEntry, PlannedSession, Run, WellnessDay

FILE_SOURCES = ("csv:", "fit:")  # importer provenance "csv:<file>": the file is not the device


def device_of(source: str) -> str:
    """The device behind a source: files imported without a named device count as one."""
    for prefix in FILE_SOURCES:
        if source.startswith(prefix):
            return prefix[:-1]
    return source


def field_by_day(days: Iterable[WellnessDay], attr: str) -> dict[dt.date, tuple[float, str]]:
    """One (value, device) per date for one field. Several devices on a date: the device that
    gave this field on the most dates wins (ties by name), so a strap used now and then does
    not keep switching the baseline; one device's repeated values: median of the distinct
    ones. Neither order nor repeated imports change the result."""
    per_day: dict[dt.date, dict[str, set[float]]] = defaultdict(lambda: defaultdict(set))
    for d in days:
        value = getattr(d, attr)
        if value is not None:
            per_day[d.date][device_of(d.source)].add(float(value))
    dates_per_source = Counter(src for by_src in per_day.values() for src in by_src)
    out = {}
    for date, by_src in per_day.items():
        src = min(by_src, key=lambda s: (-dates_per_source[s], s))
        out[date] = (statistics.median(sorted(by_src[src])), src)
    return out




def merge_wellness(days: Iterable[WellnessDay]) -> list[WellnessDay]:
    """One record per date, each field chosen as in `field_by_day`."""
    days = list(days)
    fields = {attr: field_by_day(days, attr) for attr in WELLNESS_SIGNALS}
    dates = sorted(set().union(*fields.values()))
    merged = []
    for date in dates:
        chosen = {attr: fields[attr].get(date) for attr in WELLNESS_SIGNALS}
        sources = sorted({c[1] for c in chosen.values() if c is not None and c[1]})
        merged.append(WellnessDay(date, **{a: (c[0] if c else None) for a, c in chosen.items()},
                                  source="+".join(sources)))
    return merged


def _run_key(run: Run) -> tuple:
    # the same run imported from the pod and from a watch file: same day, same minute count,
    # same distance to 100 m (or no distance on one side)
    return (run.date, round(run.duration_min))


RUN_FIELDS = tuple(f.name for f in dataclasses.fields(Run))


def merge_runs(runs: Iterable[Run]) -> list[Run]:
    """Exact duplicates collapse; records of the same run from different sources merge
    field by field (first non-None in source order), gait fields from whichever has them."""
    groups: dict[tuple, list[Run]] = defaultdict(list)
    for run in set(runs):
        groups[_run_key(run)].append(run)
    merged = []
    for key in sorted(groups):
        group = groups[key]
        if len(group) == 1:
            merged.append(group[0])
            continue
        group.sort(key=lambda r: (r.source, repr(r)))
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
            values: dict[str, Any] = {}  # field name -> value, one type per field
            for name in RUN_FIELDS:
                if name == "source":
                    values[name] = "+".join(sorted({r.source for r in cluster if r.source}))
                    continue
                present = [getattr(r, name) for r in cluster if getattr(r, name) not in (None, "")]
                values[name] = present[0] if present else getattr(cluster[0], name)
            merged.append(Run(**values))
    # a total order: runs left apart differ in day, minutes or distance
    merged.sort(key=lambda r: (r.date, r.duration_min, -1.0 if r.distance_km is None else r.distance_km, r.source))
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


def rolling_sum(x: np.ndarray, window: int, starts: np.ndarray | None = None) -> np.ndarray:
    """Sum over [t-window+1, t]; days before the start count as 0. `starts[t]`, when given,
    is the first index day t may look back to (a baseline restarted there)."""
    c = np.concatenate(([0.0], np.cumsum(x)))
    first = np.maximum(np.arange(1, len(x) + 1) - window, 0)
    if starts is not None:
        first = np.maximum(first, starts)
    return c[1:] - c[first]


def rolling_stats(
    x: np.ndarray, window: int, starts: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(count, mean, population SD) of the non-NaN values in [max(t-window+1, starts[t]), t]."""
    valid = ~np.isnan(x)
    v = np.where(valid, x, 0.0)
    n = rolling_sum(valid.astype(float), window, starts)
    s = rolling_sum(v, window, starts)
    ss = rolling_sum(v * v, window, starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, s / n, np.nan)
        var = np.where(n > 0, ss / n - mean * mean, np.nan)
    sd = np.sqrt(np.clip(var, 0.0, None))
    return n.round().astype(int), mean, sd
