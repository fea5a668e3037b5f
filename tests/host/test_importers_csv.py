"""The documented CSV formats: good files parse, bad cells are one line naming file:line."""

import datetime as dt

import pytest

from stridepod.errors import StridepodError
from stridepod.importers.csvfiles import (
    RpeEntry,
    attach_rpe,
    read_pain_csv,
    read_plan_csv,
    read_rpe_csv,
    read_runs_csv,
    read_wellness_csv,
)
from stridepod.recovery import Goal, PainEntry, PlannedSession, Run, WellnessDay

D = dt.date(2026, 11, 20)


def test_wellness_csv_with_gaps_extra_columns_and_any_column_order(write_file):
    p = write_file("f.csv", "sleep_h,Date,rmssd_ms,resting_hr,notes\n7.5,2026-11-20,61.2,51,ok\n,2026-11-21,,50,\n\n")
    assert read_wellness_csv(p) == [
        WellnessDay(D, 51.0, 61.2, 7.5, "csv:f.csv"),
        WellnessDay(D + dt.timedelta(days=1), 50.0, None, None, "csv:f.csv"),
    ]


@pytest.mark.parametrize("text, message", [
    ("resting_hr\n50\n", "missing column(s) date"),
    ("date,resting_hr\n20/11/2026,50\n", "f.csv:2: date '20/11/2026' is not a YYYY-MM-DD date"),
    ("date,resting_hr\n2026-11-20,fifty\n", "f.csv:2: resting_hr 'fifty' is not a number"),
    ("date,sleep_h\n2026-11-20,7\n2026-11-21,30\n", "f.csv:3: sleep_h 30 is outside 0..24"),
])
def test_wellness_csv_errors_name_file_and_line(write_file, text, message):
    with pytest.raises(StridepodError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        read_wellness_csv(write_file("f.csv", text))


def test_unreadable_files_are_one_line_errors(tmp_path):
    with pytest.raises(StridepodError, match="cannot read"):
        read_wellness_csv(tmp_path / "absent.csv")
    bad = tmp_path / "bin.csv"
    bad.write_bytes(b"date\n\xff\xfe\x00")
    with pytest.raises(StridepodError, match="not a readable CSV"):
        read_wellness_csv(bad)


def test_runs_pain_and_rpe(write_file):
    runs = read_runs_csv(write_file("f.csv", "date,duration_min,distance_km,cadence_spm,kind,steps\n"
                                             "2026-11-20,45,8.1,172,Intervals,7700\n2026-11-20,20,,,,\n"))
    assert runs[0] == Run(D, 45.0, 8.1, cadence_spm=172.0, steps=7700, kind="quality", source="csv:f.csv")
    pain = read_pain_csv(write_file("p.csv", "date,site,during,next_morning\n2026-11-20,Knee,3,\n"))
    assert pain == [PainEntry(D, "knee", 3.0, None)]
    with pytest.raises(StridepodError, match="neither during nor next_morning"):
        read_pain_csv(write_file("p2.csv", "date,site,during\n2026-11-20,knee,\n"))
    rpe = read_rpe_csv(write_file("r.csv", "date,rpe,duration_min\n2026-11-20,7,44\n2026-11-22,5,\n"))
    assert rpe == [RpeEntry(D, 7.0, 44.0), RpeEntry(D + dt.timedelta(days=2), 5.0)]
    rated = attach_rpe(runs, rpe)
    assert [r.rpe for r in rated] == [7.0, None]  # the 45-min run, not the 20-min one; no run on the 22nd


def test_plan_csv_with_goal_race_and_aliases(write_file):
    text = ("date,kind,duration_min,distance_km,intensity,back_to_back,goal\n"
            "2026-11-20,Strength & mobility,30,,,,\n"
            "2026-11-21,quality,50,,90% HRmax,yes,\n"
            "2026-11-22,race,,21.1,City half,,yes\n"
            "2026-11-23,rest,,,,,\n")
    plan = read_plan_csv(write_file("f.csv", text))
    assert plan.goal == Goal(D + dt.timedelta(days=2), "City half", 21.1)
    assert plan.sessions[0] == PlannedSession(D, "strength", 30.0)
    assert plan.sessions[1].back_to_back and plan.sessions[1].intensity == "90% HRmax"
    assert [s.kind for s in plan.sessions] == ["strength", "quality", "race", "rest"]


@pytest.mark.parametrize("row, message", [
    ("2026-11-20,jog,30,,,,", "kind 'jog' is not one of"),
    ("2026-11-20,easy,,,,,", "easy session needs duration_min or distance_km"),
    ("2026-11-20,easy,30,,,,yes", "goal is only allowed on a race row"),
])
def test_plan_csv_errors(write_file, row, message):
    p = write_file("f.csv", "date,kind,duration_min,distance_km,intensity,back_to_back,goal\n" + row + "\n")
    with pytest.raises(StridepodError, match=message):
        read_plan_csv(p)
