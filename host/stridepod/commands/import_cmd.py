"""`stridepod import FILE…`: bring wellness, runs, pain and plan files into the store."""

from __future__ import annotations

from pathlib import Path

import click

from stridepod.commands import output
from stridepod.commands.context import current

# The recovery model, importers and plotting are imported when the command runs, so
# `stridepod --help` and the other commands start quickly.

@click.command("import", short_help="Import watch (FIT) and CSV files: mornings, runs, pain, plan.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def command(files: tuple[Path, ...]) -> None:
    """Import FILES: CSV files of morning measurements, runs, session RPE, pain or your
    training plan, or FIT files from a watch (runs, HRV status, resting HR, sleep).
    Importing a file twice changes nothing.

    \b
    CSV columns (header row, any order, empty cell = not measured, dates YYYY-MM-DD):
      morning:  date, resting_hr, rmssd_ms, sleep_h
      runs:     date, duration_min; distance_km, rpe (1-10), avg_hr, max_hr, kind, ...
      RPE:      date, rpe (1-10); duration_min picks the run on a two-run day
      pain:     date, site (knee, shin, achilles...), during, next_morning (0-10)
      plan:     date, kind (rest/easy/long/quality/strength/race/walk_run), duration_min,
                distance_km, intensity, back_to_back (yes/no), goal (yes on the goal race)
    All columns: docs/recovery.md.
    """
    from stridepod.importers.intake import import_file

    out = output.console()
    with current().open_store() as store, output.progress("importing", total=len(files)) as advance:
        for path in files:
            result = import_file(store, path)
            if result.already_imported:
                out.print(f"{path}: already imported ({result.kind}), nothing changed")
            else:
                out.print(f"{path}: {result.kind}, {result.rows} rows read, "
                          f"{result.changed} added or changed")
            for note in result.notes:
                out.print(f"  {note}")
            advance()
