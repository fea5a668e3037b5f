"""Activities as track files: TCX (Garmin's Training Center XML v2) and GPX (1.0 and 1.1).

TCX: each `Activity` whose `Sport` is "Running" is a run ("Biking" and "Other" are not):
start = the first `Lap`'s StartTime, duration = the sum of the laps' TotalTimeSeconds,
distance = the sum of their DistanceMeters, average HR = the laps' AverageHeartRateBpm
weighted by lap time, max HR = the largest MaximumHeartRateBpm, cadence from the
ActivityExtension v2 `AvgRunCadence` of the laps (or `RunCadence` of the trackpoints),
strides/min doubled to steps/min.

GPX: a track (`trk`) is a run when its `type` says so ("running", "run", Strava's "9"),
a walk_run when it says walking or hiking; a track without a type is skipped (a GPX file
may hold any journey). Duration = last minus first trackpoint time, distance = the sum of
great-circle steps between trackpoints, heart rate from Garmin's TrackPointExtension
(`gpxtpx:hr`) when present. Times are UTC in both formats and are shown in local time."""

from __future__ import annotations

import datetime as dt
import math
import xml.etree.ElementTree as ET
from pathlib import Path

from stridepod.errors import StridepodError
from stridepod.importers.parsed import Parsed
from stridepod.recovery.model import Run

EARTH_RADIUS_M = 6_371_008.8
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)  # GPS-era; earlier times are a dead clock
GPX_RUN_TYPES = {"running", "run", "9", "trail running", "trail_running", "treadmill_running"}
GPX_WALK_TYPES = {"walking", "walk", "hiking", "hike", "10", "4"}


def _parse(path: Path) -> ET.Element:
    try:
        return ET.parse(path).getroot()
    except OSError as exc:
        raise StridepodError(f"cannot read {path}: {exc.strerror}") from exc
    except ET.ParseError as exc:
        raise StridepodError(f"{path}: not a readable XML file ({exc})") from None


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _children(elem: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in elem if _local(c.tag) == name]


def _text(elem: ET.Element | None, *path: str) -> str | None:
    for name in path:
        if elem is None:
            return None
        elem = next(iter(_children(elem, name)), None)
    return elem.text.strip() if elem is not None and elem.text else None


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _utc(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _descendants(elem: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in elem.iter() if _local(e.tag) == name]


def read_tcx(path: Path, tz: dt.tzinfo = dt.UTC) -> Parsed:
    root = _parse(path)
    out = Parsed("TCX")
    activities = _descendants(root, "Activity")
    for n, activity in enumerate(activities, start=1):
        where = f"activity {n}" if len(activities) > 1 else "activity"
        sport = activity.get("Sport", "")
        if sport != "Running":
            out.notes.append(f"{where}: sport {sport or 'not given'}, not a run")
            continue
        laps = _children(activity, "Lap")
        start = _utc(laps[0].get("StartTime") if laps else _text(activity, "Id"))
        seconds = sum(_float(_text(lap, "TotalTimeSeconds")) or 0.0 for lap in laps)
        if start is None or seconds <= 0:
            out.notes.append(f"{where}: no start time or duration")
            continue
        local = start.astimezone(tz).replace(tzinfo=None)
        out.add_run(where, Run(
            date=local.date(), start=local, duration_min=seconds / 60.0,
            distance_km=(sum(_float(_text(lap, "DistanceMeters")) or 0.0 for lap in laps) / 1000.0) or None,
            avg_hr=_weighted(laps, ("AverageHeartRateBpm", "Value")),
            max_hr=max((v for lap in laps if (v := _float(_text(lap, "MaximumHeartRateBpm", "Value")))),
                       default=None),
            cadence_spm=_tcx_cadence(activity, laps), source=f"tcx:{path.name}",
        ))
    if not activities:
        out.notes.append("no activity in this TCX file (a course or workout file?)")
    return out


def _weighted(laps: list[ET.Element], path: tuple[str, ...]) -> float | None:
    pairs = [(v, _float(_text(lap, "TotalTimeSeconds")) or 0.0)
             for lap in laps if (v := _float(_text(lap, *path))) is not None]
    total = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / total if total > 0 else None


def _tcx_cadence(activity: ET.Element, laps: list[ET.Element]) -> float | None:
    pairs = [(v, _float(_text(lap, "TotalTimeSeconds")) or 0.0) for lap in laps
             for e in _descendants(lap, "AvgRunCadence") if (v := _float(e.text)) is not None]
    total = sum(w for _, w in pairs)
    if total > 0:
        return 2.0 * sum(v * w for v, w in pairs) / total
    points = [v for e in _descendants(activity, "RunCadence") if (v := _float(e.text)) is not None and v > 0]
    return 2.0 * sum(points) / len(points) if points else None


def read_gpx(path: Path, tz: dt.tzinfo = dt.UTC) -> Parsed:
    root = _parse(path)
    out = Parsed("GPX")
    tracks = _children(root, "trk")
    for n, track in enumerate(tracks, start=1):
        where = f"track {n}" if len(tracks) > 1 else "track"
        kind_text = (_text(track, "type") or "").lower()
        kind = "" if kind_text in GPX_RUN_TYPES else "walk_run" if kind_text in GPX_WALK_TYPES else None
        if kind is None:
            out.notes.append(f"{where}: " + (f"type {kind_text!r}, not a run" if kind_text else
                             "no activity type, so not known to be a run (a run's GPX says <type>running</type>)"))
            continue
        run = _gpx_run(track, kind, tz, f"gpx:{path.name}")
        if isinstance(run, str):
            out.notes.append(f"{where}: {run}")
        else:
            out.add_run(where, run)
    if not tracks:
        out.notes.append("no track in this GPX file (routes and waypoints are not runs)")
    return out


def _gpx_run(track: ET.Element, kind: str, tz: dt.tzinfo, source: str) -> Run | str:
    points = [p for p in _descendants(track, "trkpt")]
    times = [t for p in points if (t := _utc(_text(p, "time"))) is not None and t >= EARLIEST]
    if len(times) < 2 or max(times) <= min(times):
        return "trackpoints without usable times (a run needs them for its duration)"
    start = min(times).astimezone(tz).replace(tzinfo=None)
    hr = [v for p in points for e in _descendants(p, "hr") if (v := _float(e.text)) is not None]
    return Run(
        date=start.date(), start=start, duration_min=(max(times) - min(times)).total_seconds() / 60.0,
        distance_km=_path_length_m(points) / 1000.0 or None,
        avg_hr=sum(hr) / len(hr) if hr else None, max_hr=max(hr) if hr else None,
        source=source, kind=kind,
    )


def _path_length_m(points: list[ET.Element]) -> float:
    coords = [(float(p.get("lat", "nan")), float(p.get("lon", "nan"))) for p in points]
    coords = [c for c in coords if not (math.isnan(c[0]) or math.isnan(c[1]))]
    return sum(_haversine_m(a, b) for a, b in zip(coords, coords[1:], strict=False))


def _haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))
