"""`today`, `plan` and `report` on a realistic history imported through `stridepod import`:
the verdict, the plan changes and the report's figures and reasons."""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import random
import re

import pytest

from stridepod.store.database import Store

TODAY = dt.date(2026, 11, 22)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _write_history(tmp_path, *, strained: bool) -> list:
    """90 mornings and 8 weeks of running (with a step-back week) ending TODAY; with `strained`, the last week's
    HRV drops 35 % and resting HR rises 6 bpm (two of three signals drifting). Also a plan
    for the coming week with two quality sessions and knee pain that settled."""
    rng = random.Random(7)
    wellness = ["date,resting_hr,rmssd_ms,sleep_h"]
    for ago in range(89, -1, -1):
        day = TODAY - dt.timedelta(days=ago)
        hit = strained and ago < 7
        rhr = 52 + rng.gauss(0, 1.5) + (6 if hit else 0)
        rmssd = 65 * math.exp(rng.gauss(0, 0.1)) * (0.65 if hit else 1)
        sleep = 7.9 + rng.gauss(0, 0.3)
        wellness.append(f"{day},{rhr:.1f},{rmssd:.1f},{sleep:.2f}")
    runs = ["date,duration_min,distance_km,rpe,avg_hr,max_hr,kind"]
    for ago in range(55, -1, -1):
        day = TODAY - dt.timedelta(days=ago)
        if day.weekday() in (1, 3, 5, 6):
            quality = day.weekday() == 1
            minutes = {1: 45, 3: 50, 5: 40, 6: 80}[day.weekday()]
            if 14 <= ago <= 20:  # a step-back week, so next week is not due for a deload
                minutes //= 2
            runs.append(f"{day},{minutes},{minutes / 5.5:.2f},{7 if quality else 4},"
                        f"{160 if quality else 141},186,{'quality' if quality else 'easy'}")
    plan = ["date,kind,duration_min,intensity"]
    for offset, kind, minutes, intensity in ((1, "strength", 30, "mobility"),
                                             (2, "quality", 50, "6 x 3 min at 90% HRmax"),
                                             (4, "easy", 45, "conversational"),
                                             (5, "quality", 45, "tempo 3 x 10 min"),
                                             (7, "long", 85, "easy pace")):
        plan.append(f"{TODAY + dt.timedelta(days=offset)},{kind},{minutes},{intensity}")
    pain = ["date,site,during,next_morning", f"{TODAY - dt.timedelta(days=2)},knee,2,1"]
    files = []
    for name, lines in (("wellness.csv", wellness), ("runs.csv", runs), ("plan.csv", plan),
                        ("pain.csv", pain)):
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n")
        files.append(path)
    return files


@pytest.fixture
def strained(stridepod_cli, tmp_path):
    result = stridepod_cli("import", *_write_history(tmp_path, strained=True))
    assert result.exit_code == 0, result.stderr
    return stridepod_cli


def test_today_cuts_the_week_when_hrv_and_resting_hr_drift_together(strained):
    result = strained("today", "--date", TODAY)
    assert result.exit_code == 0, result.stderr
    assert "Back off: the next 7 days are cut" in result.stdout
    assert "2 of 3 signals drifting" in result.stdout
    verdict = json.loads(strained("today", "--date", TODAY, "--json").stdout)
    readiness = verdict["readiness"]
    assert readiness["cut_next_week"] is True
    assert sorted(readiness["drifting"]) == ["hrv", "rhr"]
    assert readiness["signals"]["hrv"]["reason"]["baseline"]  # the reason names its baseline
    assert verdict["load"]["convention"].startswith("CTL/ATL")


def test_plan_removes_quality_and_says_why(strained):
    week = json.loads(strained("plan", "--date", TODAY, "--json").stdout)
    assert week["source"] == "supplied"
    days = {d["date"]: d for d in week["days"]}
    assert len(days) == 7
    tuesday = days[str(TODAY + dt.timedelta(days=2))]
    assert not tuesday["session"].startswith("quality")
    assert tuesday["was"].startswith("quality 50 min")
    assert "readiness.two_of_three" in {r["rule"] for r in tuesday["reasons"]}
    table = strained("plan", "--date", TODAY).stdout
    assert "your plan" in table and "2 of 3 signals drifting" in table


