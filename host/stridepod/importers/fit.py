"""What a FIT file holds for stridepod: runs (each running session, also each run leg of a
multisport file), walks and hikes (kind walk_run), the day's own resting heart rate, the
night's HRV status, sleep, and a stand-alone beat-to-beat (morning HRV) recording.

Fields (FIT profile, `session`): start_time, total_timer_time (s), total_distance (m),
avg/max_heart_rate (bpm), avg_running_cadence or avg_cadence + avg_fractional_cadence
(strides/min: one foot, doubled to steps/min), total_cycles/total_strides (strides),
enhanced_avg_speed or avg_speed (m/s). Mornings: `monitoring_hr_data.current_day_resting_heart_rate`
(the day's own; `resting_heart_rate` there is Garmin's 7-day average and is not used),
`hrv_status_summary.last_night_average` (ms), `sleep_level` (stage changes; light, deep and
rem count as asleep). Start times are kept in the runner's local time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from stridepod.errors import StridepodError
from stridepod.importers.fitfile import FIT_EPOCH, Messages, decode
from stridepod.importers.parsed import Parsed, daily_values
from stridepod.recovery.hrv import clean_rr, hrv_metrics
from stridepod.recovery.model import Run

SLEEP_ASLEEP = {"light", "deep", "rem"}
RUN_SPORTS = {"running"}
WALK_SPORTS = {"walking", "hiking"}  # kept, as walk_run sessions: not runs
FILE_TYPES_WITHOUT_RUNS = {
    "settings": "a settings file", "device": "a device file", "sport": "a sport settings file",
    "workout": "a planned workout", "course": "a course (a route, not a run)",
    "schedules": "a schedule file", "weight": "a weight scale file", "totals": "a totals file",
    "goals": "a goals file", "blood_pressure": "a blood pressure file",
    "activity_summary": "an activity summary", "segment": "a segment file",
    "segment_list": "a segment list",
}


def read_fit(path: str | Path, tz: dt.tzinfo = dt.UTC) -> Parsed:
    """`tz` decides the local time and calendar day of a timestamp (FIT stores UTC)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StridepodError(f"cannot read {path}: {exc.strerror}") from exc
    if len(data) < 12 or data[8:12] != b".FIT":
        raise StridepodError(f"{path}: not a FIT file")
    try:
        messages, decoder = decode(data)
    except StridepodError as exc:
        raise type(exc)(f"{path}: {exc}") from None
    file_type = str(_first(messages, "file_id_mesgs").get("type") or "")
    out = Parsed(f"FIT {file_type or 'file'}")
    if decoder != "garmin-fit-sdk":
        out.notes.append(f"decoded with {decoder} (garmin-fit-sdk cannot read this file)")
    source = f"fit:{path.name}"
    _sessions(messages, tz, source, out)
    _mornings(messages, tz, source, out)
    if out.empty and file_type in FILE_TYPES_WITHOUT_RUNS:
        out.notes.insert(0, f"{FILE_TYPES_WITHOUT_RUNS[file_type]}: no runs or mornings")
    elif out.empty and not messages.get("session_mesgs"):
        out.notes.insert(0, f"no session and no morning data in this {file_type or 'FIT'} file")
    return out


def _first(messages: Messages, name: str) -> dict[str, Any]:
    items = messages.get(name) or [{}]
    return items[0]


def _sessions(messages: Messages, tz: dt.tzinfo, source: str, out: Parsed) -> None:
    sessions = messages.get("session_mesgs", [])
    for n, s in enumerate(sessions, start=1):
        where = f"session {n}" if len(sessions) > 1 else "session"
        sport = str(s.get("sport") or "unknown")
        if sport not in RUN_SPORTS | WALK_SPORTS:
            out.notes.append(f"{where}: a {sport} session, not a run")
            continue
        start = session_start(s, messages, tz)
        seconds = s.get("total_timer_time")
        if start is None or not seconds:
            out.notes.append(f"{where}: no start time or duration")
            continue
        out.add_run(where, session_run(s, start, source, walk=sport in WALK_SPORTS))


