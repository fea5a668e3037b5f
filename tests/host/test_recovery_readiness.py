"""Readiness scenarios: each signal, calibration, glitches and the two-of-three cut."""

import dataclasses
import datetime as dt
import re

import pytest

from recovery_scenarios import TODAY, day, training, wellness
from stridepod.recovery import History, assess
from stridepod.report.summary import verdict


def test_hrv_7_day_mean_below_normal_range_drifts_with_numbers():
    w = wellness(edits={ago: {"rmssd_ms": 44.0 + ago} for ago in range(7)})
    a = assess(History(wellness=w), TODAY)
    hrv = a.readiness.signals["hrv"]
    assert hrv.state == "drifting"
    assert hrv.short_mean < hrv.baseline_low
    assert "below your normal range" in hrv.reason.message
    assert f"{hrv.short_mean:.0f} ms" in hrv.reason.message
    assert "60-day mean +/- 0.75 SD" in hrv.reason.baseline and hrv.baseline_count == 60
    assert hrv.calibrated and hrv.confidence == "good" and "confidence good" in hrv.reason.baseline
    assert not a.readiness.cut_next_week  # one signal is not enough
    assert "1 of 3 signals drifting (HRV)" in a.readiness.reason.message
    assert verdict(a) == ("watch", "Train as planned, keep an eye on HRV")


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


def test_sleep_drifts_when_nights_are_short_and_under_the_persons_usual():
    w = wellness(edits={1: {"sleep_h": 6.2}, 3: {"sleep_h": 6.5}, 5: {"sleep_h": 6.0}})
    sleep = assess(History(wellness=w), TODAY).readiness.signals["sleep"]
    assert sleep.state == "drifting"
    assert sleep.reason.message.startswith("Sleep is short and under your usual: 7-day mean 7.2 h against "
                                           "your usual 7.8 h (the limit is 7.3 h)")
    assert "3 of the last 7 recorded nights under 7 h" in sleep.reason.message
    assert "Weak" in sleep.reason.evidence and "Walsh 2021" in sleep.reason.evidence
    heavy = training(weeks=6, minutes=(90, 100, 90, 150))
    sleep = assess(History(wellness=wellness(sleep=7.6), runs=heavy), TODAY).readiness.signals["sleep"]
    assert "personal target 8 h" in sleep.reason.message


def test_a_habitual_short_sleeper_gets_standing_advice_not_a_daily_drift():
    """6.3 h a night for three months: every week has short nights, but nothing changed."""
    a = assess(History(wellness=wellness(sleep=6.3)), TODAY)
    sleep = a.readiness.signals["sleep"]
    assert sleep.state == "ok" and "7 of the last 7 recorded nights under 7 h" in sleep.reason.message
    [habit] = [r for r in a.advice if r.rule == "advice.sleep_habit"]
    assert habit.message.startswith("Your usual night is 6.3 h (the last 60 days, 60 nights), under 7 h.")
    assert "Walsh 2021" in habit.evidence and not habit.changed
    assert verdict(a) == ("go", "Ready: train as planned")
    # the same person's bad week is a drift: shorter than their own usual, not only under 7 h
    worse = assess(History(wellness=wellness(sleep=6.3, edits={ago: {"sleep_h": 5.2} for ago in range(5)})),
                   TODAY)
    assert worse.readiness.signals["sleep"].state == "drifting"
    # a good sleeper's usual night is not under 7 h: no standing advice
    assert not [r for r in assess(History(wellness=wellness()), TODAY).advice if r.rule == "advice.sleep_habit"]


def _counts(message: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(r"(\d+) of (?:the )?(\d+)", message)]


def test_little_data_says_calibrating_and_what_is_missing_instead_of_guessing():
    w = [d for d in wellness(days=15) if d.date.day % 2 == 0]  # 7 or 8 mornings
    a = assess(History(wellness=w), TODAY)
    assert {n: s.state for n, s in a.readiness.signals.items()} == {
        "hrv": "calibrating", "rhr": "calibrating", "sleep": "calibrating"}
    hrv = a.readiness.signals["hrv"]
    assert not hrv.calibrated and hrv.confidence is None
    assert hrv.reason.message.startswith(f"HRV calibrating: {hrv.baseline_count} of the 9 mornings its "
                                         "baseline needs in the last 60 days (3 a week is enough).")
    level, headline = verdict(a)
    assert level == "unknown"
    assert headline == (f"Not enough data yet: HRV {hrv.baseline_count} of 9 mornings; resting HR "
                        f"{hrv.baseline_count} of 9 mornings; sleep {hrv.baseline_count} of 9 nights")
    assert "What to do: wear your watch or ring at night, at least 3 nights a week" in a.readiness.reason.message
    empty = assess(History(), TODAY)
    assert all(s.state == "calibrating" for s in empty.readiness.signals.values())
    assert verdict(empty) == ("unknown", "Not enough data yet: nothing recorded yet")
    assert [s.missing for s in empty.readiness.signals.values()] == ["no HRV yet", "no resting HR yet",
                                                                    "no sleep yet"]


