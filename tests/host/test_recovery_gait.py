"""Gait warnings against the runner's own comparable runs, and the advice rules."""

import dataclasses
import datetime as dt

from recovery_scenarios import TODAY, day, training
from stridepod.recovery import Config, History, PainEntry, PlannedSession, Run, assess
from stridepod.recovery.advice import KNEE_STAGES, knee_stage


def _pod_runs(**recent):
    """8 weeks of pod runs; the last 2 weeks' gait fields replaced by `recent`."""
    steady = dict(cadence_spm=lambda r: 172 + r.gauss(0, 1), impact_g_peak=lambda r: 8.0 + r.gauss(0, 0.2),
                  asymmetry_pct=lambda r: 2.0 + r.gauss(0, 0.3), strike_heel=0.6, strike_mid=0.3, strike_fore=0.1,
                  steps=6000, impact_g_mean=2.5)
    runs = training(weeks=8, **steady)
    out = []
    for r in runs:
        if (TODAY - r.date).days < 14:
            r = dataclasses.replace(r, **recent)
        out.append(r)
    return out


def _warning(a, rule):
    return [w for w in a.gait if w.rule == rule]


def test_no_warnings_on_a_steady_runner():
    assert assess(History(runs=_pod_runs()), TODAY).gait == []


def test_cadence_drop_at_the_same_pace_is_shown_with_numbers():
    a = assess(History(runs=_pod_runs(cadence_spm=166.0)), TODAY)
    [w] = _warning(a, "gait.cadence_drop")
    assert w.numbers["recent"] == 166.0 and 171 <= w.numbers["baseline"] <= 173
    assert "spm below" in w.message and "same pace or effort" in w.message
    assert "Heiderscheit" in w.evidence


def test_rising_impact_peaks_and_asymmetry():
    a = assess(History(runs=_pod_runs(impact_g_peak=9.5, asymmetry_pct=7.0)), TODAY)
    [impact] = _warning(a, "gait.impact_rise")
    assert "% above" in impact.message and "not a diagnosis" in impact.evidence
    [asym] = _warning(a, "gait.asymmetry_rise")
    assert "up from" in asym.message and asym.numbers["recent"] == 7.0
    assert 1.5 < asym.numbers["baseline"] < 2.5


def test_strike_pattern_change():
    a = assess(History(runs=_pod_runs(strike_heel=0.2, strike_mid=0.4, strike_fore=0.4)), TODAY)
    [w] = _warning(a, "gait.strike_pattern")
    assert "Heel strikes 20 % of steps" in w.message and "60 %" in w.message
    assert set(w.numbers) == {"heel", "fore"}


def test_a_faster_run_is_not_compared_with_easy_runs():
    """Cadence rises with speed: comparing a fast run with easy ones would be meaningless."""
    runs = _pod_runs()
    fast = [Run(day(d), 30, pace_s_per_km=250.0, cadence_spm=160.0, source="pod") for d in (1, 3)]
    assert not _warning(assess(History(runs=runs + fast), TODAY), "gait.cadence_drop")


def test_cold_water_around_races_and_not_after_training_sessions():
    runs = training(weeks=4)
    plan = [PlannedSession(TODAY + dt.timedelta(days=3), "race", None, 21.1),
            PlannedSession(TODAY + dt.timedelta(days=4), "race", None, 10.0)]
    a = assess(History(runs=runs, plan=plan), TODAY, Config(deload_every_weeks=6))
    races = [r for r in a.advice if r.rule == "advice.cold_water"]
    assert len(races) == 2 and all("back-to-back race days" in r.message for r in races)
    assert "10-15 min at 11-15 C" in races[0].message
    b = assess(History(runs=runs), TODAY, Config(deload_every_weeks=6))
    [skip] = [r for r in b.advice if r.rule == "advice.cold_water"]
    assert "skip ice baths" in skip.message and "Roberts 2015" in skip.evidence


def test_knee_protocol_stages_follow_the_pain_log():
    runs = training(weeks=6)
    cfg = Config()
    severe = [PainEntry(day(1), "knee", 6, 4)]
    assert knee_stage(severe, runs, TODAY, cfg)[0].number == 1
    unsettled = [PainEntry(day(1), "knee", 4, 3)]
    assert knee_stage(unsettled, runs, TODAY, cfg)[0].number == 2
    settling = [PainEntry(day(ago), "knee", 3, 2) for ago in range(1, 4)]
    assert knee_stage(settling, runs, TODAY, cfg)[0].number == 3
    week = [PainEntry(day(ago), "knee", 2, 1) for ago in range(0, 8)]
    assert knee_stage(week, runs, TODAY, cfg)[0].number == 4
    quiet = [PainEntry(day(ago), "knee", 1, 0) for ago in range(0, 20)]
    stage, reason = knee_stage(quiet, runs, TODAY, cfg)
    assert stage.number == 5 and "Exit when: 28 days <= 1/10" in reason.message
    assert knee_stage([PainEntry(day(1), "shin", 6, 6)], runs, TODAY, cfg) is None
    assert all(s.entry and s.exit for s in KNEE_STAGES)
