"""Reading the runner's files into the store: wellness, runs, pain log and plan as CSV
(recognised by their header), activities and morning data from Garmin FIT files.

CSV formats (one header row; column order free; empty cell = not measured):
- wellness: `date` and any of `resting_hr` (bpm), `rmssd_ms`, `sleep_h`
- runs: `date` or `start` (ISO date or date-time), `duration_min`; optional `distance_km`,
  `rpe` (1-10), `avg_hr`, `max_hr`, `steps`, `cadence_spm`, `kind`
- pain: `date`, `site` (knee, shin, achilles, ...), `during` and/or `next_morning` (0-10)
- plan (a file with `kind` and none of the runs-only columns `start`, `rpe`, `avg_hr`,
  `max_hr`, `steps`, `cadence_spm`): `date`, `kind` (rest, easy, long, quality, strength, race, walk_run); optional
  `duration_min`, `distance_km`, `intensity`, `back_to_back` (yes/no), `name` (a race with a
  name is the goal race)

Importing is idempotent: a file whose content was imported before is skipped, and the same
rows arriving in another file change nothing. Each file is one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from stridepod.errors import StridepodError
from stridepod.recovery.model import SESSION_KINDS
from stridepod.store import GOALS, PAIN, PLAN, RUNS, WELLNESS, Store, _Table


class ImportFormatError(StridepodError):
    pass


@dataclass
class ImportResult:
    path: Path
    kind: str  # "wellness", "runs", "pain", "plan", "fit"
    rows: int  # rows read from the file
    changed: int  # rows added or changed in the store
    already_imported: bool = False


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
    if _is_fit(path):
        batches = _read_fit(path)
        kind, rows = "fit", sum(len(r) for _, r in batches)
    else:
        kind, rows, batches = _read_csv(path)
    with store.transaction():
        changed = sum(store.upsert(table, table_rows) for table, table_rows in batches)
        store.note_import(sha, str(path), kind, rows)
    return ImportResult(path, kind, rows, changed)


# -- CSV ---------------------------------------------------------------------------------

def _date(text: str) -> str:
    return dt.date.fromisoformat(text.strip()[:10]).isoformat()


def _number(lo: float, hi: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = float(text)
        if not lo <= value <= hi:
            raise ValueError(f"{value:g} is outside {lo:g}..{hi:g}")
        return value
    return parse


def _kind(text: str) -> str:
    kind = text.strip().lower().replace(" ", "_").replace("&", "and")
    kind = {"strength_and_mobility": "strength", "mobility": "strength"}.get(kind, kind)
    if kind not in SESSION_KINDS:
        raise ValueError(f"kind {text!r} is not one of {', '.join(SESSION_KINDS)}")
    return kind


def _yes(text: str) -> bool:
    value = text.strip().lower()
    if value not in ("yes", "no", "true", "false", "1", "0"):
        raise ValueError(f"{text!r} is not yes or no")
    return value in ("yes", "true", "1")


def _start(text: str) -> str:
    text = text.strip()
    if len(text) == 10:
        return dt.date.fromisoformat(text).isoformat() + "T00:00:00"
    return dt.datetime.fromisoformat(text).replace(tzinfo=None).isoformat(timespec="seconds")


ANY = _number(-1e12, 1e12)
# column -> (store column, parser); the first group of each format is required
CSV_FORMATS: dict[str, tuple[set[str], dict[str, tuple[str, Callable]]]] = {
    "wellness": ({"date"}, {
        "date": ("date", _date),
        "resting_hr": ("resting_hr", _number(0, 300)),
        "rmssd_ms": ("rmssd_ms", _number(0, 2000)),
        "sleep_h": ("sleep_h", _number(0, 24)),
    }),
    "runs": ({"duration_min"}, {
        "date": ("start", _start),
        "start": ("start", _start),
        "duration_min": ("duration_min", _number(0, 24 * 60)),
        "distance_km": ("distance_km", _number(0, 1000)),
        "rpe": ("rpe", _number(0, 10)),
        "avg_hr": ("avg_hr", _number(0, 300)),
        "max_hr": ("max_hr", _number(0, 300)),
        "steps": ("steps", lambda t: int(_number(0, 1e7)(t))),
        "cadence_spm": ("cadence_spm", _number(0, 400)),
        "kind": ("kind", _kind),
    }),
    "pain": ({"date", "site"}, {
        "date": ("date", _date),
        "site": ("site", lambda t: t.strip().lower()),
        "during": ("during", _number(0, 10)),
        "next_morning": ("next_morning", _number(0, 10)),
    }),
    "plan": ({"date", "kind"}, {
        "date": ("date", _date),
        "kind": ("kind", _kind),
        "duration_min": ("duration_min", _number(0, 24 * 60)),
        "distance_km": ("distance_km", _number(0, 1000)),
        "intensity": ("intensity", str.strip),
        "back_to_back": ("back_to_back", _yes),
        "name": ("name", str.strip),
    }),
}
_WELLNESS_SIGNALS = {"resting_hr", "rmssd_ms", "sleep_h"}
# a file with `kind` is a plan unless it has one of these
_RUN_ONLY = {"start", "rpe", "avg_hr", "max_hr", "steps", "cadence_spm"}


def _detect(path: Path, header: list[str]) -> str:
    columns = set(header)
    if "site" in columns:
        kind = "pain"
    elif "kind" in columns and not columns & _RUN_ONLY:
        kind = "plan"
    elif columns & {"duration_min", "start"}:
        kind = "runs"
    elif columns & _WELLNESS_SIGNALS:
        kind = "wellness"
    else:
        raise ImportFormatError(
            f"{path}: not a file stridepod knows (header {','.join(header)!r}); expected a "
            "wellness, runs, pain or plan CSV (see `stridepod import --help`) or a FIT file"
        )
    required, parsers = CSV_FORMATS[kind]
    if kind == "runs" and not columns & {"date", "start"}:
        required = required | {"date or start"}
    missing = sorted(required - columns)
    if missing:
        raise ImportFormatError(f"{path}: {kind} CSV without column {', '.join(missing)}")
    unknown = sorted(columns - set(parsers))
    if unknown:
        raise ImportFormatError(
            f"{path}: unknown column {', '.join(unknown)} in a {kind} CSV "
            f"(known: {', '.join(parsers)})"
        )
    return kind


def _read_csv(path: Path) -> tuple[str, int, list[tuple[_Table, list[dict]]]]:
    """(kind, rows read, rows per store table)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            lines = list(csv.reader(fh))
    except UnicodeDecodeError:
        raise ImportFormatError(f"{path}: not a text file (CSV or FIT expected)") from None
    except csv.Error as exc:
        raise ImportFormatError(f"{path}: not a readable CSV ({exc})") from None
    if not lines:
        raise ImportFormatError(f"{path}: empty file")
    header = [h.strip().lower() for h in lines[0]]
    kind = _detect(path, header)
    parsers = CSV_FORMATS[kind][1]
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise ImportFormatError(
                f"{path}:{number}: {len(cells)} cells, the header has {len(header)}")
        row: dict = {}
        for name, cell in zip(header, cells, strict=True):
            if not cell.strip():
                continue
            column, parse = parsers[name]
            try:
                row[column] = parse(cell)
            except ValueError as exc:
                raise ImportFormatError(f"{path}:{number}: {name} {cell!r}: {exc}") from None
        rows.append(row)
    return kind, len(rows), _to_tables(kind, rows)