def test_a_count_in_a_message_never_exceeds_what_it_is_counted_against():
    """Issue 17 saw "HRV calibrating: 7 of 4 mornings in 7 days" (7 recent mornings, too few
    in 60 days): a message says what is missing, never a count already met."""
    for days in range(0, 25):
        w = wellness(days=days)
        for signal in assess(History(wellness=w), TODAY).readiness.signals.values():
            if signal.state in ("calibrating", "sparse"):
                assert all(a < b for a, b in _counts(signal.reason.message)), signal.reason.message
                assert all(a < b for a, b in _counts(signal.missing)), signal.missing


def test_three_nights_a_week_calibrate_within_three_weeks_with_low_confidence_first():
    """A Fitbit worn Monday, Wednesday and Friday nights (Plews 2014: 3 mornings a week)."""
    sparse = [d for d in wellness(days=90) if d.date.weekday() in (0, 2, 4)]
    first = min(d.date for d in sparse)
    for ago in range(90):
        today = day(ago)
        if (today - first).days + 1 == 21:
            signals = assess(History(wellness=sparse), today).readiness.signals
            assert all(s.calibrated for s in signals.values())
    a = assess(History(wellness=sparse), day(2))  # a Friday: 3 mornings in the last 7
    assert a.readiness.enough_data and set(a.readiness.judged) == {"hrv", "rhr", "sleep"}
    assert a.readiness.signals["hrv"].confidence == "good"  # 26 mornings in 60 days
    early = assess(History(wellness=sparse), first + dt.timedelta(days=20)).readiness.signals["hrv"]
    assert early.confidence == "low" and "confidence low until 20" in early.reason.baseline
    missed = [d for d in sparse if d.date != day(4)]  # this week's Wednesday not worn
    hrv = assess(History(wellness=missed), TODAY).readiness.signals["hrv"]
    assert hrv.state == "sparse" and hrv.calibrated and hrv.short_count == 2
    assert hrv.missing == "HRV 2 of 3 mornings this week"
    assert hrv.reason.message.startswith("HRV not judged this week: 2 of the 3 mornings needed in the "
                                         "last 7 days")


def test_data_older_than_the_window_is_no_verdict():
    """Three-year-old mornings: nothing in the last 60 days, so nothing is judged and the
    verdict says so instead of "Ready"."""
    old = [dataclasses.replace(d, date=d.date - dt.timedelta(days=3 * 365)) for d in wellness(days=90)]
    a = assess(History(wellness=old, runs=training(weeks=8, start_ago=3 * 365)), TODAY)
    assert {s.state for s in a.readiness.signals.values()} == {"calibrating"}
    last = max(d.date for d in old)
    hrv = a.readiness.signals["hrv"]
    assert hrv.last_date == last
    assert f"no mornings recorded in the last 60 days (last: {last.day} {last:%B %Y})" in hrv.reason.message
    level, headline = verdict(a)
    assert (level, headline) == ("unknown", f"Not enough data yet: nothing recorded since {last.day} {last:%B %Y}")
    assert hrv.missing == f"no HRV since {last.day} {last:%B %Y}"


def test_one_judged_signal_is_not_enough_for_a_verdict():
    w = [dataclasses.replace(d, rmssd_ms=None, sleep_h=None) for d in wellness()]
    a = assess(History(wellness=w), TODAY)
    assert a.readiness.judged == ["rhr"] and not a.readiness.enough_data
    assert verdict(a)[0] == "unknown"


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
    assert hrv.reason.message == ("HRV calibrating: 10 mornings over 10 days; the baseline needs them spread "
                                  "over at least 14 days; baseline restarted 9 days ago when the source "
                                  "changed to 'strap'.")
    later = assess(History(wellness=old + new + [dataclasses.replace(d, date=d.date + dt.timedelta(days=4))
                                                 for d in new[-4:]]), TODAY + dt.timedelta(days=4))
    hrv = later.readiness.signals["hrv"]
    assert hrv.state == "ok" and hrv.confidence == "low"  # 14 mornings from the strap
    assert hrv.baseline_mean == pytest.approx(65 * 1.4, rel=0.1)  # the strap's own level
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
