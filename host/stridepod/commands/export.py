"""`stridepod export`: everything stored, as CSV or Parquet files, one per table."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from stridepod.commands import output
from stridepod.commands.context import current
from stridepod.errors import StridepodError
from stridepod.store.database import TABLES, Store


def export_csv(store: Store, table: str, path: Path) -> int:
    columns, rows = store.table(table)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows(rows)
    return len(rows)


def export_parquet(store: Store, table: str, path: Path) -> int:
    import pyarrow as pa  # imported here: only Parquet export needs it
    import pyarrow.parquet as pq

    columns, rows = store.table(table)
    arrays = {name: [row[i] for row in rows] for i, name in enumerate(columns)}
    pq.write_table(pa.table(arrays) if rows else _empty_table(columns), path)
    return len(rows)


def _empty_table(columns: list[str]):
    import pyarrow as pa

    return pa.table({name: pa.array([], type=pa.string()) for name in columns})


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
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StridepodError(f"cannot create {directory}: {exc.strerror}") from None
    written = {}
    with current().open_store() as store:
        for table in TABLES:
            path = directory / f"{table}.{fmt}"
            written[table] = {"path": str(path), "rows": WRITERS[fmt](store, table, path)}
    if as_json:
        output.emit_json(written)
        return
    out = output.console()
    for info in written.values():
        out.print(f"{info['rows']:7d} rows  {info['path']}")
