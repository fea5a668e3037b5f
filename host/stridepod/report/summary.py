"""The assessment in words and rows, shared by the terminal commands and the HTML report."""

from __future__ import annotations

import datetime as dt

from stridepod.recovery import Assessment, PlannedSession

SIGNAL_NAMES = {"hrv": "HRV", "rhr": "resting HR", "sleep": "sleep"}


def verdict(a: Assessment) -> tuple[str, str]:
    """(level, headline): level is "stop", "watch" or "go"."""
    if a.readiness.cut_next_week:
        return "stop", "Back off: the next 7 days are cut"
    if a.pain.decision == "step_back":
        return "stop", "Step back: pain says so"
    if a.readiness.drifting:
        return "watch", f"Train as planned, keep an eye on {', '.join(a.readiness.drifting)}"
    return "go", "Ready: train as planned"


def session_text(s: PlannedSession | None) -> str:
    if s is None:
        return "-"
    size = []
    if s.duration_min:
        size.append(f"{s.duration_min:.0f} min")
    if s.distance_km:
        size.append(f"{s.distance_km:g} km")
    text = s.kind + (f" {' / '.join(size)}" if size else "")
    return text + (f", {s.intensity}" if s.intensity else "")


def plan_rows(a: Assessment) -> list[dict]:
    """One row per day of the next 7: the session, what it was before a change, and why."""
    changes: dict[dt.date, list] = {}
    for change in a.plan.changes:
        changes.setdefault(change.date, []).append(change)
    by_day: dict[dt.date, list[PlannedSession]] = {}
    for s in a.plan.adjusted:
        by_day.setdefault(s.date, []).append(s)
    rows = []
    for offset in range(1, 8):
        day = a.today + dt.timedelta(days=offset)
        day_changes = changes.get(day, [])
        rows.append({
            "date": day,
            "session": "; ".join(session_text(s) for s in by_day.get(day, [])) or "rest",
            "was": "; ".join(session_text(c.before) for c in day_changes),
            "reasons": [r for c in day_changes for r in c.reasons],
        })
    return rows


def unchanged_label(a: Assessment) -> str:
    return "as you planned" if a.plan.source == "supplied" else "as proposed"


def plan_origin(a: Assessment) -> str:
    return "your plan" if a.plan.source == "supplied" else "proposed from your history"
