"""`stridepod export`: everything stored, as CSV or Parquet files, one per table."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import click

from stridepod.commands import output
from stridepod.commands.context import current
from stridepod.privatefiles import private_dir, private_file, spreadsheet_safe
from stridepod.store.database import TABLES, Store

# Every file is owner-only and replaced whole: a full disk leaves the earlier export's
# file or none, never a partial one (stridepod.privatefiles).


def export_csv(store: Store, table: str, path: Path) -> int:
    """One table as CSV; text a spreadsheet would run as a formula gets a leading '."""
    columns, rows = store.table(table)
    with private_file(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return len(rows)


def export_parquet(store: Store, table: str, path: Path) -> int:
    """Columns typed from the store's schema (`Store.column_types`): dates as dates, times as
    timestamps, numbers as numbers also when a column is empty, so the files of any two
    stores of one schema version have the same schema and concatenate."""
    import pyarrow as pa  # imported here: only Parquet export needs it
    import pyarrow.parquet as pq

    columns, rows = store.table(table)
    types = dict(store.column_types(table))
    arrays = [pa.array([_typed(row[i], types[name]) for row in rows], type=_arrow_type(types[name]))
              for i, name in enumerate(columns)]
    with private_file(path, "wb") as fh:
        pq.write_table(pa.Table.from_arrays(arrays, names=columns), fh)
    return len(rows)


def _arrow_type(meaning: str):
    import pyarrow as pa

    return {"date": pa.date32(), "local_time": pa.timestamp("ms"), "utc_time": pa.timestamp("ms", tz="UTC"),
            "bool": pa.bool_(), "real": pa.float64(), "integer": pa.int64()}.get(meaning, pa.string())


def _typed(value, meaning: str):
    if value is None:
        return None
    if meaning == "date":
        return dt.date.fromisoformat(value)
    if meaning in ("local_time", "utc_time"):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if meaning == "bool":
        return bool(value)
    if meaning == "real":
        return float(value)
    return value


WRITERS = {"csv": export_csv, "parquet": export_parquet}


@click.command("export", short_help="Write everything stored as CSV or Parquet files.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(WRITERS)), default="csv",
              show_default=True, help="File format of the exported tables.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def command(directory: Path, fmt: str, as_json: bool) -> None:
    """Write everything stored into DIRECTORY, one file per table: runs, wellness_days,
    pain_log, planned_sessions, goals, pod_records (every record synced from a pod) and
    imports (which files were imported)."""
    written = {}
    with current().open_store(write=False) as store:
        private_dir(directory)  # once the store opened: a mistyped --db creates nothing
        for table in TABLES:
            path = directory / f"{table}.{fmt}"
            written[table] = {"path": str(path), "rows": WRITERS[fmt](store, table, path)}
    if as_json:
        output.emit_json(written)
        return
    out = output.console()
    for info in written.values():
        out.print(f"{info['rows']:7d} rows  {info['path']}")
