"""`stridepod plan`: the next 7 days, and the reason for every change."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Table

from stridepod.commands import output
from stridepod.commands.today import as_of_option, assessed, reason_lines

if TYPE_CHECKING:
    from stridepod.recovery import Assessment

# The recovery model, importers and plotting are imported when the command runs, so
# `stridepod --help` and the other commands start quickly.

def plan_json(a: Assessment) -> dict:
    from stridepod.recovery.model import to_jsonable
    from stridepod.report.summary import plan_rows

    return to_jsonable({"date": a.today, "source": a.plan.source, "days": plan_rows(a),
                        "state": a.plan.state, "notes": a.plan.notes})


@click.command("plan", short_help="Your next 7 days of training, with the reason for each change.")
@as_of_option
@click.option("--json", "as_json", is_flag=True, help="Print the week and its reasons as JSON.")
def command(as_of: dt.datetime | None, as_json: bool) -> None:
    """Your next 7 days of training: your own plan (import a plan CSV) or one stridepod
    proposes from your recent running, adjusted for readiness, pain, load, deload weeks
    and return from a layoff, with the reason for each change."""
    from stridepod.report.summary import plan_origin, plan_rows, unchanged_label

    day, a = assessed(as_of)
    if as_json:
        output.emit_json(plan_json(a))
        return
    out = output.console()
    origin, unchanged = plan_origin(a), unchanged_label(a)
    table = Table(title=f"Next 7 days from {day:%d %B %Y} ({origin})", title_justify="left")
    for column in ("day", "session", "changed from", "why"):
        table.add_column(column, overflow="fold")
    shown: set[str] = set()
    for row in plan_rows(a):
        lines = []
        for reason in row["reasons"]:  # a reason that changed several days is written once
            seen = reason.message in shown
            lines.append(f"[dim]same as above ({escape(reason.rule)})[/dim]" if seen
                         else escape(reason.message))
            shown.add(reason.message)
        why = "\n".join(lines) or f"[dim]{unchanged}[/dim]"
        table.add_row(f"{row['date']:%a %d %b}", escape(row["session"]), escape(row["was"]), why)
    out.print(table)
    for reason in a.plan.state.reasons + a.plan.notes:
        out.print(*reason_lines(reason, indent=""), sep="\n")
