"""Readiness scenarios: each signal, calibration, glitches and the two-of-three cut."""

import dataclasses

import pytest

from recovery_scenarios import TODAY, training, wellness
from stridepod.recovery import History, assess


def test_hrv_7_day_mean_below_normal_range_drifts_with_numbers():
    w = wellness(edits={ago: {"rmssd_ms": 44.0 + ago} for ago in range(7)})
    a = assess(History(wellness=w), TODAY)
    hrv = a.readiness.signals["hrv"]
    assert hrv.state == "drifting"
    assert hrv.short_mean < hrv.baseline_low
    assert "below the normal range" in hrv.reason.message
    assert f"{hrv.short_mean:.0f} ms" in hrv.reason.message
    assert "60-day mean +/- 0.75 SD" in hrv.reason.baseline and hrv.baseline_count == 60
    assert not a.readiness.cut_next_week  # one signal is not enough
    assert "1 of 3 signals drifting (hrv)" in a.readiness.reason.message


def test_hrv_falling_several_mornings_is_its_own_trigger():
    w = wellness(edits={3: {"rmssd_ms": 66.0}, 2: {"rmssd_ms": 62.0}, 1: {"rmssd_ms": 58.0},
                        0: {"rmssd_ms": 55.0}})
    a = assess(History(wellness=w), TODAY)
    hrv = a.readiness.signals["hrv"]
    assert hrv.state == "drifting" and hrv.reason.rule == "readiness.hrv_falling"
    assert "fell 3 mornings in a row to 55 ms" in hrv.reason.message


def test_resting_hr_rise_of_5_bpm_drifts_but_1_bpm_on_a_tiny_spread_does_not():
    risen = wellness(edits={ago: {"resting_hr": 57.5} for ago in range(7)})
    rhr = assess(History(wellness=risen), TODAY).readiness.signals["rhr"]
    assert rhr.state == "drifting" and rhr.reason.numbers["rise"] > 4
    assert "above the limit" in rhr.reason.message
    # a perfectly flat device reading: SD ~ 0, a 1 bpm rise must not look like a huge z-score
    flat = [dataclasses.replace(d, resting_hr=50.0 if (TODAY - d.date).days >= 7 else 51.0)
            for d in wellness()]
    rhr = assess(History(wellness=flat), TODAY).readiness.signals["rhr"]
    assert rhr.state == "ok"
    assert rhr.reason.numbers["limit"] == pytest.approx(rhr.reason.numbers["baseline"] + 3.0, abs=0.11)
    assert "within the limit" in rhr.reason.message


def test_sleep_short_three_of_seven_nights_and_high_volume_target():
    w = wellness(edits={1: {"sleep_h": 6.2}, 3: {"sleep_h": 6.5}, 5: {"sleep_h": 6.0}})
    sleep = assess(History(wellness=w), TODAY).readiness.signals["sleep"]
    assert sleep.state == "drifting"
    assert sleep.reason.message.startswith("3 of the last 7 recorded nights under 7 h")
    assert "Weak" in sleep.reason.evidence
    heavy = training(weeks=6, minutes=(90, 100, 90, 150))
    sleep = assess(History(wellness=wellness(sleep=7.6), runs=heavy), TODAY).readiness.signals["sleep"]
    assert "personal target 8 h" in sleep.reason.message


def test_little_data_says_calibrating_instead_of_guessing():
    w = [d for d in wellness(days=15) if d.date.day % 2 == 0]
    a = assess(History(wellness=w), TODAY)
    assert {n: s.state for n, s in a.readiness.signals.items()} == {
        "hrv": "calibrating", "rhr": "calibrating", "sleep": "ok"}
    assert "of 20 in 60 days" in a.readiness.signals["hrv"].reason.message
    assert "calibrating: hrv, rhr" in a.readiness.reason.message
    empty = assess(History(), TODAY)
    assert all(s.state == "calibrating" for s in empty.readiness.signals.values())


