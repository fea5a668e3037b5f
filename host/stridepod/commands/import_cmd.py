"""`stridepod import PATH…`: bring the runner's files into the store: stridepod's CSVs,
watch files (FIT, TCX, GPX), service exports, folders and zip archives of them. One line
per file, a closing summary; exit code 2 when any file failed (after importing the rest)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from stridepod.commands import output
from stridepod.commands.context import current

if TYPE_CHECKING:
    from rich.console import Console

    from stridepod.importers.bulk import Outcome

# The importers are imported when the command runs, so `stridepod --help` starts quickly.


@click.command("import", short_help="Import files, folders and zips: watch files, app exports, CSVs.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def command(paths: tuple[Path, ...]) -> None:
    """Import PATHS: files, folders (with everything inside) and zip archives (a Garmin or
    Strava bulk export, Apple Health's export.zip). Each file gets one line: what it held,
    or why it was skipped or failed; a summary closes. Importing the same files again
    changes nothing. Exit code 2 when any file failed (the others are imported).

    \b
    Watch files: FIT (runs, walks, multisport legs, resting HR, HRV status, sleep,
      beat-to-beat morning HRV), TCX (runs), GPX (tracks of type running/walking/hiking).
    Service exports: intervals.icu wellness and activities CSV, HRV4Training CSV,
      Garmin Connect activities and sleep CSV, Oura CSV, Apple Health export.xml/.zip.
    stridepod CSVs (header row, any order, empty cell = not measured, dates YYYY-MM-DD):
      morning:  date, resting_hr, rmssd_ms, sleep_h
      runs:     date, duration_min; distance_km, rpe (1-10), avg_hr, max_hr, kind, ...
      RPE:      date, rpe (1-10); duration_min picks the run on a two-run day
      pain:     date, site (knee, shin, achilles...), during, next_morning (0-10)
      plan:     date, kind (rest/easy/long/quality/strength/race/walk_run), duration_min,
                distance_km, intensity, back_to_back (yes/no), goal (yes on the goal race)
    All formats and columns: docs/recovery.md.
    """
    from stridepod.errors import AlreadyReported
    from stridepod.importers.bulk import import_all, plan

    ctx = current()
    out = output.console()
    total = sum(entry.size for entry in plan(list(paths)) if entry.path is None or entry.path.exists())
    with ctx.open_store(write=True) as store, output.progress("importing", total=total or None) as advance:
        summary = import_all(store, list(paths), lambda o: _report(o, out),
                             progress=lambda size: advance(size), debug=ctx.debug)
    c = summary.counts
    out.print(f"{_count(c['imported'], 'file')} imported ({_count(summary.runs, 'run')}, "
              f"{_count(summary.walks, 'walk')}, {_count(summary.mornings, 'morning')}), "
              f"{c['already']} already imported, {c['skipped']} skipped, {c['failed']} failed"
              + (f"; {_count(summary.flagged, 'impossible value')} refused" if summary.flagged else ""))
    if c["failed"]:
        raise AlreadyReported()  # each failed file has its "error:" line on stderr


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'s' * (n != 1)}"


def _report(outcome: Outcome, out: Console) -> None:
    r = outcome.result
    if outcome.status == "failed":
        click.echo(f"error: {outcome.error}", err=True)  # also with --quiet
        return
    if outcome.status == "skipped":
        out.print(f"{outcome.shown}: skipped: {outcome.skipped or (r.skipped if r else '')}")
        return
    assert r is not None
    if outcome.status == "already":
        out.print(f"{outcome.shown}: already imported ({r.kind}), nothing changed")
        return
    held = ", ".join(_count(n, what) for n, what in ((r.runs - r.walks, "run"), (r.walks, "walk"),
                                                      (r.mornings, "morning")) if n)
    out.print(f"{outcome.shown}: {r.kind}, {_count(r.rows, 'row')} read, {r.changed} added or changed"
              + (f" ({held})" if held else ""))
    for note in r.notes:
        out.print(f"  {note}")
    for flag in r.flags:
        click.echo(f"warning: {outcome.shown}: {flag}", err=True)
