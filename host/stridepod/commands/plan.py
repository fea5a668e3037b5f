"""`stridepod plan`: the next 7 days, and the reason for every change. Each day names its
reasons in a few words; each reason is written once, under the week. `--json` gives each
day's kind, minutes and intensity as fields (`PLAN_SCHEMA` names the layout)."""

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

PLAN_SCHEMA = 1  # `plan --json` layout; raised when a field changes meaning or goes away


def plan_json(a: Assessment) -> dict:
    from stridepod.recovery.model import to_jsonable
    from stridepod.report.summary import plan_rows, reason_titles

    days = [{**row, "why": reason_titles(row["reasons"])} for row in plan_rows(a)]
    return to_jsonable({"schema": PLAN_SCHEMA, "date": a.today, "source": a.plan.source, "days": days,
                        "state": a.plan.state, "notes": a.plan.notes})


@click.command("plan", short_help="Your next 7 days of training, with the reason for each change.")
@as_of_option
@click.option("--json", "as_json", is_flag=True, help="Print the week and its reasons as JSON.")
def command(as_of: dt.datetime | None, as_json: bool) -> None:
    """Your next 7 days of training: your own plan (import a plan CSV) or one stridepod
    proposes from your recent running, adjusted for readiness, pain, load, deload weeks
    and return from a layoff, with the reason for each change."""
    from stridepod.report.summary import (
        plan_origin,
        plan_reasons,
        plan_rows,
        reason_title,
        reason_titles,
        unchanged_label,
    )

    day, a = assessed(as_of)
    if as_json:
        output.emit_json(plan_json(a))
        return
    out = output.console()
    unchanged = unchanged_label(a)
    table = Table(title=f"Next 7 days from {day:%d %B %Y} ({plan_origin(a)})", title_justify="left")
    for column in ("day", "session", "changed from", "why"):
        table.add_column(column, overflow="fold")
    for row in plan_rows(a):
        why = escape(reason_titles(row["reasons"])) or f"[dim]{unchanged}[/dim]"
        table.add_row(f"{row['date']:%a %d %b}", escape(row["session"]), escape(row["was"]), why)
    out.print(table)
    for reason in a.plan.state.reasons:
        out.print(*reason_lines(reason, indent=0), sep="\n")
    changed = plan_reasons(a)
    if changed:
        out.print("\n[bold]Why the plan changed[/bold]")
        for reason in changed:
            lines = reason_lines(reason)
            lines[0] = output.paragraph(f"[bold]{escape(reason_title(reason))}[/bold]: "
                                        f"{escape(reason.message)}", 2)
            out.print(*lines, sep="\n")
    if a.plan.notes:
        out.print("\n[bold]Notes[/bold]")
        for reason in a.plan.notes:
            out.print(*reason_lines(reason), sep="\n")