def test_report_has_its_figures_and_the_reasons(strained, tmp_path):
    result = strained("report", "--date", TODAY, "-o", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.stderr
    written = json.loads(result.stdout)
    assert written["html"] == str(tmp_path / "out" / "report.html") and written["verdict"] == "stop"
    page = (tmp_path / "out" / "report.html").read_text()
    images = dict(re.findall(r'<figure id="fig-(\w+)">(?:<figcaption>[^<]*</figcaption>)?<img alt="[^"]*" '
                             r'src="data:image/png;base64,([^"]+)"', page))
    assert set(images) == {"hrv", "rhr", "sleep", "load", "gait"}  # one figure per signal
    for name, data in images.items():
        png = base64.b64decode(data)
        assert png.startswith(PNG_MAGIC) and len(png) > 10_000, name
        assert (tmp_path / "out" / f"{name}.png").read_bytes() == png
    # self-contained: opens offline, nothing fetched, nothing run
    assert not re.search(r'(src|href)="(?!data:)', page) and "<script" not in page
    assert 'id="verdict">Back off: the next 7 days are cut' in page
    assert 'data-rule="readiness.two_of_three"' in page
    plan = page[page.index('<div class="cards" id="plan">'):]
    assert plan.count('<div class="card day">') == 7  # a card per day
    assert "was: quality 50 min, 6 x 3 min at 90% HRmax" in plan  # what Tuesday was
    assert "why: readiness" in plan  # and why it changed, by name ...
    assert plan.count("2 of 3 signals drifting") == 1  # ... the reason itself written once
    assert "CTL_t = CTL_t-1" in page or "fitness" in page


def test_a_rested_runner_trains_as_planned(stridepod_cli, tmp_path):
    stridepod_cli("import", *_write_history(tmp_path, strained=False))
    verdict = json.loads(stridepod_cli("today", "--date", TODAY, "--json").stdout)
    assert verdict["readiness"]["cut_next_week"] is False
    week = json.loads(stridepod_cli("plan", "--date", TODAY, "--json").stdout)
    tuesday = week["days"][1]
    assert tuesday["session"] == "quality 50 min, 6 x 3 min at 90% HRmax" and tuesday["reasons"] == []


def test_an_empty_store_says_there_is_not_enough_data(stridepod_cli, tmp_path):
    Store.open(tmp_path / "stridepod.db").close()  # the fixture's database, created empty
    verdict = json.loads(stridepod_cli("today", "--json").stdout)
    assert {s["state"] for s in verdict["readiness"]["signals"].values()} == {"calibrating"}
    assert verdict["verdict"] == "unknown"
    assert verdict["headline"] == "Not enough data yet: nothing recorded yet"
    result = stridepod_cli("report", "-o", tmp_path / "empty")
    assert result.exit_code == 0, result.stderr
    page = (tmp_path / "empty" / "report.html").read_text()
    assert page.count('<span class="state-calibrating">calibrating</span>') == 3
    assert page.count("data:image/png;base64,") == 5
    assert 'id="verdict">Not enough data yet' in page


def test_read_commands_refuse_a_database_that_does_not_exist(stridepod_cli, tmp_path):
    """A mistyped --db used to create an empty database and say "Ready: train as planned"."""
    missing = tmp_path / "runnner.db"
    for args in (("today",), ("plan", "--json"), ("report", "-o", tmp_path / "r"), ("export", tmp_path / "x")):
        result = stridepod_cli("--db", missing, *args)
        assert result.exit_code == 2, args
        assert result.stderr == (f"error: no stridepod database at {missing}: import your data first "
                                 "(stridepod import FILE..., stridepod sync) or check --db\n")
        assert result.stdout == "" and not missing.exists()


def test_json_carries_the_verdict_and_the_plans_fields(strained):
    today = json.loads(strained("today", "--date", TODAY, "--json").stdout)
    assert (today["schema"], today["verdict"]) == (1, "stop")
    assert today["headline"] == "Back off: the next 7 days are cut"
    assert today["readiness"]["signals"]["hrv"]["calibrated"] is True
    assert today["readiness"]["signals"]["hrv"]["confidence"] == "good"
    week = json.loads(strained("plan", "--date", TODAY, "--json").stdout)
    assert week["schema"] == 1
    tuesday = week["days"][1]
    assert (tuesday["kind"], tuesday["minutes"], tuesday["intensity"]) == ("easy", 35, "conversational")
    assert tuesday["sessions"] == [{"kind": "easy", "minutes": 35, "distance_km": None,
                                    "intensity": "conversational", "text": tuesday["session"]}]
    assert tuesday["why"] == "readiness"
    wednesday = week["days"][2]
    assert (wednesday["kind"], wednesday["minutes"], wednesday["sessions"]) == ("rest", None, [])


def test_terminal_output_fits_80_columns(strained, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    for command in ("today", "plan"):
        out = strained(command, "--date", TODAY).stdout
        assert max(len(line) for line in out.splitlines()) <= 80, command
        assert not [line for line in out.splitlines() if line != line.rstrip()], command
        assert "Back off" in out or "2 of 3 signals" in out


def test_quiet_prints_nothing_but_json_still_works(strained):
    assert strained("--quiet", "today", "--date", TODAY).stdout == ""
    assert json.loads(strained("--quiet", "plan", "--date", TODAY, "--json").stdout)["days"]


def test_bad_database_and_bad_date_are_one_line_errors(stridepod_cli, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 200)
    result = stridepod_cli("--db", notes, "today")
    assert result.exit_code == 2 and result.stderr.startswith("error: ")
    assert "not a stridepod database" in result.stderr
    result = stridepod_cli("today", "--date", "22/11/2026")
    assert result.exit_code == 2 and "Invalid value for '--date'" in result.stderr
    result = stridepod_cli("--db", tmp_path, "today")
    assert result.exit_code == 2
