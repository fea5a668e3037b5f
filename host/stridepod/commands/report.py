"""`stridepod report`: the HTML report with figures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from stridepod.commands import output
from stridepod.commands.context import current
from stridepod.commands.today import as_of_date, as_of_option
from stridepod.store.paths import default_report_dir

# The recovery model, importers and plotting are imported when the command runs, so
# `stridepod --help` and the other commands start quickly.

@click.command("report", short_help="Write the report: one HTML page with figures, opens offline.")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Directory for report.html and its figures "
              "(default: 'report' next to the database).")
@as_of_option
@click.option("--json", "as_json", is_flag=True, help="Print the files written and the verdict as JSON.")
def command(out_dir: Path | None, as_of: dt.datetime | None, as_json: bool) -> None:
    """Write a report you can open in any browser, offline: your readiness and its reasons,
    HRV, resting heart rate and sleep against your normal ranges, fitness and fatigue, your
    running form per run (cadence, impact, ground contact, strike pattern) and the next
    7 days with the reason for each change."""
    from stridepod.report.build import write_report
    from stridepod.report.summary import verdict

    target = out_dir or default_report_dir(current().db_path)
    with current().open_store(write=False) as store, output.progress("drawing the report", total=1) as advance:
        report = write_report(store, target, as_of_date(as_of))
        advance()
    if as_json:
        level, headline = verdict(report.assessment)
        output.emit_json({"html": str(report.html), "verdict": level, "headline": headline,
                      "figures": {name: str(path) for name, path in report.figures.items()}})
        return
    output.console().print(f"report: {report.html}")
