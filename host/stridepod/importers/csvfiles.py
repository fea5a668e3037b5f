"""The documented CSV formats (docs/recovery.md): wellness, runs, pain log, RPE, plan.

Common rules: UTF-8, a header row, comma separated, column order free, unknown columns
ignored (and listed by the import), empty cells = not measured, dates as YYYY-MM-DD,
decimal point. Values are checked against the ranges every importer uses
(`validation.RANGES`); these files are written by hand, so a value outside its range
refuses the file with file:line, to be fixed and imported again. The same date twice in a
morning or pain file is reported and merged (the later row's values win); twice in a plan
it is an error (one session per day)."""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from stridepod.errors import StridepodError
from stridepod.importers.validation import RANGES
from stridepod.recovery.model import (
    SESSION_KINDS,
    Goal,
    PainEntry,
    PlannedSession,
    Run,
    WellnessDay,
)

KIND_ALIASES = {
    "strength & mobility": "strength", "strength and mobility": "strength", "mobility": "strength",
    "strength_mobility": "strength", "walk-run": "walk_run", "walk run": "walk_run",
    "intervals": "quality", "tempo": "quality", "threshold": "quality", "recovery": "easy",
}
TRUE_WORDS = {"1", "yes", "true", "y", "x"}


class _Rows:
    """Iterates a CSV file's rows, converting cells and naming file:line in every error."""

    def __init__(self, path: str | Path, required: tuple[str, ...]):
        self.path = Path(path)
        self.required = required
        self.line: int | str = 0  # CSV line number, or what names an entry in other formats
        self._seen: dict[object, int | str] = {}  # key (a date, ...) -> the line that gave it

    def __iter__(self) -> Iterator[dict[str, str]]:
        try:
            with self.path.open(newline="", encoding="utf-8-sig") as f:
                reader = csv.DictReader(f)
                header = [h.strip().lower() for h in (reader.fieldnames or [])]
                missing = [c for c in self.required if c not in header]
                if missing:
                    raise StridepodError(f"{self.path}: missing column(s) {', '.join(missing)}")
                reader.fieldnames = header
                for row in reader:
                    self.line = reader.line_num
                    cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
                    if any(cells.values()):
                        yield cells
        except OSError as exc:
            raise StridepodError(f"cannot read {self.path}: {exc.strerror}") from exc
        except (UnicodeDecodeError, csv.Error) as exc:
            raise StridepodError(f"{self.path}: not a readable CSV file ({exc})") from exc

    def error(self, message: str) -> StridepodError:
        return StridepodError(f"{self.path}:{self.line}: {message}")

    def date(self, row: dict[str, str], col: str = "date") -> dt.date:
        try:
            return dt.date.fromisoformat(row.get(col, ""))
        except ValueError:
            raise self.error(f"{col} {row.get(col)!r} is not a YYYY-MM-DD date") from None

    def number(self, row: dict[str, str], col: str, lo: float | None = None, hi: float | None = None) -> float | None:
        """The cell as a number, within lo..hi (default: the column's `validation.RANGES`)."""
        text = row.get(col, "")
        if text == "":
            return None
        try:
            value = float(text)
        except ValueError:
            raise self.error(f"{col} {text!r} is not a number") from None
        if lo is None and hi is None and col in RANGES:
            lo, hi = RANGES[col].lo, RANGES[col].hi
        if math.isnan(value) or math.isinf(value) or (lo is not None and value < lo) or (hi is not None and value > hi):
            raise self.error(f"{col} {text} is outside {_g(lo)}..{_g(hi)}"
                             + (f" {RANGES[col].unit}" if col in RANGES and RANGES[col].unit else ""))
        return value

    def first_line(self, key: object) -> int | str | None:
        """The line that gave `key` before this one, or None (and remembers this line)."""
        earlier = self._seen.get(key)
        if earlier is None:
            self._seen[key] = self.line
        return earlier

    def required_number(self, row, col, lo=None, hi=None) -> float:
        value = self.number(row, col, lo, hi)
        if value is None:
            raise self.error(f"{col} is empty")
        return value


