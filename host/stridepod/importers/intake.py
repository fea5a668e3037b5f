"""Bringing the runner's files into the store. The formats and their parsers are the
recovery model's (`stridepod.importers`, documented in docs/recovery.md); this module
recognises which file is which, keeps what they hold, and makes importing idempotent:
a file whose content was imported before is skipped, and the same rows arriving in
another file change nothing. Each file is one transaction.

Which CSV is which, by its header: `site` -> pain log; only `date`, `rpe` and
`duration_min` -> session RPE for stored runs; `intensity`, `back_to_back` or `goal`, or
`kind` without any run measurement -> plan; `duration_min` -> runs; any of `resting_hr`,
`rmssd_ms`, `sleep_h` -> wellness. FIT files are recognised by their signature.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from stridepod.errors import StridepodError
from stridepod.importers.csvfiles import (
    attach_rpe,
    read_pain_csv,
    read_plan_csv,
    read_rpe_csv,
    read_runs_csv,
    read_wellness_csv,
)
from stridepod.importers.fit import read_fit
from stridepod.recovery.model import Run
from stridepod.store.database import GOALS, PAIN, PLAN, RUNS, WELLNESS, Store, Table


class ImportFormatError(StridepodError):
    pass


@dataclass
class ImportResult:
    path: Path
    kind: str  # "wellness", "runs", "rpe", "pain", "plan", "fit"
    rows: int  # items read from the file
    changed: int  # rows added or changed in the store
    already_imported: bool = False
    notes: list[str] = dataclasses.field(default_factory=list)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def import_file(store: Store, path: Path) -> ImportResult:
    if not path.exists():
        raise StridepodError(f"{path}: no such file")
    if not path.is_file():
        raise StridepodError(f"{path}: not a file")
    sha = file_sha256(path)
    earlier = store.imported(sha)
    if earlier is not None:
        return ImportResult(path, earlier["kind"], earlier["rows"], 0, already_imported=True)
    notes: list[str] = []
    if _is_fit(path):
        fit = read_fit(path, tz=_local_tz())
        if not fit.runs and not fit.wellness:
            raise ImportFormatError(
                f"{path}: no runs or morning data in this FIT file"
                + (f" ({'; '.join(fit.notes)})" if fit.notes else ""))
        kind, rows, notes = "fit", len(fit.runs) + len(fit.wellness), fit.notes
        batches = [(RUNS, _run_rows(fit.runs, "fit")), (WELLNESS, _rows(fit.wellness))]
    else:
        kind = _csv_kind(path)
        if kind == "rpe":
            return _import_rpe(store, path, sha)
        rows, batches = _read_csv(kind, path)
    with store.transaction():
        changed = sum(store.upsert(table, table_rows) for table, table_rows in batches)
        store.note_import(sha, str(path), kind, rows)
    return ImportResult(path, kind, rows, changed, notes=notes)


# -- recognising files -------------------------------------------------------------------

def _is_fit(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(12)
    return len(head) == 12 and head[8:12] == b".FIT"


RUN_MEASUREMENTS = {
    "rpe", "avg_hr", "max_hr", "steps", "cadence_spm", "impact_g_mean", "impact_g_peak",
    "contact_ms", "strike_heel", "strike_mid", "strike_fore", "asymmetry_pct", "pace_s_per_km",
}
PLAN_ONLY = {"intensity", "back_to_back", "goal"}
WELLNESS_SIGNALS = {"resting_hr", "rmssd_ms", "sleep_h"}


def _header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            first = next(csv.reader(fh), None)
    except UnicodeDecodeError:
        raise ImportFormatError(f"{path}: not a text file (CSV or FIT expected)") from None
    except csv.Error as exc:
        raise ImportFormatError(f"{path}: not a readable CSV ({exc})") from None
    if not first:
        raise ImportFormatError(f"{path}: empty file")
    return [h.strip().lower() for h in first]


def _csv_kind(path: Path) -> str:
    columns = set(_header(path))
    if "site" in columns:
        return "pain"
    if "rpe" in columns and columns <= {"date", "rpe", "duration_min"}:
        return "rpe"
    if columns & PLAN_ONLY or ("kind" in columns and not columns & RUN_MEASUREMENTS):
        return "plan"
    if "duration_min" in columns:
        return "runs"
    if columns & WELLNESS_SIGNALS:
        return "wellness"
    raise ImportFormatError(
        f"{path}: not a file stridepod knows (header {','.join(sorted(columns))!r}); expected "
        "a wellness, runs, RPE, pain or plan CSV (see `stridepod import --help`) or a FIT file")


# -- from the model's dataclasses to store rows ------------------------------------------

def _rows(items: list) -> list[dict]:
    return [dataclasses.asdict(item) for item in items]


def _run_rows(runs: list[Run], origin: str) -> list[dict]:
    """Runs as store rows. A run's key is its origin, day and duration (and its place
    among identical ones), so the same run in another file is recognised."""
    seen: Counter = Counter()
    rows = []
    for run in runs:
        identity = f"{origin}:{run.date}:{run.duration_min:.2f}"
        row = dataclasses.asdict(run)
        row["source_key"] = f"{identity}:{seen[identity]}"
        row["start"] = f"{run.date}T00:00:00"  # the files give the day, not the time
        seen[identity] += 1
        rows.append(row)
    return rows


def _read_csv(kind: str, path: Path) -> tuple[int, list[tuple[Table, list[dict]]]]:
    if kind == "wellness":
        days = read_wellness_csv(path)
        return len(days), [(WELLNESS, [d for d in _rows(days) if _has_signal(d)])]
    if kind == "runs":
        runs = read_runs_csv(path)
        return len(runs), [(RUNS, _run_rows(runs, "csv"))]
    if kind == "pain":
        entries = read_pain_csv(path)
        return len(entries), [(PAIN, _rows(entries))]
    plan = read_plan_csv(path)
    return len(plan.sessions), [(PLAN, _rows(plan.sessions)),
                                (GOALS, _rows([plan.goal] if plan.goal else []))]


def _has_signal(day: dict) -> bool:
    return any(day[k] is not None for k in WELLNESS_SIGNALS)


def _import_rpe(store: Store, path: Path, sha: str) -> ImportResult:
    """Session RPE for runs already stored: each entry goes to the run of its day."""
    entries = read_rpe_csv(path)
    days = {e.date for e in entries}
    stored = [r for r in store.runs(since=min(days).isoformat() if days else None)
              if dt.date.fromisoformat(r["date"]) in days]
    fields = {f.name for f in dataclasses.fields(Run)}
    as_runs = [Run(**{**{k: v for k, v in r.items() if k in fields and v is not None},
                      "date": dt.date.fromisoformat(r["date"])}) for r in stored]
    updated = [{**row, "rpe": run.rpe}
               for row, run in zip(stored, attach_rpe(as_runs, entries), strict=True)
               if run.rpe != row["rpe"]]
    with store.transaction():
        changed = store.add_runs(updated)
        store.note_import(sha, str(path), "rpe", len(entries))
    unmatched = len(entries) - changed
    notes = [f"{unmatched} RPE entries had no stored run without RPE that day"] if unmatched else []
    return ImportResult(path, "rpe", len(entries), changed, notes=notes)


def _local_tz() -> dt.tzinfo:
    return dt.datetime.now().astimezone().tzinfo or dt.UTC