def session_run(s: dict[str, Any], start: dt.datetime, source: str, walk: bool) -> Run:
    distance_m = s.get("total_distance")
    strides_per_min = s.get("avg_running_cadence", s.get("avg_cadence"))
    cadence = None
    if strides_per_min is not None:  # strides/min (one foot) + its fraction -> steps/min
        cadence = 2.0 * (strides_per_min + (s.get("avg_fractional_cadence") or 0.0))
    strides = s.get("total_cycles") or s.get("total_strides")
    speed_m_s = s.get("enhanced_avg_speed") or s.get("avg_speed")
    return Run(
        date=start.date(), start=start, duration_min=s["total_timer_time"] / 60.0,
        distance_km=distance_m / 1000.0 if distance_m else None,
        avg_hr=s.get("avg_heart_rate"), max_hr=s.get("max_heart_rate"),
        cadence_spm=cadence, steps=int(2 * strides) if strides else None,
        pace_s_per_km=1000.0 / speed_m_s if speed_m_s else None,
        source=source, kind="walk_run" if walk else "",
    )


def session_start(s: dict[str, Any], messages: Messages, tz: dt.tzinfo) -> dt.datetime | None:
    """The session's local start time. A start in system time (seconds since the device was
    switched on: units without a clock fix) is placed by the activity message's
    local_timestamp, the local time at the activity's own (system-time) timestamp."""
    start = s.get("start_time")
    if isinstance(start, dt.datetime):
        return start.astimezone(tz).replace(tzinfo=None)
    activity = _first(messages, "activity_mesgs")
    local, stamp = activity.get("local_timestamp"), activity.get("timestamp")
    if isinstance(start, int) and isinstance(stamp, int) and local is not None:
        local_dt = local if isinstance(local, dt.datetime) else FIT_EPOCH + dt.timedelta(seconds=local)
        return local_dt.replace(tzinfo=None) - dt.timedelta(seconds=stamp - start)
    return None


def _local(t: Any, tz: dt.tzinfo) -> dt.datetime | None:
    return t.astimezone(tz).replace(tzinfo=None) if isinstance(t, dt.datetime) else None


def _mornings(messages: Messages, tz: dt.tzinfo, source: str, out: Parsed) -> None:
    daily = daily_values()
    for h in messages.get("hrv_status_summary_mesgs", []):
        when = _local(h.get("timestamp"), tz)
        if when and h.get("last_night_average"):
            daily[when.date()]["rmssd_ms"] = float(h["last_night_average"])
    for r in messages.get("monitoring_hr_data_mesgs", []):
        when = _local(r.get("timestamp"), tz)
        if when and r.get("current_day_resting_heart_rate"):
            daily[when.date()]["resting_hr"] = float(r["current_day_resting_heart_rate"])
    _sleep(messages, tz, daily)
    _beat_to_beat(messages, tz, daily, out)
    out.add_daily(daily, source, "morning")


def _sleep(messages: Messages, tz: dt.tzinfo, daily: dict) -> None:
    levels = sorted((when, str(m.get("sleep_level"))) for m in messages.get("sleep_level_mesgs", [])
                    if (when := _local(m.get("timestamp"), tz)) is not None)
    if len(levels) >= 2:
        asleep_s = sum((b[0] - a[0]).total_seconds()
                       for a, b in zip(levels, levels[1:], strict=False) if a[1] in SLEEP_ASLEEP)
        daily[levels[-1][0].date()]["sleep_h"] = asleep_s / 3600.0


def _beat_to_beat(messages: Messages, tz: dt.tzinfo, daily: dict, out: Parsed) -> None:
    rr_s = [t for m in messages.get("hrv_mesgs", []) for t in _values(m.get("time")) if t is not None]
    if not rr_s:
        return
    if messages.get("session_mesgs"):
        out.notes.append("beat-to-beat data recorded during exercise: not used as morning HRV")
        return
    cleaned = clean_rr([1000.0 * t for t in rr_s])
    when = _local(_first(messages, "file_id_mesgs").get("time_created"), tz)
    if when is None:
        out.notes.append("beat-to-beat data without a timestamp: skipped")
    elif len(cleaned.nn_ms) < 60:
        out.notes.append(f"beat-to-beat recording too short: {len(cleaned.nn_ms)} usable beats")
    else:
        daily[when.date()]["rmssd_ms"] = hrv_metrics(cleaned.nn_ms).rmssd_ms
        out.notes.append(f"morning HRV: {cleaned.removed} of {cleaned.total} beats removed "
                         f"({cleaned.artifacts} artifacts, {cleaned.ectopic} ectopic)")


def _values(value: Any) -> list[Any]:
    # a one-element array field is decoded as a bare number, not a list
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
