"""FIT import through garmin-fit-sdk, on files written with the same SDK's encoder."""

import datetime as dt

import pytest
from garmin_fit_sdk import Encoder, Profile

from stridepod.errors import StridepodError
from stridepod.importers.fit import read_fit

MESG = Profile["mesg_num"]
T0 = dt.datetime(2026, 11, 20, 6, 30, tzinfo=dt.UTC)


def _fit(tmp_path, *messages, file_type="activity", name="a.fit"):
    enc = Encoder()
    enc.write_mesg({"mesg_num": MESG["FILE_ID"], "type": file_type, "manufacturer": "development",
                    "product": 1, "time_created": T0, "serial_number": 1})
    for m in messages:
        enc.write_mesg(m)
    path = tmp_path / name
    path.write_bytes(enc.close())
    return path


def test_running_session_becomes_a_run(tmp_path):
    p = _fit(tmp_path, {"mesg_num": MESG["SESSION"], "start_time": T0, "timestamp": T0 + dt.timedelta(minutes=45),
                        "sport": "running", "total_timer_time": 2700.0, "total_distance": 8000.0,
                        "avg_heart_rate": 145, "max_heart_rate": 171, "avg_cadence": 86,
                        "avg_fractional_cadence": 0.5, "avg_speed": 3.0},
             {"mesg_num": MESG["SESSION"], "start_time": T0, "sport": "cycling", "total_timer_time": 600.0})
    out = read_fit(p)
    [run] = out.runs
    assert (run.date, run.duration_min, run.distance_km, run.avg_hr, run.max_hr) == (T0.date(), 45.0, 8.0, 145, 171)
    assert run.source == "fit:a.fit"
    assert run.cadence_spm == 173.0  # 86.5 strides/min = 173 steps/min
    assert run.pace_s_per_km == pytest.approx(333.33, abs=0.01)
    assert out.notes == ["session 2: a cycling session, not a run"]
    assert run.start == T0.replace(tzinfo=None)  # the start time is kept (local time; tz=UTC here)


def test_wellness_fields_hrv_status_resting_hr_and_sleep(tmp_path):
    bed = T0 - dt.timedelta(hours=8)
    levels = ["light", "deep", "awake", "rem", "light", "awake"]
    p = _fit(tmp_path,
             {"mesg_num": MESG["HRV_STATUS_SUMMARY"], "timestamp": T0, "last_night_average": 55.0},
             # resting_heart_rate is Garmin's 7-day average; the day's own is current_day_...
             {"mesg_num": MESG["MONITORING_HR_DATA"], "timestamp": T0, "resting_heart_rate": 55,
              "current_day_resting_heart_rate": 51},
             *({"mesg_num": MESG["SLEEP_LEVEL"], "timestamp": bed + dt.timedelta(minutes=90 * i), "sleep_level": lv}
               for i, lv in enumerate(levels)), file_type="monitoring_b")
    [day] = read_fit(p).wellness
    assert (day.date, day.rmssd_ms, day.resting_hr) == (T0.date(), 55.0, 51.0)
    assert day.sleep_h == 6.0  # 4 asleep segments of 1.5 h; the awake one is not sleep
    # the calendar day follows the runner's time zone
    assert read_fit(p, tz=dt.timezone(dt.timedelta(hours=-8))).wellness[-1].date == T0.date() - dt.timedelta(days=1)


def test_stand_alone_beat_to_beat_recording_gives_morning_rmssd(tmp_path):
    rr = [0.9 + 0.03 * ((i * 7) % 5 - 2) for i in range(120)]
    rr[30] = 2.5  # missed beat
    p = _fit(tmp_path, *({"mesg_num": MESG["HRV"], "time": rr[i:i + 5]} for i in range(0, 120, 5)),
             file_type="monitoring_b")
    out = read_fit(p)
    [day] = out.wellness
    assert day.rmssd_ms > 0 and "1 of 120 beats removed (1 artifacts, 0 ectopic)" in out.notes[0]


def test_beat_to_beat_messages_holding_one_interval_each(tmp_path):
    # the SDK decodes a one-element array field as a bare number, not a list
    rr = [0.9 + 0.03 * ((i * 7) % 5 - 2) for i in range(80)]
    p = _fit(tmp_path, *({"mesg_num": MESG["HRV"], "time": [t]} for t in rr), file_type="monitoring_b")
    out = read_fit(p)
    [day] = out.wellness
    assert day.rmssd_ms > 0 and "0 of 80 beats removed" in out.notes[0]


def test_damaged_and_foreign_files_are_one_line_errors(tmp_path):
    good = _fit(tmp_path, {"mesg_num": MESG["SESSION"], "start_time": T0, "sport": "running",
                           "total_timer_time": 60.0}).read_bytes()
    damaged = tmp_path / "d.fit"
    damaged.write_bytes(good[:-5] + b"\x00" * 5)
    with pytest.raises(StridepodError, match="damaged"):
        read_fit(damaged)
    text = tmp_path / "t.fit"
    text.write_text("date,rpe\n")
    with pytest.raises(StridepodError, match="not a FIT file"):
        read_fit(text)
    with pytest.raises(StridepodError, match="cannot read"):
        read_fit(tmp_path / "missing.fit")
