"""Plan scenarios: deload cycle, easy-HR re-check, return to run, pain gate, block spacing,
run spike and weekly growth, each checked by its verdict and its explanation."""

import dataclasses
import datetime as dt

from recovery_scenarios import TODAY, day, training, wellness
from stridepod.recovery import Config, History, PainEntry, PlannedSession, assess

NEXT = [TODAY + dt.timedelta(days=i) for i in range(1, 8)]
MID_BLOCK = Config(deload_every_weeks=6)  # 4 steady weeks are then not yet due a deload


def _running_minutes(sessions):
    return sum(s.duration_min or 0 for s in sessions if s.kind not in ("rest", "strength"))


def _reasons(a, rule):
    return [r for c in a.plan.changes for r in c.reasons if r.rule == rule]


def test_fourth_block_week_is_a_deload_with_half_volume_and_strength_days():
    runs = training(weeks=3) + training(weeks=1, start_ago=27, minutes=(20, 25, 20, 40))  # step-back 4 weeks ago
    a = assess(History(runs=runs), TODAY)
    assert a.plan.state.weeks_in_block == 3 and a.plan.state.next_week_is_deload
    deload = _reasons(a, "deload.week")
    assert deload and deload[0].message.startswith("Volume at 50 %, one quality session fewer")
    assert "Next week steps back: 3 training weeks" in a.plan.state.reasons[0].message  # why: said once
    assert _running_minutes(a.plan.adjusted) <= 0.55 * _running_minutes(a.plan.proposed)
    hard_before = sum(s.kind == "quality" for s in a.plan.proposed)
    assert sum(s.kind == "quality" for s in a.plan.adjusted) == hard_before - 1
    assert [s.kind for s in a.plan.adjusted[:2]] == ["strength", "strength"]
    # a 6-week cycle is configurable: the same history is then mid-block
    b = assess(History(runs=runs), TODAY, Config(deload_every_weeks=6))
    assert not b.plan.state.next_week_is_deload and not _reasons(b, "deload.week")


def test_after_a_deload_quality_waits_until_easy_heart_rate_is_back():
    block = training(weeks=4, start_ago=34) + training(weeks=4, start_ago=62)
    deload_week = training(weeks=1, minutes=(20, 30, 20, 40), hr=149.0)  # same pace, HR +7
    a = assess(History(runs=block + deload_week), TODAY)
    assert a.plan.state.weeks_in_block == 0
    check = _reasons(a, "deload.hr_recheck")
    assert check and "not back yet" in check[0].message and check[0].numbers["diff_bpm"] > 4
    first_quality = min(s.date for s in a.plan.proposed if s.kind == "quality")
    assert next(s for s in a.plan.adjusted if s.date == first_quality).kind == "easy"
    recovered = training(weeks=1, minutes=(20, 30, 20, 40), hr=141.0)
    b = assess(History(runs=block + recovered), TODAY)
    assert not _reasons(b, "deload.hr_recheck")
    assert any(n.rule == "deload.hr_recheck" and "not back" not in n.message for n in b.plan.notes)


def test_return_after_a_layoff_starts_with_walk_run_and_no_intensity():
    before = training(weeks=6, start_ago=80)
    a = assess(History(runs=before), TODAY)
    assert a.plan.state.returning_week == 1 and a.plan.state.days_since_last_run >= 21
    assert {s.kind for s in a.plan.adjusted} <= {"walk_run", "rest", "strength"}
    assert _running_minutes(a.plan.adjusted) <= 60
    why = _reasons(a, "return.layoff")[0]
    assert why.message.startswith("Week 1 back: walk-run sessions") and "Coyle 1984" in why.evidence
    assert why.baseline.startswith("no run in the last 21 days (last: ")
    new_runner = assess(History(wellness=wellness()), TODAY)
    assert new_runner.plan.state.returning_week == 1
    assert _reasons(new_runner, "return.layoff")[0].baseline.startswith("no runs recorded yet")
    # two weeks back: volume capped at +10 %, still no quality
    back = training(weeks=2, minutes=(30, 30, 30, 40))
    b = assess(History(runs=before + back), TODAY)
    assert b.plan.state.returning_week == 3
    assert not [s for s in b.plan.adjusted if s.kind == "quality"]
    last_week = b.plan.state.week_minutes[0]
    assert _running_minutes(b.plan.adjusted) <= 1.1 * last_week + 1
    # three steady weeks back: rebuilt, intensity may return
    rebuilt = training(weeks=3, minutes=(30, 30, 30, 40))
    c = assess(History(runs=before + rebuilt), TODAY, MID_BLOCK)
    assert c.plan.state.returning_week is None and not _reasons(c, "return.layoff")
    # a return that stalled (a week without running) keeps the return rules past week 3
    stalled = [r for r in training(weeks=4, minutes=(30, 30, 30, 40)) if not 7 <= (TODAY - r.date).days < 14]
    long_ago = training(weeks=6, start_ago=90)  # ends 7 weeks ago: the layoff is over 3 weeks
    d = assess(History(runs=long_ago + stalled), TODAY)
    assert d.plan.state.returning_week == 5
    assert "Week 5 back: volume capped" in _reasons(d, "return.layoff")[0].message
    assert "Next week is week 5 of the return to running" in d.plan.state.reasons[0].message


