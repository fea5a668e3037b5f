"""FIT files through Garmin's official SDK: running sessions, HRV status, resting HR,
sleep, and a stand-alone beat-to-beat (HRV) recording."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from garmin_fit_sdk import Decoder, Stream

from stridepod.errors import StridepodError
from stridepod.recovery.hrv import clean_rr, hrv_metrics
from stridepod.recovery.model import Run, WellnessDay

if TYPE_CHECKING:  # the SDK ships this TypedDict in a stub only (mesgs.pyi)
    from garmin_fit_sdk.mesgs import FitMessages

SLEEP_ASLEEP = {"light", "deep", "rem"}
RUNNING_SPORTS = {"running", "walking", "hiking"}  # walk-run returns are logged as either


@dataclass
class FitImport:
    runs: list[Run] = field(default_factory=list)
    wellness: list[WellnessDay] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was found and skipped


def _local_date(t: int | dt.datetime, tz: dt.tzinfo) -> dt.date:
    return _datetime(t).astimezone(tz).date()


def _datetime(t: int | dt.datetime) -> dt.datetime:
    # the SDK types FIT timestamps as int | datetime; read(convert_datetimes_to_dates=True)
    # always gives datetimes
    assert isinstance(t, dt.datetime), f"FIT timestamp not converted: {t!r}"
    return t


def read_fit(path: str | Path, tz: dt.tzinfo = dt.UTC) -> FitImport:
    """`tz` decides which calendar day a timestamp belongs to (FIT stores UTC)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StridepodError(f"cannot read {path}: {exc.strerror}") from exc
    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    if not decoder.is_fit():
        raise StridepodError(f"{path}: not a FIT file")
    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    if not decoder.check_integrity():
        raise StridepodError(f"{path}: FIT file is damaged (CRC or length mismatch)")
    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    messages, errors = decoder.read(convert_datetimes_to_dates=True)
    if errors:
        raise StridepodError(f"{path}: FIT decode failed: {errors[0]}")
    out = FitImport()
    name = f"fit:{path.name}"

    for s in messages.get("session_mesgs", []):
        sport = str(s.get("sport", ""))
        if sport not in RUNNING_SPORTS:
            out.notes.append(f"skipped a {sport or 'unknown'} session")
            continue
        start, seconds = s.get("start_time"), s.get("total_timer_time")
        if start is None or not seconds:
            out.notes.append("skipped a session without start time or duration")
            continue
        distance = s.get("total_distance")
        strides_per_min = s.get("avg_running_cadence", s.get("avg_cadence"))
        cadence = None
        if strides_per_min is not None:  # FIT running cadence is strides/min (one foot); + fraction
            cadence = 2.0 * (strides_per_min + (s.get("avg_fractional_cadence") or 0.0))
        speed = s.get("enhanced_avg_speed") or s.get("avg_speed")
        out.runs.append(Run(
            date=_local_date(start, tz), duration_min=seconds / 60.0,
            distance_km=distance / 1000.0 if distance else None,
            avg_hr=s.get("avg_heart_rate"), max_hr=s.get("max_heart_rate"),
            cadence_spm=cadence, steps=int(2 * s["total_cycles"]) if s.get("total_cycles") else None,
            pace_s_per_km=1000.0 / speed if speed else None,
            source=name, kind="walk_run" if sport == "walking" else "",
        ))

    daily: dict[dt.date, dict[str, float]] = defaultdict(dict)
    for h in messages.get("hrv_status_summary_mesgs", []):
        if h.get("timestamp") and h.get("last_night_average"):
            daily[_local_date(h["timestamp"], tz)]["rmssd_ms"] = float(h["last_night_average"])
    for r in messages.get("monitoring_hr_data_mesgs", []):
        rhr = r.get("resting_heart_rate") or r.get("current_day_resting_heart_rate")
        if r.get("timestamp") and rhr:
            daily[_local_date(r["timestamp"], tz)]["resting_hr"] = float(rhr)
    levels = sorted((_datetime(m["timestamp"]), str(m.get("sleep_level")))
                    for m in messages.get("sleep_level_mesgs", []) if m.get("timestamp"))
    if len(levels) >= 2:
        asleep = sum(((b[0] - a[0]).total_seconds() for a, b in zip(levels, levels[1:], strict=False)
                      if a[1] in SLEEP_ASLEEP), 0.0)
        daily[_local_date(levels[-1][0], tz)]["sleep_h"] = asleep / 3600.0
    rr_s = [t for m in messages.get("hrv_mesgs", []) for t in _values(m.get("time"))
            if t is not None]
    if rr_s and not messages.get("session_mesgs"):
        # a stand-alone morning measurement (beat-to-beat intervals, no activity)
        cleaned = clean_rr([1000.0 * t for t in rr_s])
        when = _first_time(messages)
        if when is None:
            out.notes.append("beat-to-beat data without a timestamp: skipped")
        elif len(cleaned.nn_ms) < 60:
            out.notes.append(f"beat-to-beat recording too short: {len(cleaned.nn_ms)} usable beats")
        else:
            daily[_local_date(when, tz)]["rmssd_ms"] = hrv_metrics(cleaned.nn_ms).rmssd_ms
            out.notes.append(f"morning HRV: {cleaned.removed} of {cleaned.total} beats removed "
                             f"({cleaned.artifacts} artifacts, {cleaned.ectopic} ectopic)")
    elif rr_s:
        out.notes.append("beat-to-beat data recorded during exercise: not used as morning HRV")
    for date in sorted(daily):
        v = daily[date]
        out.wellness.append(WellnessDay(date, v.get("resting_hr"), v.get("rmssd_ms"), v.get("sleep_h"), name))
    return out


def _values(value: float | list[float | None] | None) -> list[float | None]:
    # the SDK gives an array field holding a single value as that value, not a list
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _first_time(messages: FitMessages) -> dt.datetime | None:
    for m in messages.get("file_id_mesgs", []):
        if m.get("time_created"):
            return _datetime(m["time_created"])
    return None
