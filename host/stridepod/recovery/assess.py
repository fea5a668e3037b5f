"""The one entry point: `assess(history, today, config) -> Assessment`."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stridepod.recovery.advice import KneeStage, PainGate, cold_water_advice, knee_stage, pain_gate
from stridepod.recovery.config import Config
from stridepod.recovery.gait import gait_warnings
from stridepod.recovery.load import LoadReport, daily_arrays, load_report
from stridepod.recovery.model import History, PlannedSession, Reason, to_jsonable
from stridepod.recovery.plan import WeekPlan, adjust_week, propose_week, training_state
from stridepod.recovery.readiness import ReadinessSeries, readiness_series
from stridepod.recovery.readiness_words import Readiness, readiness_today
from stridepod.recovery.series import (
    DailyGrid,
    grid_for,
    merge_pain,
    merge_plan,
    merge_runs,
    merge_wellness,
    rolling_sum,
)


@dataclass
class Assessment:
    today: dt.date
    readiness: Readiness
    load: LoadReport
    gait: list[Reason]
    advice: list[Reason]
    knee_stage: KneeStage | None
    pain: PainGate
    plan: WeekPlan
    hr_max: float | None
    hr_rest: float | None
    warnings: list[str] = field(default_factory=list)  # input problems that were handled

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self)

    def reasons(self) -> list[Reason]:
        """Every reason in the assessment, verdicts first."""
        out = [v.reason for v in self.readiness.signals.values()] + [self.readiness.reason]
        out += self.load.flags + self.gait + self.advice + [self.pain.reason]
        out += [r for c in self.plan.changes for r in c.reasons] + self.plan.notes
        unique: list[Reason] = []
        for reason in out:  # a rule that changed several sessions is listed once
            if reason not in unique:
                unique.append(reason)
        return unique


@dataclass
class Prepared:
    """Merged inputs and the day grid (shared by `assess` and the reports)."""

    history: History
    grid: DailyGrid
    hr_max: float | None
    hr_rest: float | None
    day_minutes: np.ndarray
    week_minutes: np.ndarray
    readiness: ReadinessSeries


def prepare(history: History, today: dt.date, cfg: Config) -> Prepared:
    merged = History(
        wellness=[d for d in merge_wellness(history.wellness) if d.date <= today],
        runs=[r for r in merge_runs(history.runs) if r.date <= today],
        pain=[p for p in merge_pain(history.pain) if p.date <= today],
        plan=merge_plan(history.plan),
        goal=history.goal,
    )
    grid = grid_for(today, merged.wellness, merged.runs, merged.pain)
    hr_max = cfg.hr_max or max((r.max_hr for r in merged.runs if r.max_hr), default=None)
    rests = [d.resting_hr for d in merged.wellness if d.resting_hr and (today - d.date).days < 60
             and cfg.rhr_range_bpm[0] <= d.resting_hr <= cfg.rhr_range_bpm[1]]
    hr_rest = cfg.hr_rest or (statistics.median(rests) if rests else None)
    _, minutes, _ = daily_arrays(grid, merged.runs, cfg, hr_max, hr_rest)
    week = rolling_sum(minutes, 7)
    # per-field source choice needs the records as imported, not the merged days
    rs = readiness_series(grid, [d for d in history.wellness if d.date <= today], week, cfg)
    return Prepared(merged, grid, hr_max, hr_rest, minutes, week, rs)


def assess(history: History, today: dt.date, config: Config | None = None) -> Assessment:
    cfg = config or Config()
    p = prepare(history, today, cfg)
    h = p.history
    t = p.grid.days - 1
    readiness = readiness_today(p.readiness, t, cfg, p.grid)
    load = load_report(p.grid, h.runs, cfg, p.hr_max, p.hr_rest)
    gate = pain_gate(h.pain, today, cfg)
    state = training_state(h.runs, p.week_minutes, today, cfg)
    week_end = today + dt.timedelta(days=7)
    supplied = [s for s in h.plan if today < s.date <= week_end]
    goal = h.goal
    if supplied:
        proposed: list[PlannedSession] = supplied
        source = "supplied"
    else:
        proposed = propose_week(state, today, goal, cfg)
        source = "proposed"
    adjusted, changes, notes = adjust_week(proposed, state, h.runs, today, readiness.cut_next_week,
                                           readiness.reason, gate, cfg)
    plan = WeekPlan(source, proposed, adjusted, changes, state, notes)
    advice = cold_water_advice(h.runs, adjusted + ([PlannedSession(goal.date, "race")] if goal else []), today)
    advice += readiness.standing
    knee = knee_stage(h.pain, h.runs, today, cfg)
    if knee:
        advice.append(knee[1])
    warnings = []
    if p.hr_max is None and any(r.avg_hr for r in h.runs):
        warnings.append("no maximum heart rate known: heart-rate load needs max_hr in a run or config.hr_max")
    return Assessment(
        today=today, readiness=readiness, load=load, gait=gait_warnings(h.runs, today, cfg),
        advice=advice, knee_stage=knee[0] if knee else None, pain=gate, plan=plan,
        hr_max=p.hr_max, hr_rest=p.hr_rest, warnings=warnings,
    )
