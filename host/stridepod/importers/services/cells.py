"""Reading the cells of service exports: the header as written, numbers with "--"/"-" for
"none", thousands separators or decimal commas, durations ("00:31:24", "7h 55min"), and
the date formats the services write ("2025-02-06 17:06:03", "6/26/2026 6:04 AM",
"Jun 26, 2026"). Every error names file and line."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

from stridepod.errors import StridepodError

MISSING = {"", "-", "--", "n/a", "na", "nan", "null", "none"}
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_HMS = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")
_H_MIN = re.compile(r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*min)?$")
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%b %d, %Y", "%d %b %Y", "%Y/%m/%d")
TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%I:%M %p", "%I:%M:%S %p")


def number(text: str | None) -> float | None:
    """A cell as a number; None for an empty or "--" cell; ValueError otherwise."""
    text = (text or "").strip().strip('"').replace("\u2009", "")
    if text.lower() in MISSING:
        return None
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    elif _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    return float(text)


def duration_s(text: str | None) -> float | None:
    """"01:02:03", "31:24", "00:28:10.5", "7h 55min", "55min" or plain seconds."""
    text = (text or "").strip()
    if text.lower() in MISSING:
        return None
    hms = _HMS.match(text)
    if hms:
        h, m, s = hms.groups()
        return int(h or 0) * 3600 + int(m) * 60 + float(s)
    h_min = _H_MIN.match(text)
    if h_min and any(h_min.groups()):
        return int(h_min.group(1) or 0) * 3600 + int(h_min.group(2) or 0) * 60
    return float(text)


def when(text: str | None) -> dt.datetime | None:
    """A date or date-time as written (local time, no zone); ValueError when unreadable.
    A trailing zone or offset is dropped: the services write the runner's local time."""
    text = (text or "").strip()
    if text.lower() in MISSING:
        return None
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        pass
    for date_format in DATE_FORMATS:
        for time_format in ("", *TIME_FORMATS):
            fmt = f"{date_format} {time_format}".strip()
            try:
                return dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
    raise ValueError(f"{text!r} is not a date this importer reads")


class Table:
    """A service CSV: rows as {header as written: cell}, with the line number of each."""

    def __init__(self, path: Path, delimiter: str | None = None):
        self.path = path
        self.delimiter = delimiter
        self.line = 0
        self.header: list[str] = []

    def rows(self) -> Iterator[dict[str, str]]:
        try:
            with self.path.open(newline="", encoding="utf-8-sig") as fh:
                sample = fh.read(4096)
                fh.seek(0)
                delimiter = self.delimiter or (";" if sample.count(";") > sample.count(",") else ",")
                reader = csv.reader(fh, delimiter=delimiter)
                self.header = [h.strip() for h in next(reader, [])]
                for cells in reader:
                    self.line = reader.line_num
                    if any(c.strip() for c in cells):
                        yield dict(zip(self.header, (c.strip() for c in cells), strict=False))
        except OSError as exc:
            raise StridepodError(f"cannot read {self.path}: {exc.strerror}") from exc
        except (UnicodeDecodeError, csv.Error) as exc:
            raise StridepodError(f"{self.path}:{self.line}: not a readable CSV file ({exc})") from exc

    @property
    def where(self) -> str:
        return f"line {self.line}"


def find(header: list[str], *names: str) -> str | None:
    """The column of `header` called any of `names` (case and spacing ignored)."""
    wanted = {_key(n) for n in names}
    return next((h for h in header if _key(h) in wanted), None)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def has(header: list[str], *names: str) -> bool:
    return all(find(header, n) is not None for n in names)


def ignored(header: list[str], used: list[str | None]) -> list[str]:
    taken = {u for u in used if u}
    return [h for h in header if h and h not in taken]


def steps_per_min(value: float | None) -> float | None:
    """A running cadence in steps/min. Some services report strides/min (one foot); a runner's
    steps/min are above 120 and strides/min below, so values under 120 are doubled."""
    if value is None or value <= 0:
        return None
    return value * 2 if value < 120 else value
