"""`stridepod today`: this morning's readiness verdict and everything behind it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from stridepod.commands import output
from stridepod.commands.context import current

if TYPE_CHECKING:
    from stridepod.recovery import Assessment, Reason

# The recovery model, importers and plotting are imported when the command runs, so
# `stridepod --help` and the other commands start quickly.

STATE_STYLE = {"ok": "green", "drifting": "bold red", "calibrating": "yellow"}


def as_of_option(f):
    return click.option("--date", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
                        help="Judge this day instead of today (YYYY-MM-DD).")(f)


def as_of_date(value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


def assessed(as_of: dt.datetime | None) -> tuple[dt.date, Assessment]:
    """The day asked for (today by default) and the store's assessment of it."""
    from stridepod.store.history import assess_store

    day = as_of_date(as_of)
    with current().open_store() as store:
        return day, assess_store(store, day)


def reason_lines(reason: Reason, indent: str = "  ") -> list[str]:
    """A reason as a runner reads it: the sentence, then what it was compared with and how
    good the evidence is, dimmed."""
    lines = [f"{indent}{escape(reason.message)}"]
    if reason.baseline:
        lines.append(f"{indent}  [dim]compared with: {escape(reason.baseline)}[/dim]")
    if reason.evidence:
        lines.append(f"{indent}  [dim]evidence: {escape(reason.evidence)}[/dim]")
    return lines


VERDICT_STYLE = {"stop": "bold red", "watch": "yellow", "go": "green"}


def today_json(a: Assessment) -> dict:
    from stridepod.recovery.model import to_jsonable

    return to_jsonable({
        "date": a.today, "readiness": a.readiness, "load": a.load, "gait": a.gait,
        "advice": a.advice, "pain": a.pain, "knee_stage": a.knee_stage, "warnings": a.warnings,
    })


@click.command("today", short_help="Today's readiness verdict, with every reason.")
@as_of_option
@click.option("--json", "as_json", is_flag=True, help="Print the verdict and its reasons as JSON.")
def command(as_of: dt.datetime | None, as_json: bool) -> None:
    """How ready you are today, from your HRV, resting heart rate and sleep against your own
    normal ranges, your training load and your pod's gait trends, with the reason for
    each verdict."""
    from stridepod.report.summary import SIGNAL_NAMES, verdict

    day, a = assessed(as_of)
    if as_json:
        output.emit_json(today_json(a))
        return
    out = output.console()
    level, headline = verdict(a)
    style = VERDICT_STYLE[level]
    out.print(f"[bold]{day:%A %d %B %Y}[/bold]: [{style}]{headline}[/{style}]")
    for name, signal in a.readiness.signals.items():
        style = STATE_STYLE.get(signal.state, "")
        out.print(f"  {SIGNAL_NAMES.get(name, name):11} [{style}]{signal.state:12}[/{style}]"
                  f"{escape(signal.reason.message)}")
    out.print(*reason_lines(a.readiness.reason), sep="\n")
    load = a.load
    acwr = f"{load.acwr:.2f}" if load.acwr is not None else "n/a"
    out.print(f"\n[bold]Training load[/bold]  fitness {load.ctl:.0f}, fatigue {load.atl:.0f}, "
              f"form {load.form:+.0f}; last 7 days {load.week_minutes:.0f} min; "
              f"acute:chronic {acwr} (advisory)")
    out.print(f"  [dim]{escape(load.convention)}; ratio: {escape(load.acwr_method)}[/dim]")
    for title, reasons in (("Load flags", load.flags), ("Gait", a.gait), ("Advice", a.advice)):
        if reasons:
            out.print(f"\n[bold]{title}[/bold]")
            for reason in reasons:
                out.print(*reason_lines(reason), sep="\n")
    out.print("\n[bold]Pain[/bold]", *reason_lines(a.pain.reason), sep="\n")
    for warning in a.warnings:
        out.print(f"[yellow]note:[/yellow] {escape(warning)}")