def test_single_night_glitches_and_implausible_values_are_dropped():
    w = wellness(edits={0: {"rmssd_ms": 240.0, "resting_hr": 250.0}, 20: {"rmssd_ms": 12.0}})
    a = assess(History(wellness=w), TODAY)
    base = assess(History(wellness=wellness()), TODAY)
    assert a.readiness.signals["hrv"].state == base.readiness.signals["hrv"].state == "ok"
    assert a.readiness.signals["hrv"].dropped_last_60d == 2  # the isolated spike and the dip
    assert a.readiness.signals["rhr"].dropped_last_60d == 1  # 250 bpm is not a heart at rest
    assert a.readiness.signals["hrv"].value_today is None


def test_two_of_three_cuts_next_week_but_keeps_the_goal_race():
    from stridepod.recovery import Goal

    w = wellness(edits={ago: {"rmssd_ms": 42.0, "resting_hr": 58.0} for ago in range(7)})
    runs = training(weeks=3)
    race = Goal(TODAY + __import__("datetime").timedelta(days=6), "parkrun", 5.0)
    a = assess(History(wellness=w, runs=runs, goal=race), TODAY)
    assert a.readiness.cut_next_week and a.readiness.drifting == ["hrv", "rhr"]
    assert "the next 7 days lose 30 % of volume" in a.readiness.reason.message
    assert not [s for s in a.plan.adjusted if s.kind == "quality"]
    assert [s for s in a.plan.adjusted if s.kind == "race"][0].date == race.date
    cut = [c for c in a.plan.changes if any(r.rule == "readiness.two_of_three" for r in c.reasons)]
    assert cut and all(c.after.kind != "race" for c in cut)
    before = sum(s.duration_min or 0 for s in a.plan.proposed if s.kind in ("easy", "long", "quality"))
    after = sum(s.duration_min or 0 for s in a.plan.adjusted if s.kind in ("easy", "long", "quality"))
    assert after <= 0.75 * before


def test_a_new_device_restarts_the_baseline_instead_of_raising_an_alarm():
    """A chest strap reads rMSSD ~40 % higher and RHR 4 bpm lower than the watch did."""
    old = [d for d in wellness(days=120, seed=4) if (TODAY - d.date).days >= 10]
    new = [dataclasses.replace(d, source="strap", rmssd_ms=d.rmssd_ms * 1.4, resting_hr=d.resting_hr - 4)
           for d in wellness(days=120, seed=4) if (TODAY - d.date).days < 10]
    a = assess(History(wellness=old + new), TODAY)
    hrv = a.readiness.signals["hrv"]
    assert hrv.state == "calibrating" and hrv.baseline_count == 10
    assert "baseline restarted 9 days ago when the source changed to 'strap'" in hrv.reason.message
    # the same step from one device would be a real change
    same = [dataclasses.replace(d, source="watch") for d in new]
    assert assess(History(wellness=old + same), TODAY).readiness.signals["hrv"].state == "ok"
    rhr_same = assess(History(wellness=old + [dataclasses.replace(d, resting_hr=d.resting_hr + 9) for d in same]), TODAY)
    assert rhr_same.readiness.signals["rhr"].state == "drifting"


def test_an_occasional_second_source_neither_mixes_in_nor_restarts_the_baseline():
    watch = wellness(days=90)
    strap = [dataclasses.replace(d, source="strap", rmssd_ms=d.rmssd_ms * 1.5)
             for d in watch if d.date.day % 5 == 0]
    a = assess(History(wellness=watch + strap), TODAY)
    b = assess(History(wellness=watch), TODAY)
    assert a.readiness.signals["hrv"] == b.readiness.signals["hrv"]  # the watch's values win
    assert a.readiness.signals["hrv"].baseline_count == 60


def test_files_imported_without_a_device_name_count_as_one_device():
    monthly = [dataclasses.replace(d, source=f"csv:wellness-{d.date:%Y-%m}.csv") for d in wellness(days=90)]
    hrv = assess(History(wellness=monthly), TODAY).readiness.signals["hrv"]
    assert hrv.state == "ok" and hrv.baseline_count == 60
