"""The assessment in words and rows, shared by the terminal commands and the HTML report.
Everything here is what a runner reads: plain words, never a rule id or an internal name
(those stay in the JSON's machine fields)."""

from __future__ import annotations

import datetime as dt

from stridepod.recovery import Assessment, PlannedSession, Reason
from stridepod.recovery.model import kind_words
from stridepod.recovery.readiness import SIGNAL_NAMES
from stridepod.recovery.readiness_words import UNITS, SignalVerdict

__all__ = ["SIGNAL_NAMES", "verdict", "session_text", "plan_rows", "reason_titles"]

STATE_LABELS = {"calibrating": "calibrating", "sparse": "not judged", "ok": "ok", "drifting": "drifting"}
VERDICT_LEVELS = ("stop", "watch", "go", "unknown")

# A plan change refers to its reason by these words; the reason itself is written once.
REASON_TITLES = {
    "return.layoff": "return after a break",
    "pain.gate": "pain",
    "deload.week": "step-back week",
    "deload.hr_recheck": "heart-rate check after the step-back",
    "readiness.two_of_three": "readiness",
    "block.spacing": "hard days apart",
    "load.run_spike": "longest-run cap",
    "load.weekly_growth": "weekly volume cap",
}


def verdict(a: Assessment) -> tuple[str, str]:
    """(level, headline): level is "stop", "watch", "go" or "unknown" (not enough data)."""
    r = a.readiness
    if r.cut_next_week:
        return "stop", "Back off: the next 7 days are cut"
    if a.pain.decision == "step_back":
        return "stop", "Step back: pain says so"
    if not r.enough_data:
        missing = [s.missing for s in r.signals.values() if s.missing]
        last = {s.last_date for s in r.signals.values()}
        if len(missing) == 3 and all(m.startswith("no ") for m in missing) and len(last) == 1:
            day = last.pop()  # the same old morning for all three, or none at all
            return "unknown", "Not enough data yet: " + (
                f"nothing recorded since {day.day} {day:%B %Y}" if day else "nothing recorded yet")
        return "unknown", "Not enough data yet: " + "; ".join(missing)
    if r.drifting:
        return "watch", "Train as planned, keep an eye on " + ", ".join(SIGNAL_NAMES[n] for n in r.drifting)
    return "go", "Ready: train as planned"


def load_words(a: Assessment) -> str:
    """Fitness, fatigue, form, the last 7 days' minutes (and cadence where runs carry it)
    and the advisory acute:chronic ratio, in one line."""
    load = a.load
    acwr = f"{load.acwr:.2f}" if load.acwr is not None else "not enough history"
    cadence = ""
    if load.cadence_spm_7d is not None:
        runs = load.cadence_runs_7d
        cadence = f", cadence {load.cadence_spm_7d:.0f} steps/min ({runs} run{'s' * (runs != 1)})"
    return (f"fitness {load.ctl:.0f}, fatigue {load.atl:.0f}, form {load.form:+.0f}; last 7 days "
            f"{load.week_minutes:.0f} min{cadence}; acute:chronic {acwr} (advisory)")


def calibration_words(s: SignalVerdict) -> str:
    """Whether the signal's baseline is calibrated, and how confident it is."""
    if not s.calibrated:
        return "not calibrated yet"
    return f"calibrated on {s.baseline_count} {UNITS[s.name]}, confidence {s.confidence}"


def session_text(s: PlannedSession | None) -> str:
    if s is None:
        return "-"
    size = []
    if s.duration_min:
        size.append(f"{s.duration_min:.0f} min")
    if s.distance_km:
        size.append(f"{s.distance_km:g} km")
    text = kind_words(s.kind) + (f" {' / '.join(size)}" if size else "")
    return text + (f", {s.intensity}" if s.intensity else "")


def session_fields(s: PlannedSession) -> dict:
    """One session as fields for scripts (kind as the model names it)."""
    return {"kind": s.kind, "minutes": s.duration_min, "distance_km": s.distance_km,
            "intensity": s.intensity, "text": session_text(s)}


def _main_session(sessions: list[PlannedSession]) -> PlannedSession | None:
    """The session that says what the day is: a run before strength work, the longest first."""
    running = [s for s in sessions if s.kind not in ("rest", "strength")]
    pool = running or sessions
    return max(pool, key=lambda s: s.duration_min or 0) if pool else None


def reason_title(reason: Reason) -> str:
    return REASON_TITLES.get(reason.rule, "see below")


def plan_rows(a: Assessment) -> list[dict]:
    """One row per day of the next 7: the sessions (as text and as fields), what they were
    before a change, and the reasons (each written once, under the plan; a row names them
    by `reason_titles`). A session moved to another day is a change on both days."""
    changes: dict[dt.date, list] = {}
    for change in a.plan.changes:
        changes.setdefault(change.date, []).append(change)
        if change.after is not None and change.after.date != change.date:
            changes.setdefault(change.after.date, []).append(change)
    by_day: dict[dt.date, list[PlannedSession]] = {}
    for s in a.plan.adjusted:
        by_day.setdefault(s.date, []).append(s)
    rows = []
    for offset in range(1, 8):
        day = a.today + dt.timedelta(days=offset)
        sessions, day_changes = by_day.get(day, []), changes.get(day, [])
        main = _main_session(sessions)
        reasons: list[Reason] = []
        for r in (r for c in day_changes for r in c.reasons):
            if r not in reasons:
                reasons.append(r)
        rows.append({
            "date": day,
            "kind": main.kind if main else "rest",
            "minutes": main.duration_min if main else None,
            "intensity": main.intensity if main else "",
            "sessions": [session_fields(s) for s in sessions],
            "session": "; ".join(session_text(s) for s in sessions) or "rest",
            "was": "; ".join(_was(c, day) for c in day_changes),
            "reasons": reasons,
        })
    return rows


def _was(change, day: dt.date) -> str:
    """What a change replaced, seen from `day`: the session there before, or where a session
    that moved here came from."""
    if change.date == day:
        return session_text(change.before)
    return f"{session_text(change.before)} on {change.date:%a %d %b}"


def reason_titles(reasons: list[Reason]) -> str:
    return "; ".join(dict.fromkeys(reason_title(r) for r in reasons))


def plan_reasons(a: Assessment) -> list[Reason]:
    """The reasons behind the plan's changes, each once, in the order the days name them."""
    out: list[Reason] = []
    for row in plan_rows(a):
        for r in row["reasons"]:
            if r not in out:
                out.append(r)
    return out


def unchanged_label(a: Assessment) -> str:
    return "as you planned" if a.plan.source == "supplied" else "as proposed"


def plan_origin(a: Assessment) -> str:
    return "your plan" if a.plan.source == "supplied" else "proposed from your history"
