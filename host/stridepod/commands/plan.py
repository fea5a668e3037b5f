"""`stridepod plan`: the next 7 days, and the reason for every change."""

from __future__ import annotations

import datetime as dt

import click
from rich.markup import escape
from rich.table import Table
from stridepod import ui
from stridepod.commands.today import as_of_date, as_of_option, reason_lines
from stridepod.history import assess_store
from stridepod.recovery import Assessment, PlannedSession
from stridepod.recovery.model import to_jsonable


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
    changes = {}
    for change in a.plan.changes:
        changes.setdefault(change.date, []).append(change)
    by_day = {}
    for s in a.plan.adjusted:
        by_day.setdefault(s.date, []).append(s)
    rows = []
    for offset in range(1, 8):
        day = a.today + dt.timedelta(days=offset)
        sessions = by_day.get(day, [])
        day_changes = changes.get(day, [])
        rows.append({
            "date": day,
            "session": "; ".join(session_text(s) for s in sessions) or "rest",
            "was": "; ".join(session_text(c.before) for c in day_changes),
            "reasons": [r for c in day_changes for r in c.reasons],
        })
    return rows


def plan_json(a: Assessment) -> dict:
    return to_jsonable({"date": a.today, "source": a.plan.source, "days": plan_rows(a),
                        "state": a.plan.state, "notes": a.plan.notes})


@click.command("plan")
@as_of_option
@click.option("--json", "as_json", is_flag=True, help="Print the week and its reasons as JSON.")
def command(as_of: dt.datetime | None, as_json: bool) -> None:
    """Your next 7 days of training: your own plan (import a plan CSV) or one stridepod
    proposes from your recent running, adjusted for readiness, pain, load, deload weeks
    and return from a layoff, with the reason for each change."""
    day = as_of_date(as_of)
    with ui.open_store() as store:
        a = assess_store(store, day)
    if as_json:
        ui.emit_json(plan_json(a))
        return
    out = ui.console()
    origin = "your plan" if a.plan.source == "supplied" else "proposed from your history"
    unchanged = "as you planned" if a.plan.source == "supplied" else "as proposed"
    table = Table(title=f"Next 7 days from {day:%d %B %Y} ({origin})", title_justify="left")
    for column in ("day", "session", "changed from", "why"):
        table.add_column(column, overflow="fold")
    for row in plan_rows(a):
        why = "\n".join(escape(r.message) for r in row["reasons"]) or f"[dim]{unchanged}[/dim]"
        table.add_row(f"{row['date']:%a %d %b}", escape(row["session"]), escape(row["was"]), why)
    out.print(table)
    for reason in a.plan.state.reasons + a.plan.notes:
        out.print(*reason_lines(reason, indent=""), sep="\n")