def test_pain_within_3_that_settles_progresses_more_steps_back():
    runs = training(weeks=4)
    ok = [PainEntry(day(1), "knee", during=3, next_morning=1)]
    a = assess(History(runs=runs, pain=ok), TODAY, MID_BLOCK)
    assert a.pain.decision == "progress" and "progression allowed" in a.pain.reason.message
    assert not _reasons(a, "pain.gate")
    bad = [PainEntry(day(1), "knee", during=3, next_morning=5)]
    b = assess(History(runs=runs, pain=bad), TODAY, MID_BLOCK)
    assert b.pain.decision == "step_back"
    assert "5/10 next morning (not settled)" in b.pain.reason.message
    assert not [s for s in b.plan.adjusted if s.kind == "quality"]
    assert _reasons(b, "pain.gate")
    assert b.knee_stage.number == 1 and "stage 1" in b.advice[-1].message


def test_supplied_plan_with_back_to_back_quality_is_spaced_unless_it_says_so():
    runs = training(weeks=4)
    plan = [PlannedSession(NEXT[0], "quality", 50, None, "6x800m"),
            PlannedSession(NEXT[1], "quality", 50, None, "tempo"),
            PlannedSession(NEXT[2], "easy", 40),
            PlannedSession(NEXT[3], "rest"),
            PlannedSession(NEXT[4], "easy", 40),
            PlannedSession(NEXT[5], "rest"),
            PlannedSession(NEXT[6], "long", 90)]
    a = assess(History(runs=runs, plan=plan), TODAY, MID_BLOCK)
    assert a.plan.source == "supplied"
    moved = _reasons(a, "block.spacing")
    assert moved and f"Quality session on {NEXT[1]} follows a hard session on {NEXT[0]}" in moved[0].message
    hard = sorted(s.date for s in a.plan.adjusted if s.is_hard)
    assert all((b - a_).days > 1 for a_, b in zip(hard, hard[1:], strict=False))
    # today's interval run counts too: a quality session tomorrow moves
    hard_today = [r if r.date != TODAY else dataclasses.replace(r, kind="quality") for r in runs]
    sparse = [PlannedSession(NEXT[0], "quality", 45), PlannedSession(NEXT[6], "long", 80)]
    c = assess(History(runs=hard_today, plan=sparse), TODAY, MID_BLOCK)
    [moved_sparse] = _reasons(c, "block.spacing")
    assert f"moved to {NEXT[1]}" in moved_sparse.message  # a day the plan left empty is free
    allowed = [dataclasses.replace(plan[1], back_to_back=True)] + plan[:1] + plan[2:]
    b = assess(History(runs=runs, plan=allowed), TODAY, MID_BLOCK)
    assert not _reasons(b, "block.spacing")


def test_planned_run_longer_than_the_spike_limit_is_capped():
    runs = training(weeks=4)  # longest run 90 min
    plan = [PlannedSession(NEXT[6], "long", 120), PlannedSession(NEXT[2], "easy", 40)]
    a = assess(History(runs=runs, plan=plan), TODAY, MID_BLOCK)
    long = next(s for s in a.plan.adjusted if s.kind == "long")
    assert long.duration_min == 99
    why = _reasons(a, "load.run_spike")[0]
    assert why.numbers == {"planned_min": 120, "longest_30d_min": 90, "cap_min": 99}
    assert "hazard ratio" in why.evidence


def test_weekly_growth_above_10_percent_is_scaled_back():
    runs = training(weeks=4)  # 240 min a week
    plan = [PlannedSession(d, "easy", 60) for d in NEXT[:5]] + [PlannedSession(NEXT[6], "long", 95)]
    a = assess(History(runs=runs, plan=plan), TODAY, MID_BLOCK)
    why = _reasons(a, "load.weekly_growth")
    assert why and why[0].numbers["last_week_min"] == 240 and why[0].numbers["cap_min"] == 264
    assert _running_minutes(a.plan.adjusted) <= 264 + 3  # rounding per session
    assert "10 %/week rule showed no effect" in why[0].evidence


