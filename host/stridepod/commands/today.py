"""`stridepod today`: this morning's readiness verdict and everything behind it. The text
wraps to the terminal's width; `--json` is for scripts (`TODAY_SCHEMA` names its layout)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from stridepod.commands import output
from stridepod.commands.context import current

if TYPE_CHECKING:
    from rich.console import Console

    from stridepod.recovery import Assessment, Reason

# The recovery model, importers and plotting are imported when the command runs, so
# `stridepod --help` and the other commands start quickly.

TODAY_SCHEMA = 1  # `today --json` layout; raised when a field changes meaning or goes away
STATE_STYLE = {"ok": "green", "drifting": "bold red", "calibrating": "yellow", "sparse": "yellow"}
VERDICT_STYLE = {"stop": "bold red", "watch": "yellow", "go": "green", "unknown": "yellow"}


def as_of_option(f):
    return click.option("--date", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
                        help="Judge this day instead of today (YYYY-MM-DD).")(f)


def as_of_date(value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


def assessed(as_of: dt.datetime | None) -> tuple[dt.date, Assessment]:
    """The day asked for (today by default) and the store's assessment of it. The database
    must exist: reading never creates one."""
    from stridepod.store.history import assess_store

    day = as_of_date(as_of)
    with current().open_store(write=False) as store:
        return day, assess_store(store, day)


def reason_lines(reason: Reason, indent: int = 2) -> list:
    """A reason as a runner reads it: the sentence, then what it was compared with and how
    good the evidence is, dimmed; each wraps with its own indent."""
    lines = [output.paragraph(escape(reason.message), indent)]
    if reason.baseline:
        lines.append(output.paragraph(f"[dim]compared with: {escape(reason.baseline)}[/dim]", indent + 2))
    if reason.evidence:
        lines.append(output.paragraph(f"[dim]evidence: {escape(reason.evidence)}[/dim]", indent + 2))
    return lines


def today_json(a: Assessment) -> dict:
    from stridepod.recovery.model import to_jsonable
    from stridepod.report.summary import verdict

    level, headline = verdict(a)
    return to_jsonable({
        "schema": TODAY_SCHEMA, "date": a.today, "verdict": level, "headline": headline,
        "readiness": a.readiness, "load": a.load, "gait": a.gait, "advice": a.advice, "pain": a.pain,
        "knee_stage": a.knee_stage, "warnings": a.warnings,
    })


def print_readiness(out: Console, a: Assessment) -> None:
    from stridepod.report.summary import SIGNAL_NAMES, STATE_LABELS, calibration_words

    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column()
    for name, signal in a.readiness.signals.items():
        what = Text(signal.reason.message)
        what.append("\n" + calibration_words(signal), style="dim")
        grid.add_row(SIGNAL_NAMES[name], Text(STATE_LABELS[signal.state], style=STATE_STYLE[signal.state]),
                     what)
    out.print("[bold]Readiness[/bold]", Padding(grid, (0, 0, 0, 2)), sep="\n")
    out.print(*reason_lines(a.readiness.reason), sep="\n")


def print_load(out: Console, a: Assessment) -> None:
    from stridepod.report.summary import load_words

    out.print("\n[bold]Training load[/bold]")
    out.print(output.paragraph(escape(load_words(a)), 2))
    out.print(output.paragraph(f"[dim]{escape(a.load.convention)}; ratio: {escape(a.load.acwr_method)}[/dim]", 4))


@click.command("today", short_help="Today's readiness verdict, with every reason.")
@as_of_option
@click.option("--json", "as_json", is_flag=True, help="Print the verdict and its reasons as JSON.")
def command(as_of: dt.datetime | None, as_json: bool) -> None:
    """How ready you are today, from your HRV, resting heart rate and sleep against your own
    normal ranges, your training load and your pod's gait trends, with the reason for
    each verdict."""
    from stridepod.report.summary import verdict

    day, a = assessed(as_of)
    if as_json:
        output.emit_json(today_json(a))
        return
    out = output.console()
    level, headline = verdict(a)
    style = VERDICT_STYLE[level]
    out.print(f"[bold]{day:%A %d %B %Y}[/bold]")
    out.print(output.paragraph(f"[{style}]{escape(headline)}[/{style}]"))
    out.print()
    print_readiness(out, a)
    print_load(out, a)
    for title, reasons in (("Load flags", a.load.flags), ("Gait", a.gait), ("Advice", a.advice)):
        if reasons:
            out.print(f"\n[bold]{title}[/bold]")
            for reason in reasons:
                out.print(*reason_lines(reason), sep="\n")
    out.print("\n[bold]Pain[/bold]", *reason_lines(a.pain.reason), sep="\n")
    for warning in a.warnings:
        out.print(output.paragraph(f"[yellow]note:[/yellow] {escape(warning)}"))
