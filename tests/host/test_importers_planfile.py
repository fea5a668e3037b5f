"""Plan files in YAML: the same fields and checks as the CSV plan."""

import datetime as dt

import pytest

from stridepod.errors import StridepodError
from stridepod.importers.planfile import read_plan
from stridepod.recovery import Goal, PlannedSession

D = dt.date(2026, 11, 24)


def test_yaml_plan_with_goal_race(write_file):
    plan = read_plan(write_file("plan.yaml", """
goal_race: {date: 2026-12-13, name: City half, distance_km: 21.1}
sessions:
  - {date: 2026-11-24, kind: intervals, duration_min: 50, intensity: 90% HRmax}
  - {date: 2026-11-25, kind: quality, duration_min: 40, back_to_back: yes}
  - date: 2026-11-26
    kind: Strength & mobility
    duration_min: 30
  - {date: 2026-11-27, kind: rest}
"""))
    assert plan.goal == Goal(dt.date(2026, 12, 13), "City half", 21.1)
    assert plan.sessions[0] == PlannedSession(D, "quality", 50.0, None, "90% HRmax")
    assert plan.sessions[1].back_to_back and not plan.sessions[0].back_to_back
    assert [s.kind for s in plan.sessions] == ["quality", "quality", "strength", "rest", "race"]


def test_goal_race_already_listed_is_not_doubled(write_file):
    plan = read_plan(write_file("plan.yaml", """
goal_race: {date: 2026-11-29, name: parkrun}
sessions:
  - {date: 2026-11-29, kind: race, distance_km: 5}
"""))
    assert plan.sessions == [PlannedSession(dt.date(2026, 11, 29), "race", None, 5.0, "parkrun")]
    assert plan.goal == Goal(dt.date(2026, 11, 29), "parkrun", 5.0)


@pytest.mark.parametrize("text, message", [
    ("sessions: [{date: 2026-11-24, kind: jog, duration_min: 30}]", "plan.yaml:session 1: kind 'jog' is not one of"),
    ("sessions: [{date: 2026-11-24, kind: easy}]", "session 1: easy session needs duration_min"),
    ("sessions: [{date: 2026-11-24, kind: easy, minutes: 30}]", "unknown field\\(s\\) minutes"),
    ("sessions: [{date: 24.11.2026, kind: rest}]", "date '24.11.2026' is not a YYYY-MM-DD date"),
    ("sessions: [{date: 2026-11-24, kind: easy, duration_min: [30]}]", "holds a list"),
    ("sessions: [easy]", "each session is a mapping"),
    ("plan: []", "expected a mapping with a 'sessions' list"),
    ("sessions: []\nweeks: 3", "unknown top-level field"),
    ("goal_race: {name: x}\nsessions: []", "goal_race needs date"),
    ("sessions: [\n  {date: 2026-11-24\n", "plan.yaml:3: not valid YAML"),
])
def test_yaml_errors_are_one_line(write_file, text, message):
    with pytest.raises(StridepodError, match=message):
        read_plan(write_file("plan.yaml", text))


def test_plan_dispatch_by_extension(tmp_path):
    csv = tmp_path / "plan.csv"
    csv.write_text("date,kind,duration_min\n2026-11-24,easy,30\n")
    assert read_plan(csv).sessions == [PlannedSession(D, "easy", 30.0)]
    with pytest.raises(StridepodError, match=r"plan files are \.csv, \.yaml or \.yml"):
        read_plan(tmp_path / "plan.txt")
    with pytest.raises(StridepodError, match="cannot read"):
        read_plan(tmp_path / "absent.yml")
