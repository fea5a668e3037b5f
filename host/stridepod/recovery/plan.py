"""Next week's plan: propose one from history (or take the runner's), then adjust it with the
rules (return to run, pain, deload, easy-HR re-check, readiness, block spacing, run spike,
weekly growth). Every change carries its reasons."""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from stridepod.recovery import evidence, plan_words
from stridepod.recovery.advice import PainGate
from stridepod.recovery.config import Config
from stridepod.recovery.model import HARD_KINDS, Goal, PlannedSession, Reason, Run, kind_words

DEFAULT_PACE_S_PER_KM = 360.0
DAY = dt.timedelta(days=1)


@dataclass
class TrainingState:
    """What the history says about where the runner is in the cycle."""

    week_minutes: list[float]  # [last 7 days, the 7 before, ...]
    runs_per_week: int  # run days a week (3-6) over the weeks with running of the last 4
    weeks_in_block: int  # training weeks since the last step-back week (0 = last week was one)
    next_week_is_deload: bool
    days_since_last_run: int | None
    returning_week: int | None  # 1, 2, ... weeks since running resumed after a layoff
    typical_pace: float
    longest_30d_min: float | None
    block_began: str = "step-back"  # what ended the count of weeks_in_block: "step-back",
    # "no running" (a week without running), "first run" or "history" (the 12 weeks looked at)
    last_run: dt.date | None = None
    cadence_spm: float | None = None  # median of the last 4 weeks' runs that carry one
    reasons: list[Reason] = field(default_factory=list)  # where the runner is, in words


@dataclass(frozen=True)
class PlanChange:
    date: dt.date
    before: PlannedSession | None
    after: PlannedSession | None
    reasons: tuple[Reason, ...]


@dataclass
class WeekPlan:
    source: str  # "proposed" or "supplied"
    proposed: list[PlannedSession]
    adjusted: list[PlannedSession]
    changes: list[PlanChange]
    state: TrainingState
    notes: list[Reason]


def training_state(runs: list[Run], week_minutes_series: np.ndarray, today: dt.date, cfg: Config) -> TrainingState:
    # the last 12 weeks; weeks before the first record had no running
    last = len(week_minutes_series) - 1
    weeks = [float(week_minutes_series[last - 7 * w]) if last - 7 * w >= 0 else 0.0 for w in range(12)]
    past = [r for r in runs if r.date <= today]
    last_run = max((r.date for r in past), default=None)
    days_since = (today - last_run).days if last_run else None
    run_days = [len({r.date for r in past if 7 * w <= (today - r.date).days < 7 * (w + 1)}) for w in range(4)]
    active = [n for n in run_days if n]
    in_block, began = _weeks_in_block(weeks, cfg)
    returning = _returning(past, weeks, days_since, today, cfg)
    paces = [r.pace for r in past if r.pace and (today - r.date).days < 42]
    recent = [r for r in past if (today - r.date).days < cfg.spike_lookback_days]
    cadences = [r.cadence_spm for r in past if r.cadence_spm and (today - r.date).days < 28]
    state = TrainingState(
        week_minutes=weeks,
        runs_per_week=int(min(6, max(3, round(statistics.median(active))))) if active else 3,
        weeks_in_block=in_block, block_began=began,
        next_week_is_deload=in_block + 1 >= cfg.deload_every_weeks and returning is None,
        days_since_last_run=days_since, returning_week=returning, last_run=last_run,
        typical_pace=statistics.median(paces) if paces else DEFAULT_PACE_S_PER_KM,
        longest_30d_min=max((r.duration_min for r in recent), default=None),
        cadence_spm=statistics.median(cadences) if cadences else None,
    )
    state.reasons.append(Reason(
        "plan.state",
        plan_words.running_sentence(weeks, state.runs_per_week, len(active), state.cadence_spm, last_run,
                                    today, cfg)
        + " " + plan_words.block_sentence(in_block, began, returning, state.next_week_is_deload, cfg),
        {"week_min": round(weeks[0]), "previous_week_min": round(weeks[1]), "runs_per_week": state.runs_per_week,
         "weeks_in_block": in_block, "cycle_weeks": cfg.deload_every_weeks, "returning_week": returning,
         "last_run": last_run.isoformat() if last_run else None},
        baseline="runs of the last 12 weeks", evidence=evidence.DELOAD))
    return state