def _g(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


# the columns each format reads; any other column is ignored (and listed by the import)
COLUMNS = {
    "wellness": ("date", "resting_hr", "rmssd_ms", "sleep_h", "source"),
    "runs": ("date", "duration_min", "distance_km", "rpe", "avg_hr", "max_hr", "steps", "cadence_spm",
             "impact_g_mean", "impact_g_peak", "contact_ms", "strike_heel", "strike_mid", "strike_fore",
             "asymmetry_pct", "pace_s_per_km", "kind", "source"),
    "rpe": ("date", "rpe", "duration_min"),
    "pain": ("date", "site", "during", "next_morning"),
    "plan": ("date", "kind", "duration_min", "distance_km", "intensity", "back_to_back", "goal"),
}


def read_wellness_csv(path: str | Path, notes: list[str] | None = None) -> list[WellnessDay]:
    """Columns: date, resting_hr (bpm), rmssd_ms, sleep_h; optional source naming the device
    or app (a change of device restarts the readiness baselines; without the column the
    source is `csv:<file name>`, all counted as one device). Values outside the ranges of
    `validation.RANGES` refuse the file; plausibility filtering is the model's job. A date
    given twice is merged (the later row's values win) and reported in `notes`."""
    rows = _Rows(path, ("date",))
    out: dict[dt.date, WellnessDay] = {}
    for row in rows:
        day = WellnessDay(
            date=rows.date(row),
            resting_hr=rows.number(row, "resting_hr"),
            rmssd_ms=rows.number(row, "rmssd_ms"),
            sleep_h=rows.number(row, "sleep_h"),
            source=row.get("source") or f"csv:{rows.path.name}",
        )
        earlier = rows.first_line(day.date)
        if earlier is not None:
            old = out[day.date]
            day = replace(day, **{k: getattr(old, k) for k in ("resting_hr", "rmssd_ms", "sleep_h")
                                  if getattr(day, k) is None})
            _note(notes, f"{rows.path}:{rows.line}: {day.date} is also on line {earlier}; "
                         "the values of both lines are merged, this line's win")
        out[day.date] = day
    return list(out.values())


def _note(notes: list[str] | None, message: str) -> None:
    if notes is not None:
        notes.append(message)


def read_runs_csv(path: str | Path) -> list[Run]:
    """Columns: date, duration_min; optional distance_km, rpe, avg_hr, max_hr, steps,
    cadence_spm, impact_g_mean, impact_g_peak, contact_ms, strike_heel, strike_mid,
    strike_fore (shares 0-1), asymmetry_pct, pace_s_per_km, kind, source."""
    rows = _Rows(path, ("date", "duration_min"))
    out = []
    for row in rows:
        steps = rows.number(row, "steps")
        kind = _kind(rows, row.get("kind", ""), allow_empty=True)
        out.append(Run(
            date=rows.date(row), duration_min=rows.required_number(row, "duration_min"),
            distance_km=rows.number(row, "distance_km"), rpe=rows.number(row, "rpe"),
            avg_hr=rows.number(row, "avg_hr"), max_hr=rows.number(row, "max_hr"),
            steps=None if steps is None else int(steps), cadence_spm=rows.number(row, "cadence_spm"),
            impact_g_mean=rows.number(row, "impact_g_mean"), impact_g_peak=rows.number(row, "impact_g_peak"),
            contact_ms=rows.number(row, "contact_ms"),
            strike_heel=rows.number(row, "strike_heel"), strike_mid=rows.number(row, "strike_mid"),
            strike_fore=rows.number(row, "strike_fore"), asymmetry_pct=rows.number(row, "asymmetry_pct"),
            pace_s_per_km=rows.number(row, "pace_s_per_km"),
            source=row.get("source") or f"csv:{rows.path.name}", kind=kind,
        ))
    return out


def read_pain_csv(path: str | Path, notes: list[str] | None = None) -> list[PainEntry]:
    """Columns: date, site (knee, shin, achilles, ...), during, next_morning (0-10). The same
    date and site twice is merged (the later row's values win) and reported in `notes`."""
    rows = _Rows(path, ("date", "site"))
    out: dict[tuple[dt.date, str], PainEntry] = {}
    for row in rows:
        if not row.get("site"):
            raise rows.error("site is empty")
        entry = PainEntry(rows.date(row), row["site"].lower(), rows.number(row, "during"),
                          rows.number(row, "next_morning"))
        if entry.during is None and entry.next_morning is None:
            raise rows.error("neither during nor next_morning is given")
        key = (entry.date, entry.site)
        earlier = rows.first_line(key)
        if earlier is not None:
            old = out[key]
            entry = PainEntry(entry.date, entry.site, _either(entry.during, old.during),
                              _either(entry.next_morning, old.next_morning))
            _note(notes, f"{rows.path}:{rows.line}: {entry.site} on {entry.date} is also on line "
                         f"{earlier}; the values of both lines are merged, this line's win")
        out[key] = entry
    return list(out.values())


def _either(new: float | None, old: float | None) -> float | None:
    return old if new is None else new


@dataclass(frozen=True)
class RpeEntry:
    date: dt.date
    rpe: float
    duration_min: float | None = None


def read_rpe_csv(path: str | Path) -> list[RpeEntry]:
    """Columns: date, rpe (1-10); optional duration_min to pick the run on a two-run day."""
    rows = _Rows(path, ("date", "rpe"))
    return [RpeEntry(rows.date(row), rows.required_number(row, "rpe", 1, 10), rows.number(row, "duration_min"))
            for row in rows]


def attach_rpe(runs: list[Run], entries: list[RpeEntry]) -> list[Run]:
    """Give each RPE entry to the run of its date (the closest in duration when there are
    several). Runs that already have an RPE keep it; entries without a run are ignored."""
    out = list(runs)
    for e in sorted(entries, key=lambda e: (e.date, e.duration_min or 0, e.rpe)):
        same_day = [i for i, r in enumerate(out) if r.date == e.date and r.rpe is None]
        if same_day:
            i = min(same_day, key=lambda i: (abs(out[i].duration_min - e.duration_min) if e.duration_min else 0, i))
            out[i] = replace(out[i], rpe=e.rpe)
    return out


@dataclass(frozen=True)
class PlanFile:
    sessions: list[PlannedSession]
    goal: Goal | None


def _line(where: int | str) -> str:
    return f"line {where}" if isinstance(where, int) else str(where)


def _kind(rows: _Rows, text: str, allow_empty: bool = False) -> str:
    kind = KIND_ALIASES.get(text.strip().lower(), text.strip().lower())
    if allow_empty and kind == "":
        return ""
    if kind not in SESSION_KINDS:
        raise rows.error(f"kind {text!r} is not one of {', '.join(SESSION_KINDS)}")
    return kind


def read_plan_csv(path: str | Path) -> PlanFile:
    """Columns: date, kind (rest, easy, long, quality, strength, race, walk_run; also
    'strength & mobility', 'intervals', ...), duration_min, distance_km, intensity (free
    text: "90% HRmax", "5:10/km"), back_to_back (yes = the plan wants a hard day right after
    another), goal (yes on the goal race row)."""
    return plan_from_rows(_Rows(path, ("date", "kind")))


def plan_from_rows(rows: _Rows) -> PlanFile:
    """The plan's sessions and goal race from rows of text cells (CSV or YAML)."""
    sessions, goals = [], []
    for row in rows:
        kind = _kind(rows, row.get("kind", ""))
        session = PlannedSession(
            rows.date(row), kind, rows.number(row, "duration_min"), rows.number(row, "distance_km"),
            row.get("intensity", ""), row.get("back_to_back", "").lower() in TRUE_WORDS)
        earlier = rows.first_line(session.date)
        if earlier is not None:
            raise rows.error(f"{session.date} is already planned on {_line(earlier)} (one session per day)")
        if kind not in ("rest", "race") and session.duration_min is None and session.distance_km is None:
            raise rows.error(f"{kind} session needs duration_min or distance_km")
        if row.get("goal", "").lower() in TRUE_WORDS:
            if kind != "race":
                raise rows.error("goal is only allowed on a race row")
            goals.append(Goal(session.date, session.intensity or "goal race", session.distance_km))
        sessions.append(session)
    if len(goals) > 1:
        raise StridepodError(f"{rows.path}: more than one goal race ({', '.join(str(g.date) for g in goals)})")
    return PlanFile(sessions, goals[0] if goals else None)
