"""The real watch files in ../shared/datasets/watch/ (FIT, TCX, GPX from public projects'
test suites, see its README): one `stridepod import` over the folder gives every file an
outcome, and what is imported has the values the peer reader fitdecode reads."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import fitdecode
import pytest

from stridepod.importers.fit import read_fit
from stridepod.store.database import Store

WATCH = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "watch"
FIT_DIR = WATCH / "fit"
# fitdecode (CRC check on) refuses these 7; they are broken on purpose (README)
BROKEN = {"activity-activity-filecrc.fit", "activity-filecrc.fit", "activity-settings-corruptheader.fit",
          "activity-settings-nodata.fit", "activity-unexpected-eof.fit", "nick.fit",
          "strava-android-app-201.10-b1218918.fit"}
SYSTEM_TIME_LIMIT_S = 0x10000000


def _fitdecode_sessions(path: Path) -> list[dict]:
    """Every session as fitdecode reads it, with the activity message for system-time starts."""
    sessions, activity = [], {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with fitdecode.FitReader(str(path), check_crc=fitdecode.CrcCheck.ENABLED) as reader:
            for frame in reader:
                if isinstance(frame, fitdecode.FitDataMessage) and frame.name in ("session", "activity"):
                    values = {f.name: f.value for f in frame.fields}
                    if frame.name == "session":
                        sessions.append(values)
                    else:
                        activity = values
    for s in sessions:
        s["_activity"] = activity
    return sessions


def _fitdecode_start(s: dict) -> dt.datetime:
    start = s["start_time"]
    if isinstance(start, dt.datetime):
        return start.replace(tzinfo=None)  # UTC, as read_fit(tz=UTC) gives it
    activity = s["_activity"]  # system time: placed by the activity's local_timestamp
    return activity["local_timestamp"].replace(tzinfo=None) - dt.timedelta(seconds=activity["timestamp"] - start)


def test_one_import_over_the_folder_gives_every_file_one_outcome(stridepod_cli, tmp_path):
    result = stridepod_cli("import", WATCH)
    assert result.exit_code == 2  # the broken files fail, after everything else is imported
    assert "Traceback" not in result.stderr + result.stdout
    lines = [ln for ln in result.stdout.splitlines() + result.stderr.splitlines()
             if ln.startswith((str(WATCH), f"error: {WATCH}"))]
    files = sorted(p for p in WATCH.rglob("*") if p.is_file())
    for p in files:  # one line per file, each naming it
        assert sum(ln.removeprefix("error: ").split(": ")[0] == str(p) for ln in lines) == 1, p
    failed = {ln.split(": ")[1].rsplit("/", 1)[-1] for ln in result.stderr.splitlines() if ln.startswith("error: ")}
    assert failed == BROKEN | {"test2.tcx"}  # test2.tcx is an empty file
    assert "14 files imported (14 runs, 1 walk, 0 mornings), 0 already imported, 33 skipped, 8 failed" \
        in result.stdout
    assert "garmin-fenix-5-walk.fit: FIT activity, 1 row read, 1 added or changed (1 walk)" in result.stdout
    assert "Settings.fit: skipped: a settings file: no runs or mornings" in result.stdout
    assert "2015-10-13-08-43-15.fit: skipped: session: a cycling session, not a run" in result.stdout
    # importing the same folder again changes nothing
    again = stridepod_cli("import", WATCH)
    assert "0 files imported (0 runs, 0 walks, 0 mornings), 14 already imported" in again.stdout
    with Store.open(tmp_path / "stridepod.db") as store:
        runs = store.runs()
    # 15 sessions in 14 files; Activity.fit and activity-settings.fit hold the same run, and
    # so do no_hr.tcx and test.tcx (the same run with heart rate): stored once each
    assert len(runs) == 13
    assert all(r["start"][11:] != "00:00:00" for r in runs)  # start times are kept


@pytest.mark.parametrize("path", sorted(p for p in FIT_DIR.iterdir() if p.name not in BROKEN),
                         ids=lambda p: p.name)
def test_imported_fit_values_agree_with_fitdecode(path):
    """Every session of a run or walk: start, duration, distance, heart rate and cadence as
    fitdecode reads them (42 files; sessions of other sports must not become runs)."""
    parsed = read_fit(path, tz=dt.UTC)
    expected = [s for s in _fitdecode_sessions(path) if s.get("sport") in ("running", "walking", "hiking")]
    assert len(parsed.runs) == len(expected)
    for run, s in zip(parsed.runs, expected, strict=True):
        assert run.start == _fitdecode_start(s)
        assert run.duration_min == pytest.approx(s["total_timer_time"] / 60.0, abs=1e-9)
        distance = s.get("total_distance")
        assert run.distance_km == (pytest.approx(distance / 1000.0) if distance else None)
        assert (run.avg_hr, run.max_hr) == (s.get("avg_heart_rate"), s.get("max_heart_rate"))
        strides = s.get("avg_running_cadence", s.get("avg_cadence"))
        if strides is None:
            assert run.cadence_spm is None
        else:
            assert run.cadence_spm == pytest.approx(2 * (strides + (s.get("avg_fractional_cadence") or 0)))
        assert run.kind == ("walk_run" if s["sport"] != "running" else "")


def test_broken_fit_files_are_refused_with_one_line(stridepod_cli):
    for name in sorted(BROKEN):
        result = stridepod_cli("import", FIT_DIR / name)
        assert result.exit_code == 2, name
        assert result.stderr.startswith(f"error: {FIT_DIR / name}: FIT file is damaged ("), result.stderr
        assert result.stderr.count("\n") == 1
