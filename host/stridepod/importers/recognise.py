"""Which file is which, by content: FIT by its header, XML by its root element (TCX, GPX,
Apple Health), CSV by its header (a service's export or one of stridepod's formats).

stridepod's CSVs, by header: `site` -> pain log; only `date`, `rpe` and `duration_min` ->
session RPE for stored runs; `intensity`, `back_to_back` or `goal`, or `kind` without any
run measurement -> plan; `duration_min` -> runs; any of `resting_hr`, `rmssd_ms`,
`sleep_h` -> wellness. A CSV that is none of these is refused with its header as written,
the closest known format and the columns to rename."""

from __future__ import annotations

import csv
import difflib
import re
from pathlib import Path

from stridepod.errors import StridepodError
from stridepod.importers.csvfiles import COLUMNS
from stridepod.importers.fitfile import looks_like_fit
from stridepod.importers.services import CSV_FORMATS
from stridepod.importers.services.formats import ActivityFormat, WellnessFormat
from stridepod.recovery.model import WELLNESS_SIGNALS


class ImportFormatError(StridepodError):
    pass


XML_ROOTS = {"TrainingCenterDatabase": "tcx", "gpx": "gpx", "HealthData": "apple_health"}
RUN_MEASUREMENTS = set(COLUMNS["runs"]) - {"date", "duration_min", "distance_km", "kind", "source"}
PLAN_ONLY = {"intensity", "back_to_back", "goal"}
# what people call the columns of stridepod's formats
SYNONYMS = {
    "resting_hr": ("rhr", "resting heart rate", "restinghr", "resting hr", "hr", "pulse"),
    "rmssd_ms": ("rmssd", "hrv", "hrv rmssd", "hrv (ms)", "rmssd (ms)"),
    "sleep_h": ("sleep", "sleep hours", "hours slept", "sleep duration", "sleep time"),
    "date": ("day", "datum", "when", "calendar date"),
    "duration_min": ("duration", "minutes", "time", "moving time", "duration (min)"),
    "distance_km": ("distance", "km", "distance (km)"),
    "avg_hr": ("average heart rate", "avg heart rate", "mean hr", "heart rate"),
    "max_hr": ("max heart rate", "maximum heart rate"),
    "cadence_spm": ("cadence", "spm", "steps per minute"),
    "next_morning": ("morning", "next day"),
    "during": ("pain", "pain during"),
    "site": ("location", "where", "body part"),
}


def file_kind(path: Path) -> str:
    """"fit", "tcx", "gpx", "apple_health", "csv:<format name>" or "csv:<stridepod kind>"."""
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise StridepodError(f"cannot read {path}: {exc.strerror}") from exc
    if not head:
        raise ImportFormatError(f"{path}: empty file")
    if looks_like_fit(head[:14]):
        return "fit"
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            raise ImportFormatError(f"{path}: not a text file (CSV, XML or FIT expected)") from None
        text = head[:exc.start].decode("utf-8-sig", errors="ignore")
    if text.lstrip().startswith("<"):
        return _xml_kind(path, text)
    return csv_kind(path, _header(path, text))


def _xml_kind(path: Path, text: str) -> str:
    for tag in re.finditer(r"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)", text):
        if tag.group(2) in XML_ROOTS:
            return XML_ROOTS[tag.group(2)]
        if tag.group(2) != "DOCTYPE":
            break
    if "<!DOCTYPE HealthData" in text:
        return "apple_health"
    raise ImportFormatError(f"{path}: an XML file that is not TCX, GPX or an Apple Health export")


def _header(path: Path, text: str) -> list[str]:
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        cells = next(csv.reader([first], delimiter=delimiter), [])
    except csv.Error as exc:
        raise ImportFormatError(f"{path}: not a readable CSV ({exc})") from None
    if not any(c.strip() for c in cells):
        raise ImportFormatError(f"{path}: empty file" if not text.strip() else f"{path}: the first line is empty")
    return [c.strip() for c in cells]


def service_format(header: list[str]) -> WellnessFormat | ActivityFormat | None:
    return next((f for f in CSV_FORMATS if f.matches(header)), None)


def csv_kind(path: Path, header: list[str]) -> str:
    service = service_format(header)
    if service is not None:
        return f"csv:{service.name}"
    columns = {h.lower() for h in header}
    if "site" in columns:
        return "csv:pain"
    if "rpe" in columns and columns <= {"date", "rpe", "duration_min"}:
        return "csv:rpe"
    if columns & PLAN_ONLY or ("kind" in columns and not columns & RUN_MEASUREMENTS):
        return "csv:plan"
    if "duration_min" in columns:
        return "csv:runs"
    if columns.intersection(WELLNESS_SIGNALS):
        return "csv:wellness"
    raise ImportFormatError(unknown_csv_message(path, header))


def unknown_csv_message(path: Path, header: list[str]) -> str:
    """The header as written, the closest format and what to rename to reach it."""
    best_kind, best_renames = "", dict[str, str]()
    for kind, columns in COLUMNS.items():
        renames = _renames(header, columns)
        if len(renames) > len(best_renames):
            best_kind, best_renames = kind, renames
    written = ",".join(header)
    message = f"{path}: not a CSV stridepod knows; its header is \"{written}\""
    if not best_renames:
        return message + ("; stridepod reads its own CSVs (wellness: date,resting_hr,rmssd_ms,sleep_h; "
                          "runs: date,duration_min,...; see `stridepod import --help`) and the exports "
                          "listed in docs/recovery.md")
    wanted = ",".join(c for c in COLUMNS[best_kind] if c != "source")
    to_rename = "; ".join(f"\"{old}\" -> {new}" for old, new in best_renames.items() if old != new)
    return (message + f"; closest: the {best_kind} CSV ({wanted})"
            + (f": rename {to_rename}" if to_rename else ""))


def _renames(header: list[str], columns: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for written in header:
        key = re.sub(r"\s+", " ", written.strip().lower())
        taken = set(out.values())
        candidates = [c for c in columns if c not in taken]
        exact = [c for c in candidates if key == c or key in SYNONYMS.get(c, ())]
        close = exact or difflib.get_close_matches(key.replace(" ", "_"), candidates, n=1, cutoff=0.75)
        if close:
            out[written] = close[0]
    return out
