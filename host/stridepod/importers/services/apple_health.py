"""Apple Health's export (Health app > profile > "Export All Health Data": export.zip with
apple_health_export/export.xml), streamed element by element: real exports are over 1 GB.

Read (Apple HealthKit identifiers, as written in export.xml):
- `Record type="HKQuantityTypeIdentifierRestingHeartRate"` (value, count/min): the day's
  resting heart rate (the mean when several sources give one);
- `Record type="HKCategoryTypeIdentifierSleepAnalysis"`: intervals whose value is one of the
  asleep values (Asleep, AsleepUnspecified, AsleepCore, AsleepDeep, AsleepREM; not InBed or
  Awake) are joined across sources (watch and phone overlap) and summed per night, the
  night belonging to the morning it ends on;
- `Workout workoutActivityType="HKWorkoutActivityTypeRunning"` (walking and hiking as
  walk_run): startDate, duration + durationUnit, totalDistance + totalDistanceUnit or the
  DistanceWalkingRunning `WorkoutStatistics`, and heart rate from the HeartRate
  `WorkoutStatistics` (average, maximum).
Apple's `HeartRateVariabilitySDNN` is SDNN, not rMSSD, and is not used (counted in a note).
Dates are written with the offset of the place they were recorded ("2024-05-01 07:12:03
+0200"); the local time as written is kept."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from stridepod.errors import StridepodError
from stridepod.importers.parsed import Parsed, daily_values
from stridepod.recovery.model import Run

NAME = "Apple Health export.xml"
RESTING_HR = "HKQuantityTypeIdentifierRestingHeartRate"
HRV_SDNN = "HKQuantityTypeIdentifierHeartRateVariabilitySDNN"
SLEEP_ANALYSIS_TYPE = "HKCategoryTypeIdentifierSleepAnalysis"
ASLEEP = {f"HKCategoryValueSleepAnalysis{v}" for v in
          ("Asleep", "AsleepUnspecified", "AsleepCore", "AsleepDeep", "AsleepREM")}
WORKOUT_KINDS = {"HKWorkoutActivityTypeRunning": "", "HKWorkoutActivityTypeWalking": "walk_run",
                 "HKWorkoutActivityTypeHiking": "walk_run"}
TO_MINUTES = {"min": 1.0, "s": 1 / 60.0, "sec": 1 / 60.0, "hr": 60.0, "h": 60.0}
TO_KM = {"km": 1.0, "m": 0.001, "mi": 1.609344, "yd": 0.0009144, "ft": 0.0003048}


def local_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S %z").replace(tzinfo=None)
    except ValueError:
        return None


class _Nights:
    """Asleep intervals per morning, joined where sources overlap."""

    def __init__(self) -> None:
        self.intervals: defaultdict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)

    def add(self, start: dt.datetime, end: dt.datetime) -> None:
        if end > start:
            self.intervals[end.date()].append((start, end))

    def hours(self) -> dict[dt.date, float]:
        out = {}
        for morning, spans in self.intervals.items():
            total_s, reach = 0.0, None
            for start, end in sorted(spans):
                if reach is not None and start < reach:
                    start = reach
                if end > start:
                    total_s += (end - start).total_seconds()
                reach = max(reach, end) if reach else end
            out[morning] = total_s / 3600.0
        return out


def read_apple_health(path: Path, progress=None) -> Parsed:
    """`progress(bytes_read)` is called now and then while the file streams in."""
    out = Parsed(NAME)
    resting: defaultdict[dt.date, list[float]] = defaultdict(list)
    nights = _Nights()
    sdnn = 0
    try:
        with path.open("rb") as fh:
            depth, seen, root = 0, 0, None
            for event, elem in ET.iterparse(fh, events=("start", "end")):
                if event == "start":
                    depth += 1
                    root = elem if root is None else root
                    continue
                depth -= 1
                if depth != 1:
                    continue  # only the children of <HealthData>, each cleared once read
                if elem.tag == "Record":
                    sdnn += _record(elem, resting, nights)
                elif elem.tag == "Workout":
                    _workout(elem, path.name, out)
                if root is not None:
                    root.clear()  # drop what was read: memory stays flat over a GB file
                seen += 1
                if progress is not None and seen % 20_000 == 0:
                    progress(fh.tell())
    except OSError as exc:
        raise StridepodError(f"cannot read {path}: {exc.strerror}") from exc
    except ET.ParseError as exc:
        raise StridepodError(f"{path}: not a whole Apple Health export ({exc})") from None
    daily = daily_values()
    for date, values in resting.items():
        daily[date]["resting_hr"] = sum(values) / len(values)
    for date, hours in nights.hours().items():
        daily[date]["sleep_h"] = hours
    out.add_daily(daily, f"apple-health:{path.name}", "morning")
    if sdnn:
        out.notes.append(f"{sdnn} HRV values are SDNN (Apple's measure), not rMSSD: not used")
    return out


def _record(elem: ET.Element, resting: dict, nights: _Nights) -> int:
    kind = elem.get("type")
    if kind == RESTING_HR:
        start = local_time(elem.get("startDate"))
        try:
            value = float(elem.get("value", ""))
        except ValueError:
            return 0
        if start is not None:
            resting[start.date()].append(value)
    elif kind == SLEEP_ANALYSIS_TYPE and elem.get("value") in ASLEEP:
        start, end = local_time(elem.get("startDate")), local_time(elem.get("endDate"))
        if start is not None and end is not None:
            nights.add(start, end)
    return int(kind == HRV_SDNN)


def _workout(elem: ET.Element, file_name: str, out: Parsed) -> None:
    activity = elem.get("workoutActivityType", "")
    start = local_time(elem.get("startDate"))
    where = f"workout {start:%Y-%m-%d %H:%M}" if start else "workout"
    if activity not in WORKOUT_KINDS:
        return
    try:
        minutes = float(elem.get("duration", "")) * TO_MINUTES[elem.get("durationUnit", "min")]
    except (ValueError, KeyError):
        out.flags.append(f"{where}: duration {elem.get('duration')!r} {elem.get('durationUnit')!r} unreadable: skipped")
        return
    stats = {s.get("type", ""): s for s in elem.iter("WorkoutStatistics")}
    hr = stats.get("HKQuantityTypeIdentifierHeartRate")
    distance_km = _distance_km(elem.get("totalDistance"), elem.get("totalDistanceUnit"))
    if distance_km is None and "HKQuantityTypeIdentifierDistanceWalkingRunning" in stats:
        s = stats["HKQuantityTypeIdentifierDistanceWalkingRunning"]
        distance_km = _distance_km(s.get("sum"), s.get("unit"))
    if start is None:
        out.flags.append(f"{where}: no start date: skipped")
        return
    out.add_run(where, Run(
        date=start.date(), start=start, duration_min=minutes, distance_km=distance_km,
        avg_hr=_float(hr.get("average")) if hr is not None else None,
        max_hr=_float(hr.get("maximum")) if hr is not None else None,
        source=f"apple-health:{file_name}", kind=WORKOUT_KINDS[activity],
    ))


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _distance_km(value: str | None, unit: str | None) -> float | None:
    number = _float(value)
    if number is None or not number or (unit or "km") not in TO_KM:
        return None
    return number * TO_KM[unit or "km"]