def _weeks_in_block(weeks: list[float], cfg: Config) -> tuple[int, str]:
    """Training weeks since the last step-back week - a week under deload_detect_ratio of
    the mean of the 3 weeks before it (the weeks after it when the history starts right
    before it) - and what ended the count ("step-back", "no running", "first run" or
    "history")."""
    for w, minutes in enumerate(weeks):
        if minutes == 0:
            return w, "no running" if any(weeks[w:]) else "first run"
        around = [m for m in weeks[w + 1:w + 4] if m > 0] or [m for m in weeks[max(0, w - 3):w] if m > 0]
        if around and minutes < cfg.deload_detect_ratio * (sum(around) / len(around)):
            return w, "step-back"
    return len(weeks), "history"


def _returning(past: list[Run], weeks: list[float], days_since: int | None, today: dt.date,
               cfg: Config) -> int | None:
    """Next week's number in a return to running (the first run after a gap of >= layoff_days;
    no runs at all start the same way), or None."""
    if days_since is None or days_since >= cfg.layoff_days:
        return 1
    dates = sorted({r.date for r in past}, reverse=True)
    for later, earlier in zip(dates, dates[1:], strict=False):
        if (later - earlier).days >= cfg.layoff_days:
            return _return_week(weeks, (today - later).days // 7 + 1, cfg)
    return None


def _return_week(weeks: list[float], weeks_back: int, cfg: Config) -> int | None:
    """Next week's number since running resumed, or None once volume has rebuilt: the last
    `rebuild_weeks_before_intensity` weeks all had running and none fell under 80 % of the
    week before (a stalled return keeps the return rules, whatever the calendar says)."""
    n = cfg.rebuild_weeks_before_intensity
    recent = weeks[:n]
    rebuilt = (weeks_back >= n and all(m > 0 for m in recent)
               and all(recent[w] >= 0.8 * recent[w + 1] for w in range(n - 1)))
    if rebuilt or weeks_back >= len(weeks):
        return None
    return weeks_back + 1


def _minutes(s: PlannedSession, pace: float) -> float:
    if s.duration_min is not None:
        return s.duration_min
    if s.distance_km is not None:
        return s.distance_km * pace / 60.0
    return 0.0


def _scaled(s: PlannedSession, factor: float) -> PlannedSession:
    return dataclasses.replace(
        s,
        duration_min=None if s.duration_min is None else round(s.duration_min * factor),
        distance_km=None if s.distance_km is None else round(s.distance_km * factor, 1),
    )


def _as_easy(s: PlannedSession, note: str = "conversational") -> PlannedSession:
    return dataclasses.replace(s, kind="easy", intensity=note, back_to_back=False)


# weekday slots: long run Sunday, quality Tuesday and Thursday, easy runs fill Sat/Wed/Fri/Mon
LONG_DAY, QUALITY_DAYS, EASY_DAYS = 6, (1, 3), (5, 2, 4, 0)
LONG_WEIGHT, QUALITY_WEIGHT = 1.6, 0.9


def propose_week(state: TrainingState, today: dt.date, goal: Goal | None, cfg: Config) -> list[PlannedSession]:
    """A week in the runner's own pattern: same number of runs, last week's volume + the
    allowed growth (the adjustment rules then cap or cut it), one long run, quality days
    apart from each other."""
    last = state.week_minutes[0] if state.week_minutes else 0.0
    if state.weeks_in_block == 0 and len(state.week_minutes) > 1:  # last week was a step-back
        last = max(state.week_minutes[1:4], default=last)
    total = max(last * (1 + cfg.weekly_growth_max), cfg.return_first_week_min)
    n_runs = state.runs_per_week
    n_quality = min(cfg.quality_per_week, 1 if n_runs < 5 else 2)
    days = [today + DAY * i for i in range(1, 8)]
    by_weekday = {d.weekday(): d for d in days}
    easy_slots = list(EASY_DAYS)[: max(0, n_runs - 1 - n_quality)]
    # the week's minutes shared by weight: a long run is 1.6 easy runs, a quality session 0.9
    unit = total / (LONG_WEIGHT + QUALITY_WEIGHT * n_quality + len(easy_slots))
    long_min, q_min, easy_min = round(LONG_WEIGHT * unit), round(QUALITY_WEIGHT * unit), round(unit)
    sessions: list[PlannedSession] = []
    sessions.append(PlannedSession(by_weekday[LONG_DAY], "long", long_min, None, "easy pace, 70-75 % HRmax"))
    for wd in QUALITY_DAYS[:n_quality]:
        sessions.append(PlannedSession(by_weekday[wd], "quality", q_min, None, "intervals at ~90 % HRmax"))
    for wd in easy_slots:
        sessions.append(PlannedSession(by_weekday[wd], "easy", easy_min, None, "conversational"))
    used = {s.date for s in sessions}
    for d in days:
        if d not in used:
            kind = "strength" if d.weekday() in (0, 4) else "rest"
            sessions.append(PlannedSession(d, kind, 30 if kind == "strength" else None, None,
                                           "strength and mobility" if kind == "strength" else ""))
    if goal and days[0] <= goal.date <= days[-1]:
        sessions = _fit_race(sessions, goal)
    return sorted(sessions, key=lambda s: (s.date, s.kind))


def _fit_race(sessions: list[PlannedSession], goal: Goal) -> list[PlannedSession]:
    """Race day replaces that day; the two days before are short and easy, the day after rest."""
    out = []
    for s in sessions:
        gap = (goal.date - s.date).days
        if gap == 0:
            continue
        if gap == -1:
            s = PlannedSession(s.date, "rest")
        elif 1 <= gap <= 3 and s.kind not in ("rest", "strength"):
            s = dataclasses.replace(_as_easy(s), duration_min=min(s.duration_min or 30, 30))
        elif 1 <= gap <= 2 and s.kind == "strength":
            s = PlannedSession(s.date, "rest")
        out.append(s)
    out.append(PlannedSession(goal.date, "race", None, goal.distance_km, goal.name))
    return out


class _Adjuster:
    """Applies rules to a list of sessions, remembering the reasons per original session."""

    def __init__(self, sessions: list[PlannedSession], pace: float):
        self.sessions = list(sessions)
        self.original = list(sessions)
        self.reasons: list[list[Reason]] = [[] for _ in sessions]
        self.pace = pace
        self.cut = 1.0  # the strongest volume cut applied so far (cuts do not compound)

    def replace(self, i: int, new: PlannedSession, reason: Reason) -> None:
        if new != self.sessions[i]:
            self.sessions[i] = new
            self.explain(i, reason)

    def explain(self, i: int, reason: Reason) -> None:
        if reason not in self.reasons[i]:
            self.reasons[i].append(reason)

    def running(self) -> list[int]:
        return [i for i, s in enumerate(self.sessions) if s.kind not in ("rest", "strength")]

    def total(self) -> float:
        return sum(_minutes(self.sessions[i], self.pace) for i in self.running())

    def scale_volume(self, factor: float, reason: Reason, keep_race: bool = True) -> None:
        for i in self.running():
            if keep_race and self.sessions[i].kind == "race":
                continue
            self.replace(i, _scaled(self.sessions[i], factor), reason)

    def cut_volume(self, factor: float, reason: Reason) -> None:
        """Volume to `factor` of the plan. Several rules asking for a cut do not multiply:
        the strongest applies, and every session it shortened names all of them."""
        if factor < self.cut:
            self.scale_volume(factor / self.cut, reason)
            self.cut = factor
        else:
            for i in self.running():
                if self.sessions[i].kind != "race" and self.sessions[i] != self.original[i]:
                    self.explain(i, reason)

    def drop_quality(self, reason: Reason, note: str = "conversational") -> None:
        for i, s in enumerate(self.sessions):
            if s.kind == "quality":
                self.replace(i, _as_easy(s, note), reason)

    def changes(self) -> list[PlanChange]:
        out = [PlanChange(o.date, o, s, tuple(r)) for o, s, r in zip(self.original, self.sessions, self.reasons, strict=True)
               if o != s]
        return sorted(out, key=lambda c: (c.date, c.before.kind if c.before else ""))


def _easy_hr_and_pace(runs: Iterable[Run]) -> list[tuple[Run, float, float]]:
    """(run, average HR, pace) of the easy runs that have both."""
    out = []
    for r in runs:
        hr, pace = r.avg_hr, r.pace
        if hr and pace and r.kind not in ("quality", "race"):
            out.append((r, hr, pace))
    return out


def _hr_recheck(runs: list[Run], today: dt.date, cfg: Config) -> tuple[bool, Reason]:
    """After a deload week: is easy-pace HR back to (or under) its level before the block?"""
    block_start = today - DAY * (7 * cfg.deload_every_weeks)
    reference = _easy_hr_and_pace(r for r in runs if block_start - DAY * 42 <= r.date < block_start)
    current = sorted(_easy_hr_and_pace(r for r in runs if 0 <= (today - r.date).days < 7),
                     key=lambda e: e[0].date, reverse=True)
    for run, hr, pace in current:
        same_pace = [ref_hr for _, ref_hr, ref_pace in reference
                     if abs(ref_pace - pace) <= cfg.hr_recheck_pace_band_s]
        if same_pace:
            ref = statistics.median(same_pace)
            diff = hr - ref
            ok = diff <= cfg.hr_recheck_tolerance_bpm
            return ok, Reason(
                "deload.hr_recheck",
                f"Easy run on {run.date} at {_pace(pace)}: {hr:.0f} bpm vs {ref:.0f} bpm at the same "
                f"pace before the block ({diff:+.0f} bpm; allowed +{cfg.hr_recheck_tolerance_bpm:g})"
                + ("" if ok else ": not back yet, the quality session waits."),
                {"hr_now": hr, "hr_before_block": ref, "diff_bpm": round(diff, 1),
                 "pace_s_per_km": round(pace), "comparable_runs": len(same_pace)},
                baseline=f"easy runs within {cfg.hr_recheck_pace_band_s:g} s/km in the 6 weeks before the block",
                changed="" if ok else "quality session replaced by an easy run",
                evidence=evidence.HR_RECHECK)
    return False, Reason(
        "deload.hr_recheck",
        "No easy run with heart rate at a pace comparable to before the block: run easy first and "
        "compare heart rate before the next quality session.",
        {"reference_runs": len(reference), "recent_runs": len(current)},
        baseline="easy runs in the 6 weeks before the block",
        changed="first quality session replaced by an easy check run", evidence=evidence.HR_RECHECK)


def _pace(s: float) -> str:
    return f"{int(s // 60)}:{int(round(s % 60)):02d}/km"


def adjust_week(
    sessions: list[PlannedSession], state: TrainingState, runs: list[Run], today: dt.date,
    readiness_cut: bool, readiness_reason: Reason, pain: PainGate, cfg: Config,
) -> tuple[list[PlannedSession], list[PlanChange], list[Reason]]:
    """The rules in order, each on what the ones before left: return to run, pain, deload (or
    the easy-HR re-check after one), readiness, hard-day spacing, run spike, weekly growth.
    Returns the adjusted sessions, the changes with their reasons, and the notes of rules
    that looked and changed nothing."""
    adj = _Adjuster(sessions, state.typical_pace)
    notes: list[Reason] = []
    last_week = state.week_minutes[0] if state.week_minutes else 0.0
    if state.returning_week is not None:
        _return_to_run(adj, state, last_week, cfg)
    _pain_gate(adj, pain, notes, cfg)
    if state.next_week_is_deload:
        _deload_week(adj, state, today, cfg)
    elif state.weeks_in_block == 0 and state.week_minutes and state.week_minutes[0] > 0:
        _after_deload_hr_recheck(adj, runs, today, notes, cfg)
    if readiness_cut:
        adj.drop_quality(readiness_reason)
        adj.cut_volume(1 - cfg.readiness_volume_cut, readiness_reason)
    _space_hard_days(adj, [today + DAY * k for k in range(1, 8)],
                     {r.date for r in runs if r.date == today and r.kind in HARD_KINDS})
    if state.longest_30d_min:
        _cap_run_spikes(adj, state.longest_30d_min, cfg)
    growth_max = cfg.return_growth_max if state.returning_week else cfg.weekly_growth_max
    base, base_words = _growth_base(state)
    if base >= cfg.weekly_growth_min_base_min:
        _cap_weekly_growth(adj, base, base_words, growth_max)
    return adj.sessions, adj.changes(), notes


def _growth_base(state: TrainingState) -> tuple[float, str]:
    """The week that growth is measured from: the last 7 days, except right after a
    step-back week, whose lowered volume is no base to grow from (the block resumes at the
    volume of the last training week before it)."""
    weeks = state.week_minutes
    last_week = weeks[0] if weeks else 0.0
    if (state.weeks_in_block == 0 and state.block_began == "step-back" and len(weeks) > 1
            and weeks[1] > last_week):
        return weeks[1], "the last training week before the step-back"
    return last_week, "the last 7 days"


def _return_to_run(adj: _Adjuster, state: TrainingState, last_week: float, cfg: Config) -> None:
    """Back after a layoff: no quality, walk-run in the first week, volume capped."""
    first = state.returning_week == 1
    cap = max(last_week * (1 + cfg.return_growth_max), cfg.return_first_week_min) if not first else cfg.return_first_week_min
    reason = Reason(
        "return.layoff",
        (f"Week 1 back: walk-run sessions (walk 1 min / run 2 min), {cap:.0f} min in the week, no "
         "intensity." if first else
         f"Week {state.returning_week} back: volume capped at {cap:.0f} min "
         f"(+{100 * cfg.return_growth_max:.0f} % on {last_week:.0f}), no intensity until "
         f"{cfg.rebuild_weeks_before_intensity} weeks of rebuilt volume."),
        {"days_off": state.days_since_last_run, "week_back": state.returning_week, "cap_min": round(cap),
         "last_week_min": round(last_week)},
        baseline=f"{plan_words.break_words(state.last_run, cfg)}: a break of {cfg.layoff_days} days or more",
        changed="walk-run, volume cap, quality removed", evidence=evidence.RETURN_TO_RUN)
    adj.drop_quality(reason, "walk 1 min / run 2 min" if first else "conversational")
    if first:
        for i in adj.running():
            s = adj.sessions[i]
            if s.kind != "race":
                adj.replace(i, dataclasses.replace(s, kind="walk_run", intensity="walk 1 min / run 2 min"), reason)
    total = adj.total()
    if total > cap:
        adj.scale_volume(cap / total, reason)


def _pain_gate(adj: _Adjuster, pain: PainGate, notes: list[Reason], cfg: Config) -> None:
    """Pain asking for a step back: no quality, volume cut; otherwise its verdict is a note."""
    if pain.decision == "step_back":
        adj.drop_quality(pain.reason)
        adj.cut_volume(cfg.pain_step_back_volume, pain.reason)
    else:
        notes.append(pain.reason)


def _deload_week(adj: _Adjuster, state: TrainingState, today: dt.date, cfg: Config) -> None:
    """The step-back week of the cycle: volume cut, the last quality session made easy, the
    first days strength and mobility."""
    reason = Reason(
        "deload.week",
        f"Volume at {100 * cfg.deload_volume:.0f} %, one quality session fewer, the first "
        f"{cfg.post_block_strength_days} days strength and mobility (why this week steps back: where you "
        "are in the block, above).",
        {"weeks_in_block": state.weeks_in_block, "cycle_weeks": cfg.deload_every_weeks,
         "volume_factor": cfg.deload_volume},
        baseline="weekly minutes of the last 12 weeks",
        changed=f"volume to {100 * cfg.deload_volume:.0f} %, one quality session removed",
        evidence=evidence.DELOAD)
    adj.cut_volume(cfg.deload_volume, reason)
    hard = [i for i, s in enumerate(adj.sessions) if s.kind == "quality"]
    if hard:
        adj.replace(hard[-1], _as_easy(adj.sessions[hard[-1]]), reason)
    for i, s in enumerate(adj.sessions):
        if (s.date - today).days <= cfg.post_block_strength_days and s.kind not in ("race", "strength"):
            adj.replace(i, PlannedSession(s.date, "strength", 30, None, "mobility and strength after the block"),
                        reason)


def _after_deload_hr_recheck(adj: _Adjuster, runs: list[Run], today: dt.date, notes: list[Reason],
                             cfg: Config) -> None:
    """The week after a deload: the first quality session waits until easy-pace HR is back."""
    quality = sorted((i for i, s in enumerate(adj.sessions) if s.kind == "quality"),
                     key=lambda i: adj.sessions[i].date)
    if quality:
        ok, reason = _hr_recheck(runs, today, cfg)
        if not ok:
            adj.replace(quality[0], _as_easy(adj.sessions[quality[0]], "easy; check heart rate at easy pace"),
                        reason)
        else:
            notes.append(reason)


def _cap_run_spikes(adj: _Adjuster, longest_30d_min: float, cfg: Config) -> None:
    """No run more than spike_ratio times the longest of the last spike_lookback_days."""
    limit = cfg.spike_ratio * longest_30d_min
    for i in adj.running():
        s = adj.sessions[i]
        minutes = _minutes(s, adj.pace)
        if s.kind != "race" and minutes > limit:
            adj.replace(i, _scaled(s, limit / minutes), Reason(
                "load.run_spike",
                f"Planned {kind_words(s.kind)} run of {minutes:.0f} min is more than {100 * (cfg.spike_ratio - 1):.0f} % "
                f"longer than the longest run of the last {cfg.spike_lookback_days} days "
                f"({longest_30d_min:.0f} min): capped at {limit:.0f} min.",
                {"planned_min": round(minutes), "longest_30d_min": round(longest_30d_min),
                 "cap_min": round(limit)},
                baseline=f"longest run of the last {cfg.spike_lookback_days} days",
                changed=f"shortened to {limit:.0f} min", evidence=evidence.SPIKE))


def _cap_weekly_growth(adj: _Adjuster, last_week: float, base_words: str, growth_max: float) -> None:
    """The week's running minutes at most the base week's + growth_max; a race keeps its
    length."""
    cap = last_week * (1 + growth_max)
    total = adj.total()
    race = sum(_minutes(adj.sessions[i], adj.pace) for i in adj.running() if adj.sessions[i].kind == "race")
    if total > cap and total - race > 0:
        factor = max(0.0, cap - race) / (total - race)
        adj.scale_volume(factor, Reason(
            "load.weekly_growth",
            f"Planned {total:.0f} min is {100 * (total / last_week - 1):.0f} % over {base_words} "
            f"({last_week:.0f} min); capped at +{100 * growth_max:.0f} % = {cap:.0f} min.",
            {"planned_min": round(total), "last_week_min": round(last_week), "cap_min": round(cap)},
            baseline=f"running minutes of {base_words}", changed=f"scaled by {factor:.2f}",
            evidence=evidence.TEN_PERCENT))


def _space_hard_days(adj: _Adjuster, days: list[dt.date], done_hard: set[dt.date]) -> None:
    """Never two hard sessions on consecutive days unless the plan says so: move the second
    to a free day of the week not next to another hard day, else make it easy. `done_hard`
    holds the dates of hard runs already done (today's counts for tomorrow)."""

    def hard_dates() -> set[dt.date]:
        return {s.date for s in adj.sessions if s.is_hard} | done_hard

    for i in sorted(range(len(adj.sessions)), key=lambda i: adj.sessions[i].date):
        s = adj.sessions[i]
        prev = s.date - DAY
        if s.kind != "quality" or s.back_to_back or prev not in hard_dates():
            continue
        others = hard_dates() - {s.date}
        occupied = {x.date for x in adj.sessions if x.kind != "rest"}
        free = [d for d in days if d > s.date and d not in occupied
                and d - DAY not in others and d + DAY not in others]
        if free:
            new = dataclasses.replace(s, date=free[0])
            what = f"moved to {free[0]}"
        else:
            new = _as_easy(s)
            what = "made easy (no free day)"
        reason = Reason(
            "block.spacing",
            f"Quality session on {s.date} follows a hard session on {prev}: {what}.",
            {"date": s.date.isoformat(), "previous_hard": prev.isoformat()},
            baseline="hard days separated by easy days", changed=what, evidence=evidence.BLOCK)
        adj.replace(i, new, reason)
        if free:  # a rest day on the free slot swaps places with the moved session
            for j, x in enumerate(adj.sessions):
                if j != i and x.date == free[0] and x.kind == "rest":
                    adj.replace(j, dataclasses.replace(x, date=s.date), reason)
