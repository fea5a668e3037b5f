"""What a parser found in one file of a device or service: runs and mornings, each with
the record it came from, passed through the range checks (`validation`) on the way in.

`where` names the record as the runner would find it again: "line 12", "session 2",
"workout 2024-05-01 07:12". Flags (values refused or dropped) and notes (what was skipped
and why) are kept as one-line messages for the import report."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from stridepod.importers.validation import check_run, check_wellness
from stridepod.recovery.model import Run, WellnessDay


@dataclass
class Parsed:
    format: str  # what the file was recognised as, e.g. "FIT activity", "Oura CSV"
    runs: list[Run] = field(default_factory=list)
    wellness: list[WellnessDay] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was skipped and why
    flags: list[str] = field(default_factory=list)  # impossible values refused, with record
    walks: int = 0  # walking and hiking sessions among the runs (kind walk_run)
    _days: dict[dt.date, str] = field(default_factory=dict, repr=False)

    def add_run(self, where: str, run: Run) -> None:
        checked, messages = check_run(run)
        self.flags.extend(f"{where}: {m}" for m in messages)
        if checked is not None:
            self.runs.append(checked)
            self.walks += checked.kind == "walk_run"

    def add_day(self, where: str, day: WellnessDay) -> None:
        """One morning; a second row for the same date is reported, and its values are
        merged over the first (a value it leaves empty keeps the first row's)."""
        checked, messages = check_wellness(day)
        self.flags.extend(f"{where}: {m}" for m in messages)
        if checked is None:
            return
        if checked.date in self._days:
            self.notes.append(f"{where}: {checked.date} was already given by {self._days[checked.date]}; "
                              "its values are merged over the earlier ones")
            self.wellness = [_merge(d, checked) if d.date == checked.date else d for d in self.wellness]
            return
        self._days[checked.date] = where
        self.wellness.append(checked)

    def add_daily(self, values: dict[dt.date, dict[str, float]], source: str, where: str) -> None:
        """Mornings gathered from many records (monitoring files, Apple Health)."""
        for date in sorted(values):
            v = values[date]
            self.add_day(f"{where} {date}", WellnessDay(date, v.get("resting_hr"), v.get("rmssd_ms"),
                                                        v.get("sleep_h"), source))

    @property
    def empty(self) -> bool:
        return not self.runs and not self.wellness


def _merge(old: WellnessDay, new: WellnessDay) -> WellnessDay:
    return WellnessDay(
        old.date,
        new.resting_hr if new.resting_hr is not None else old.resting_hr,
        new.rmssd_ms if new.rmssd_ms is not None else old.rmssd_ms,
        new.sleep_h if new.sleep_h is not None else old.sleep_h,
        new.source or old.source,
    )


def daily_values() -> defaultdict[dt.date, dict[str, float]]:
    return defaultdict(dict)
