"""Service CSV exports described as data: which columns hold the date, resting HR, rMSSD and
sleep of a morning, or the start, type, duration, distance, heart rate and cadence of an
activity, in which unit. One reader (`read_wellness`, `read_activities`) serves them all.

Each format names what it is based on (the service's published field list or real export
headers); tests build files shaped like those."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from stridepod.importers.parsed import Parsed
from stridepod.importers.services import cells
from stridepod.recovery.model import Run, WellnessDay

Convert = Callable[[str], float | None]


def seconds_to_hours(text: str) -> float | None:
    value = cells.number(text)
    return None if value is None else value / 3600.0


def duration_to_hours(text: str) -> float | None:
    value = cells.duration_s(text)
    return None if value is None else value / 3600.0


@dataclass(frozen=True)
class WellnessFormat:
    name: str
    based_on: str
    signature: tuple[str, ...]  # columns that together identify the format
    date: tuple[str, ...]
    resting_hr: tuple[str, ...] = ()
    rmssd_ms: tuple[str, ...] = ()
    sleep: tuple[str, ...] = ()
    sleep_h: Convert = cells.number  # the sleep cell in hours

    def matches(self, header: list[str]) -> bool:
        return cells.has(header, *self.signature)


@dataclass(frozen=True)
class ActivityFormat:
    name: str
    based_on: str
    signature: tuple[str, ...]
    start: tuple[str, ...]
    sport: tuple[str, ...]
    duration_s: tuple[str, ...]  # first non-empty one wins (timer/moving time before elapsed)
    distance_km: Callable[[float], float]  # from the distance cell's unit
    distance: tuple[str, ...] = ()
    avg_hr: tuple[str, ...] = ()
    max_hr: tuple[str, ...] = ()
    cadence: tuple[str, ...] = ()
    rpe: tuple[str, ...] = ()
    run_words: tuple[str, ...] = ("run",)
    walk_words: tuple[str, ...] = ("walk", "hike", "hiking")

    def matches(self, header: list[str]) -> bool:
        return cells.has(header, *self.signature)

    def kind_of(self, sport: str) -> str | None:
        """"" for a run, "walk_run" for a walk or hike, None for anything else."""
        lowered = sport.lower()
        if any(w in lowered for w in self.walk_words):
            return "walk_run"
        if any(w in lowered for w in self.run_words):
            return ""
        return None


def _cell(row: dict[str, str], column: str | None) -> str:
    return row.get(column, "") if column else ""


def read_wellness(fmt: WellnessFormat, path: Path) -> Parsed:
    table = cells.Table(path)
    out = Parsed(fmt.name)
    cols: dict[str, str | None] = {}
    for row in table.rows():
        if not cols:
            cols = {f: cells.find(table.header, *getattr(fmt, f))
                    for f in ("date", "resting_hr", "rmssd_ms", "sleep")}
        try:
            when = cells.when(_cell(row, cols["date"]))
            if when is None:
                raise ValueError("the date is empty")
            day = WellnessDay(when.date(), cells.number(_cell(row, cols["resting_hr"])),
                              cells.number(_cell(row, cols["rmssd_ms"])),
                              fmt.sleep_h(_cell(row, cols["sleep"])) if cols["sleep"] else None,
                              f"{fmt.name}:{path.name}")
        except ValueError as exc:
            out.flags.append(f"{table.where}: {exc}: row skipped")
            continue
        if day.resting_hr is None and day.rmssd_ms is None and day.sleep_h is None:
            continue
        out.add_day(table.where, day)
    _note_ignored(out, table.header, list(cols.values()))
    return out


def read_activities(fmt: ActivityFormat, path: Path) -> Parsed:
    table = cells.Table(path)
    out = Parsed(fmt.name)
    cols: dict[str, list[str | None]] = {}
    others: dict[str, int] = {}
    for row in table.rows():
        if not cols:
            cols = {f: [cells.find(table.header, c) for c in getattr(fmt, f)]
                    for f in ("start", "sport", "duration_s", "distance", "avg_hr", "max_hr", "cadence", "rpe")}
        sport = next((row.get(c, "") for c in cols["sport"] if c and row.get(c)), "")
        kind = fmt.kind_of(sport)
        if kind is None:
            others[sport or "untyped"] = others.get(sport or "untyped", 0) + 1
            continue
        try:
            run = _activity(fmt, row, cols, kind, f"{fmt.name}:{path.name}")
        except ValueError as exc:
            out.flags.append(f"{table.where}: {exc}: row skipped")
            continue
        out.add_run(table.where, run)
    if others:
        out.notes.append("not runs or walks, skipped: "
                         + ", ".join(f"{n} {sport}" for sport, n in sorted(others.items())))
    _note_ignored(out, table.header, [c for cs in cols.values() for c in cs])
    return out


def _first_number(row: dict[str, str], columns: list[str | None], convert: Convert = cells.number) -> float | None:
    for c in columns:
        value = convert(_cell(row, c))
        if value is not None:
            return value
    return None


def _activity(fmt: ActivityFormat, row: dict[str, str], cols: dict[str, list[str | None]],
              kind: str, source: str) -> Run:
    start = next((cells.when(row[c]) for c in cols["start"] if c and row.get(c)), None)
    seconds = _first_number(row, cols["duration_s"], cells.duration_s)
    if start is None or not seconds:
        raise ValueError("no start time or duration")
    distance = _first_number(row, cols["distance"])
    cadence = _first_number(row, cols["cadence"])
    return Run(
        date=start.date(), start=start, duration_min=seconds / 60.0,
        distance_km=fmt.distance_km(distance) if distance else None,
        avg_hr=_first_number(row, cols["avg_hr"]), max_hr=_first_number(row, cols["max_hr"]),
        # walking cadence is steps/min as given; a run's may be strides/min (steps_per_min)
        cadence_spm=cadence if kind == "walk_run" else cells.steps_per_min(cadence),
        rpe=_first_number(row, cols["rpe"]), source=source, kind=kind,
    )


def _note_ignored(out: Parsed, header: list[str], used: list[str | None]) -> None:
    unused = cells.ignored(header, used)
    if unused:
        out.notes.append(f"columns not used: {', '.join(unused)}")
