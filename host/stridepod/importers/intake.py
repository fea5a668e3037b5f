"""Bringing one of the runner's files into the store: recognise it (`recognise`), read it
with its parser, keep what it holds, idempotently. A file whose content was imported
before is skipped; the same rows arriving in another file change nothing. Each file is
one transaction.

Outcomes: "imported" (something was read: runs, walks, mornings, pain, plan), "already"
(this content was imported before), "skipped" (the file holds nothing stridepod keeps:
a settings file, a cycling ride, a track without type; the reason says which). Problems
that stop a file (damaged, unreadable, unknown CSV, a bad cell in a stridepod CSV) are
StridepodErrors naming the file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from stridepod.errors import StridepodError
from stridepod.importers.csvfiles import (
    COLUMNS,
    attach_rpe,
    read_pain_csv,
    read_plan_csv,
    read_rpe_csv,
    read_runs_csv,
    read_wellness_csv,
)
from stridepod.importers.parsed import Parsed
from stridepod.importers.recognise import ImportFormatError, file_kind  # noqa: F401 (re-exported)
from stridepod.recovery.model import Run
from stridepod.store.database import GOALS, PAIN, PLAN, RUNS, WELLNESS, Store, Table

Progress = Callable[[int], None]


@dataclass
class ImportResult:
    path: Path
    kind: str  # what the file was: "wellness", "runs", "rpe", "pain", "plan", "FIT activity", ...
    rows: int  # items read from the file
    changed: int  # rows added or changed in the store
    already_imported: bool = False
    notes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # impossible values refused, with their record
    runs: int = 0
    walks: int = 0  # walking and hiking sessions (kind walk_run), among `runs`
    mornings: int = 0
    skipped: str = ""  # why nothing was kept ("" when something was)

    @property
    def status(self) -> str:
        return "already" if self.already_imported else "skipped" if self.skipped else "imported"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def import_file(store: Store, path: Path, shown: str | None = None,
                progress: Progress | None = None) -> ImportResult:
    """Import one file; `shown` is how messages name it (e.g. "export.zip:a.fit")."""
    if not path.exists():
        raise StridepodError(f"{shown or path}: no such file")
    if not path.is_file():
        raise StridepodError(f"{shown or path}: not a file")
    sha = file_sha256(path)
    earlier = store.imported(sha)
    if earlier is not None:
        return ImportResult(path, earlier["kind"], earlier["rows"], 0, already_imported=True)
    kind = file_kind(path)
    label = shown or str(path)  # what the imports table remembers
    if kind == "csv:rpe":
        return _import_rpe(store, path, sha, label)
    if kind in ("csv:wellness", "csv:runs", "csv:pain", "csv:plan"):
        return _store(store, label, sha, *_read_stridepod_csv(kind.removeprefix("csv:"), path))
    parsed = read_device_file(kind, path, progress)
    result = ImportResult(path, parsed.format, len(parsed.runs) + len(parsed.wellness), 0,
                          notes=parsed.notes, flags=parsed.flags, runs=len(parsed.runs),
                          walks=parsed.walks, mornings=len(parsed.wellness))
    if parsed.empty:
        result.skipped = (parsed.notes[0] if parsed.notes else "nothing stridepod keeps in it") + (
            f" (and {len(parsed.notes) - 1} more notes)" if len(parsed.notes) > 1 else "")
        return result
    return _store(store, label, sha, result,
                  [(RUNS, run_rows(parsed.runs, parsed.format)), (WELLNESS, _rows(parsed.wellness))])


def read_device_file(kind: str, path: Path, progress: Progress | None = None) -> Parsed:
    """A file a device or service wrote, by the kind `recognise.file_kind` gave it."""
    from stridepod.importers import fit, tracks
    from stridepod.importers.services import CSV_FORMATS, apple_health
    from stridepod.importers.services.formats import WellnessFormat, read_activities, read_wellness

    tz = local_tz()
    if kind == "fit":
        return fit.read_fit(path, tz=tz)
    if kind == "tcx":
        return tracks.read_tcx(path, tz=tz)
    if kind == "gpx":
        return tracks.read_gpx(path, tz=tz)
    if kind == "apple_health":
        return apple_health.read_apple_health(path, progress)
    fmt = next(f for f in CSV_FORMATS if f"csv:{f.name}" == kind)
    return read_wellness(fmt, path) if isinstance(fmt, WellnessFormat) else read_activities(fmt, path)


def _store(store: Store, label: str, sha: str, result: ImportResult,
           batches: list[tuple[Table, list[dict]]]) -> ImportResult:
    with store.transaction():
        result.changed = sum(store.upsert(table, table_rows) for table, table_rows in batches)
        store.note_import(sha, label, result.kind, result.rows)
    return result


# -- stridepod's own CSVs --------------------------------------------------------------------

def _read_stridepod_csv(kind: str, path: Path) -> tuple[ImportResult, list[tuple[Table, list[dict]]]]:
    notes: list[str] = []
    batches: list[tuple[Table, list[dict]]]
    if kind == "wellness":
        days = read_wellness_csv(path, notes)
        batches = [(WELLNESS, [d for d in _rows(days) if _has_signal(d)])]
        result = ImportResult(path, kind, len(days), 0, mornings=len(batches[0][1]))
    elif kind == "runs":
        runs = read_runs_csv(path)
        batches = [(RUNS, run_rows(runs, "csv"))]
        result = ImportResult(path, kind, len(runs), 0, runs=len(runs),
                              walks=sum(r.kind == "walk_run" for r in runs))
    elif kind == "pain":
        entries = read_pain_csv(path, notes)
        batches = [(PAIN, _rows(entries))]
        result = ImportResult(path, kind, len(entries), 0)
    else:
        plan = read_plan_csv(path)
        batches = [(PLAN, _rows(plan.sessions)), (GOALS, _rows([plan.goal] if plan.goal else []))]
        result = ImportResult(path, kind, len(plan.sessions), 0)
    result.notes = notes + _ignored_columns(path, kind)
    return result, batches


def _ignored_columns(path: Path, kind: str) -> list[str]:
    import csv

    with path.open(newline="", encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh), [])
    unused = [h for h in header if h.strip() and h.strip().lower() not in COLUMNS[kind]]
    return [f"columns not used: {', '.join(unused)}"] if unused else []


def _rows(items: list) -> list[dict]:
    return [dataclasses.asdict(item) for item in items]


def run_rows(runs: list[Run], origin: str) -> list[dict]:
    """Runs as store rows. A run's key is its origin, start (or day) and duration (and its
    place among identical ones), so the same run in another file is recognised."""
    seen: Counter = Counter()
    rows = []
    for run in runs:
        when = run.start.isoformat(timespec="seconds") if run.start else str(run.date)
        identity = f"{origin}:{when}:{run.duration_min:.2f}"
        row = dataclasses.asdict(run)
        row["source_key"] = f"{identity}:{seen[identity]}"
        # the day's midnight when the file gives only the day
        row["start"] = when if run.start else f"{run.date}T00:00:00"
        seen[identity] += 1
        rows.append(row)
    return rows


def _has_signal(day: dict) -> bool:
    return any(day[k] is not None for k in ("resting_hr", "rmssd_ms", "sleep_h"))


def _import_rpe(store: Store, path: Path, sha: str, label: str) -> ImportResult:
    """Session RPE for runs already stored: each entry goes to the run of its day."""
    entries = read_rpe_csv(path)
    days = {e.date for e in entries}
    stored = [r for r in store.runs(since=min(days).isoformat() if days else None)
              if dt.date.fromisoformat(r["date"]) in days]
    fields = {f.name for f in dataclasses.fields(Run)} - {"start"}
    as_runs = [Run(**{**{k: v for k, v in r.items() if k in fields and v is not None},
                      "date": dt.date.fromisoformat(r["date"])}) for r in stored]
    updated = [{**row, "rpe": run.rpe}
               for row, run in zip(stored, attach_rpe(as_runs, entries), strict=True)
               if run.rpe != row["rpe"]]
    with store.transaction():
        changed = store.add_runs(updated)
        store.note_import(sha, label, "rpe", len(entries))
    unmatched = len(entries) - changed
    notes = [f"{unmatched} RPE entries had no stored run without RPE that day"] if unmatched else []
    return ImportResult(path, "rpe", len(entries), changed, notes=notes)


def local_tz() -> dt.tzinfo:
    return dt.datetime.now().astimezone().tzinfo or dt.UTC