def _to_tables(kind: str, rows: list[dict]) -> list[tuple[_Table, list[dict]]]:
    if kind == "wellness":
        days = [{**r, "source": "csv"} for r in rows
                if any(k != "date" for k in r)]
        return [(WELLNESS, days)]
    if kind == "pain":
        return [(PAIN, rows)]
    if kind == "plan":
        goals = [{"date": r["date"], "name": r["name"], "distance_km": r.get("distance_km")}
                 for r in rows if r["kind"] == "race" and r.get("name")]
        sessions = [{k: v for k, v in r.items() if k != "name"} for r in rows]
        return [(PLAN, sessions), (GOALS, goals)]
    return [(RUNS, [_run_row(r, source="csv") for r in rows])]


def _run_row(row: dict, source: str) -> dict:
    """A run as the store keeps it; its key is its source and start, so the same run from
    another file of the same kind is recognised."""
    run = dict(row)
    run.setdefault("source", source)
    run["date"] = run["start"][:10]
    run["source_key"] = f"{source}:{run['start']}"
    return run


# -- FIT ---------------------------------------------------------------------------------

def _is_fit(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(12)
    return len(head) == 12 and head[8:12] == b".FIT"


RUNNING_SPORTS = {"running", "trail_running", "treadmill_running", "track_running"}


def _read_fit(path: Path) -> list[tuple[_Table, list[dict]]]:
    from garmin_fit_sdk import Decoder, Stream  # imported here: slow, and only FIT needs it

    decoder = Decoder(Stream.from_file(str(path)))
    if not decoder.is_fit() or not decoder.check_integrity():
        raise ImportFormatError(f"{path}: damaged FIT file (integrity check failed)")
    messages, errors = decoder.read(convert_datetimes_to_dates=True)
    if errors:
        raise ImportFormatError(f"{path}: cannot read FIT file ({errors[0]})")
    runs = []
    for session in messages.get("session_mesgs", []):
        sport = str(session.get("sport", "")).lower()
        sub_sport = str(session.get("sub_sport", "")).lower()
        if sport not in RUNNING_SPORTS and sub_sport not in RUNNING_SPORTS:
            continue
        start = session.get("start_time")
        seconds = session.get("total_timer_time") or session.get("total_elapsed_time")
        if start is None or not seconds:
            continue
        cadence = session.get("avg_running_cadence") or session.get("avg_cadence")
        distance = session.get("total_distance")
        runs.append(_run_row({
            "start": _local_iso(start),
            "duration_min": float(seconds) / 60.0,
            "distance_km": float(distance) / 1000.0 if distance else None,
            "avg_hr": session.get("avg_heart_rate"),
            "max_hr": session.get("max_heart_rate"),
            "steps": session.get("total_strides") and 2 * int(session["total_strides"]),
            # FIT running cadence counts strides (one foot) per minute
            "cadence_spm": 2.0 * float(cadence) if cadence else None,
        }, source="fit"))
    wellness = []
    for summary in messages.get("hrv_status_summary_mesgs", []):
        night = summary.get("last_night_average")
        stamp = summary.get("timestamp")
        if night and stamp is not None:
            wellness.append({"date": _local_iso(stamp)[:10], "rmssd_ms": float(night),
                             "source": "fit"})
    if not runs and not wellness:
        raise ImportFormatError(
            f"{path}: FIT file without runs or HRV status (file type "
            f"{_fit_file_type(messages)}); nothing to import")
    return [(RUNS, runs), (WELLNESS, wellness)]


def _local_iso(stamp: dt.datetime) -> str:
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone().replace(tzinfo=None)
    return stamp.isoformat(timespec="seconds")


def _fit_file_type(messages: dict) -> str:
    file_ids = messages.get("file_id_mesgs") or [{}]
    return str(file_ids[0].get("type", "unknown"))
