"""Pain gate (progress or step back), the staged knee-pain protocol, and cold-water advice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from stridepod.recovery import evidence
from stridepod.recovery.config import Config
from stridepod.recovery.model import PainEntry, PlannedSession, Reason, Run


@dataclass(frozen=True)
class PainGate:
    decision: str  # "progress", "hold" (no recent pain data), "step_back"
    site: str | None
    reason: Reason


def pain_gate(pain: list[PainEntry], today: dt.date, cfg: Config) -> PainGate:
    """The latest logged day in the last 7: pain <= pain_ok_max during the run that has settled
    by the next morning (no higher than during, and within the limit) allows progress;
    anything more steps back."""
    recent = [p for p in pain if 0 <= (today - p.date).days < 7]
    if not recent:
        return PainGate("hold", None, Reason(
            "pain.gate", "No pain logged in the last 7 days: the plan neither steps back nor "
            "claims a pain-free progression.", {}, baseline="pain log", evidence=evidence.PAIN_RULE))
    last_day = max(p.date for p in recent)
    worst = max((p for p in recent if p.date == last_day),
                key=lambda p: (max(p.during or 0, p.next_morning or 0), p.site))
    during, morning = worst.during or 0.0, worst.next_morning
    settled = morning is not None and morning <= cfg.pain_ok_max and morning <= during
    numbers = {"site": worst.site, "date": last_day.isoformat(), "during": during, "next_morning": morning,
               "limit": cfg.pain_ok_max}
    if during <= cfg.pain_ok_max and settled:
        return PainGate("progress", worst.site, Reason(
            "pain.gate",
            f"{worst.site.capitalize()} pain {during:g}/10 during the run on {last_day}, "
            f"{morning:g}/10 next morning: within {cfg.pain_ok_max:g}/10 and settled, progression allowed.",
            numbers, baseline=f"limit {cfg.pain_ok_max:g}/10 that settles by the next morning",
            evidence=evidence.PAIN_RULE))
    why = (f"{during:g}/10 during" if during > cfg.pain_ok_max else
           "next-morning pain not logged" if morning is None else f"{morning:g}/10 next morning (not settled)")
    return PainGate("step_back", worst.site, Reason(
        "pain.gate",
        f"{worst.site.capitalize()} pain on {last_day}: {why}; limit {cfg.pain_ok_max:g}/10 that settles "
        f"by the next morning, so the plan steps back to {100 * cfg.pain_step_back_volume:.0f} % volume "
        "without quality.",
        numbers, baseline=f"limit {cfg.pain_ok_max:g}/10 that settles by the next morning",
        changed="volume and intensity stepped back", evidence=evidence.PAIN_RULE))


@dataclass(frozen=True)
class KneeStage:
    number: int
    name: str
    work: str
    entry: str
    exit: str


KNEE_STAGES = (
    KneeStage(1, "warm-up and activation", "pain-free range of motion, isometric quadriceps holds "
              "(5 x 45 s), glute activation; running paused",
              "knee pain > 5/10 during a run, or > 3/10 the next morning",
              "pain at rest <= 2/10 and isometrics <= 3/10 for 3 days"),
    KneeStage(2, "strength: eccentric quadriceps and hip", "slow eccentric step-downs and split "
              "squats, hip abduction and external rotation, 3 x 15, 3 times a week",
              "pain during running 4-5/10 or not settled by the next morning",
              "strength work <= 3/10 and settled by the next morning for a week"),
    KneeStage(3, "run-form cues and cadence", "short easy runs with cadence +5 % over your own "
              "average, quieter landing, no downhill",
              "pain during running <= 3/10 that settles, for less than 7 days",
              "7 logged days <= 3/10 that settle"),
    KneeStage(4, "graded running exposure", "volume up by at most 10 % a week, flat routes, "
              "no intensity", "7 days <= 3/10 that settle",
              "14 days of pain <= 1/10 with at least 3 runs"),
    KneeStage(5, "return-to-sport milestones", "first long run, then strides, then one quality "
              "session; each only if the next morning stays <= 1/10",
              "14 days <= 1/10 with at least 3 runs", "28 days <= 1/10 at full training"),
    KneeStage(6, "maintenance", "strength and hip work twice a week, cadence kept",
              "28 days <= 1/10 at full training", "any return of pain > 3/10 goes back to stage 2"),
)


def knee_stage(pain: list[PainEntry], runs: list[Run], today: dt.date, cfg: Config) -> tuple[KneeStage, Reason] | None:
    knee = sorted((p for p in pain if "knee" in p.site.lower() and p.date <= today), key=lambda p: p.date)
    if not knee or (today - knee[-1].date).days > 56:
        return None

    def level(p: PainEntry) -> tuple[float, float]:
        return (p.during or 0.0, p.next_morning if p.next_morning is not None else p.during or 0.0)

    def within(days: int) -> list[PainEntry]:
        return [p for p in knee if (today - p.date).days < days]

    def runs_within(days: int) -> int:
        return sum(1 for r in runs if 0 <= (today - r.date).days < days)

    def settled_ok(p: PainEntry) -> bool:
        during, morning = level(p)
        return during <= cfg.pain_ok_max and morning <= min(cfg.pain_ok_max, during)

    def quiet_for(days: int, min_runs: int) -> bool:
        return ((today - knee[0].date).days >= days and runs_within(days) >= min_runs
                and all(max(level(p)) <= 1 for p in within(days)))

    last = knee[-1]
    during, morning = level(last)
    if during > 5 or morning > cfg.pain_ok_max:
        stage = KNEE_STAGES[0]
    elif during > cfg.pain_ok_max or morning > during:
        stage = KNEE_STAGES[1]
    elif quiet_for(28, 8):
        stage = KNEE_STAGES[5]
    elif quiet_for(14, 3):
        stage = KNEE_STAGES[4]
    elif len([p for p in within(14) if settled_ok(p)]) >= 7 and all(settled_ok(p) for p in within(7)):
        stage = KNEE_STAGES[3]
    else:
        stage = KNEE_STAGES[2]
    reason = Reason(
        "advice.knee_protocol",
        f"Knee pain last logged {last.date}: {during:g}/10 during, {morning:g}/10 next morning -> "
        f"stage {stage.number} ({stage.name}). Exit when: {stage.exit}.",
        {"during": during, "next_morning": morning, "stage": stage.number, "entries_28d": len(within(28))},
        baseline=f"stage entry: {stage.entry}", evidence=evidence.PAIN_RULE,
    )
    return stage, reason


def cold_water_advice(runs: list[Run], plan: list[PlannedSession], today: dt.date) -> list[Reason]:
    advice = []
    races = sorted({s.date for s in plan if s.kind == "race"} | {r.date for r in runs if r.kind == "race"})
    for day in races:
        if 0 <= (day - today).days <= 7 or 0 <= (today - day).days <= 1:
            back_to_back = (day + dt.timedelta(days=1)) in races or (day - dt.timedelta(days=1)) in races
            advice.append(Reason(
                "advice.cold_water",
                f"Race on {day}{' (back-to-back race days)' if back_to_back else ''}: cold-water "
                "immersion 10-15 min at 11-15 C afterwards can speed recovery of soreness.",
                {"race": day.isoformat(), "back_to_back": back_to_back, "minutes": "10-15", "celsius": "11-15"},
                baseline="race calendar", evidence=evidence.COLD_WATER))
    hard = [s for s in plan if s.kind in ("quality", "long", "strength") and 0 <= (s.date - today).days <= 7]
    if hard and not races:
        kinds = sorted({s.kind for s in hard})
        advice.append(Reason(
            "advice.cold_water",
            f"Normal training block ({', '.join(kinds)} sessions ahead): skip ice baths in the hours "
            "after them; they blunt strength adaptation and the recovery benefit is for soreness only.",
            {"sessions": len(hard)}, baseline="the next 7 days", evidence=evidence.COLD_WATER))
    return advice