def test_proposal_follows_the_runners_pattern_and_the_goal_race():
    from stridepod.recovery import Goal

    runs = training(weeks=5)
    a = assess(History(runs=runs, wellness=wellness()), TODAY)
    kinds = [s.kind for s in a.plan.proposed]
    assert kinds.count("long") == 1 and kinds.count("quality") == 1 and len(a.plan.proposed) == 7
    race = Goal(NEXT[5], "10 km race", 10.0)
    b = assess(History(runs=runs, goal=race), TODAY)
    assert next(s for s in b.plan.adjusted if s.date == NEXT[5]).kind == "race"
    assert next(s for s in b.plan.adjusted if s.date == NEXT[6]).kind == "rest"
    assert not [s for s in b.plan.adjusted if s.kind == "quality" and 0 < (race.date - s.date).days <= 3]
    assert any(r.rule == "advice.cold_water" and "Race on" in r.message for r in b.advice)


def test_one_sentence_says_where_the_runner_is_in_the_block():
    """Issue 17 saw "5 training weeks since the last step-back (cycle 4)" next to "next week is
    the step-back week of a 4-week cycle": one sentence now says the cycle, the weeks since
    the last step-back and why next week steps back."""
    on_time = training(weeks=3) + training(weeks=1, start_ago=27, minutes=(20, 25, 20, 40))
    [state] = assess(History(runs=on_time), TODAY).plan.state.reasons
    assert state.message.endswith("Next week steps back: 3 training weeks since your last step-back week, "
                                  "the 3 a 4-week block has.")
    [state] = assess(History(runs=training(weeks=5)), TODAY).plan.state.reasons
    assert state.message.endswith("Next week steps back: 5 training weeks since your first recorded run, "
                                  "2 more than the 3 a 4-week block has.")
    mid = training(weeks=1) + training(weeks=1, start_ago=13, minutes=(20, 25, 20, 40)) + training(
        weeks=3, start_ago=34)
    [state] = assess(History(runs=mid), TODAY).plan.state.reasons
    assert state.message.endswith("Next week is training week 2 of a 4-week block: 1 training week since "
                                  "your last step-back week; the step-back week comes after week 3.")
    for history in (History(runs=mid), History(runs=training(weeks=5)), History(runs=on_time)):
        a = assess(history, TODAY)  # the block is said once, in the same words as the step-back
        said = [r.message for r in a.plan.state.reasons + [r for c in a.plan.changes for r in c.reasons]]
        assert not [m for m in said if "cycle" in m or "since the last step-back" in m]


def test_a_break_from_running_is_said_with_its_date_not_a_rhythm_that_is_not_there():
    """Issue 17: "No runs in the history" next to "about 3 runs a week"."""
    [state] = assess(History(runs=training(weeks=6, start_ago=80)), TODAY).plan.state.reasons
    last = day(80 - 6 * 7 + 1 + 1)  # the last Sunday of those six weeks
    assert state.message.startswith(f"No run in the last 21 days (last: {last.day} {last:%B %Y}). Next week is "
                                    "week 1 of the return to running")
    assert "runs a week" not in state.message
    [state] = assess(History(wellness=wellness()), TODAY).plan.state.reasons
    assert state.message.startswith("No runs recorded yet.") and "runs a week" not in state.message


def test_the_week_after_a_step_back_grows_from_the_block_not_from_the_step_back():
    """A step-back week lowers volume on purpose: the week after resumes the block's volume
    (240 min here) and is capped at +10 % of that, not of the step-back's 110 min."""
    block = training(weeks=4, start_ago=34) + training(weeks=4, start_ago=62)
    step_back = training(weeks=1, minutes=(20, 30, 20, 40), hr=141.0)  # 110 min
    plan = [PlannedSession(NEXT[1], "easy", 45), PlannedSession(NEXT[3], "easy", 60),
            PlannedSession(NEXT[5], "easy", 45), PlannedSession(NEXT[6], "long", 90)]  # 240 min
    a = assess(History(runs=block + step_back, plan=plan), TODAY)
    assert a.plan.state.weeks_in_block == 0 and a.plan.state.block_began == "step-back"
    assert not _reasons(a, "load.weekly_growth")
    assert _running_minutes(a.plan.adjusted) == 240
    more = [PlannedSession(s.date, s.kind, s.duration_min + 15) for s in plan]  # 300 min
    b = assess(History(runs=block + step_back, plan=more), TODAY)
    why = _reasons(b, "load.weekly_growth")
    assert why and why[0].numbers["last_week_min"] == 240 and why[0].numbers["cap_min"] == 264
    assert "the last training week before the step-back" in why[0].message
