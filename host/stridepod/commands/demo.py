"""`stridepod demo`: the whole product on this machine, no hardware needed."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import importlib.resources
import time
from collections.abc import Callable
from pathlib import Path

import click

from stridepod.ble.profile import POD_EPOCH
from stridepod.commands import output
from stridepod.commands.context import current
from stridepod.errors import StridepodError
from stridepod.privatefiles import private_dir, private_file
from stridepod.store.database import Store
from stridepod.store.paths import data_dir
from stridepod.store.podruns import update_pod_runs

# The recovery model, importers and plotting are imported when the command runs, so
# `stridepod --help` and the other commands start quickly.

# each recording and what it can show: a foot IMU sees impacts, an insole sees the strike
RECORDINGS = {
    "gaitmap_walk_left.csv": "a walk recorded with a foot IMU: cadence, impact, ground contact",
    "gaitpdb_JuCo01_01_left.csv": "a walk on a pressure insole: cadence, ground contact, "
                                  "strike pattern",
}
HISTORY_FILES = ("demo_wellness.csv", "demo_sessions.csv")


def bundled(name: str) -> Path:
    return Path(str(importlib.resources.files("stridepod.data") / name))


def _read_rows(path: Path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def shift_history(sources: list[Path], target_dir: Path, last_day: dt.date) -> tuple[list[Path], int]:
    """Copy the bundled CSVs with every `date` moved by the same number of days, so the
    history (a few years old) ends on `last_day`. Returns the copies and the shift."""
    tables = {source: _read_rows(source) for source in sources}
    newest = max(dt.date.fromisoformat(r["date"]) for rows in tables.values() for r in rows)
    shift = dt.timedelta(days=(last_day - newest).days)
    copies = []
    for source, rows in tables.items():
        copy = target_dir / source.name
        with private_file(copy, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({**r, "date": (dt.date.fromisoformat(r["date"]) + shift).isoformat()}
                             for r in rows)
        copies.append(copy)
    return copies, shift.days


def sync_virtual_pod(store: Store, recording: Path, what: str) -> tuple[str, str]:
    """The real firmware replays the recording on a virtual pod whose clock says the walk
    ended just now; the real bleak client syncs it over the emulated Bluetooth link into
    the store, and the session becomes a run. Returns (step, what happened)."""
    from stridepod.ble.client import SyncProgress
    from stridepod.ble.virtual import sync_virtual_pod as sync
    from stridepod.recordings.dumpfile import load as load_recording
    from stridepod.virtualpod.launcher import PodSettings

    duration = load_recording(recording).duration_s
    now_s = (dt.datetime.now(dt.UTC) - POD_EPOCH).total_seconds()
    settings = PodSettings(epoch_s=int(now_s - duration))
    with output.progress("virtual pod: recording, then syncing", total=None) as update:
        def show(p: SyncProgress) -> None:
            update(completed=p.backfill_done, total=p.backfill_total or None,
                   description=f"virtual pod: {p.phase}")

        result = asyncio.run(sync(recording, store, progress=show, settings=settings))
    runs = update_pod_runs(store, result.pod_id)
    return (f"virtual pod sync of {recording.name}", (
        f"{result.stored} records from pod {result.pod_id} over the emulated link "
        f"({result.duplicates} duplicates skipped, {result.rejected} rejected); "
        f"{runs} run{'s' * (runs != 1)} stored ({what})"))


def run_demo(out_dir: Path, db: Path, fresh: bool, done: Callable[[str, str], None]) -> None:
    """Every step of the demo; `done(step, what happened)` is called as each one ends, so
    the runner sees the demo's progress (and what was stored before an interruption)."""
    from stridepod.importers.intake import import_file
    from stridepod.report.build import write_report
    from stridepod.report.summary import verdict

    inputs = private_dir(out_dir / "inputs")  # the folder and its parents owner-only
    if fresh and db.exists():
        db.unlink()  # the demo's own database, rebuilt on every run
    yesterday = dt.date.today() - dt.timedelta(days=1)
    with Store.open(db) as store:
        copies, shift = shift_history([bundled(n) for n in HISTORY_FILES], inputs, yesterday)
        for copy in copies:
            result = import_file(store, copy)
            done(f"imported {copy.name}",
                 f"{result.rows} rows ({result.kind}), dates moved {shift:+d} days"
                 f" so the history ends yesterday (copy: {copy})")
        for recording, what in RECORDINGS.items():
            done(*sync_virtual_pod(store, bundled(recording), what))
        report = write_report(store, out_dir / "report", dt.date.today())
    _, headline = verdict(report.assessment)
    done("recovery model, today's verdict", headline)
    done("report", f"{report.html} (open it in a browser)")


@click.command("demo", short_help="Try it all with no hardware: virtual pod, history, report.")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Where the demo puts its database, inputs and report "
              "(default: 'demo' in your stridepod data directory).")
@click.pass_context
def command(ctx: click.Context, out_dir: Path | None) -> None:
    """See stridepod work with no pod and no watch: a virtual pod runs the real firmware on
    two real recorded walks (foot IMU, pressure insole), the Bluetooth client syncs it over an emulated link, a real
    person's months of morning data are imported, the recovery model judges today and
    plans the week, and a report is written. Your own data is not touched (the demo uses
    its own database unless you pass --db)."""
    out_dir = out_dir or data_dir() / "demo"
    chosen_db = current(ctx).db
    db = Path(chosen_db) if chosen_db else out_dir / "demo.db"
    started = time.perf_counter()
    out = output.console()

    def done(what: str, detail: str) -> None:
        out.print(f"[green]done[/green]  {what}: {detail}")

    try:
        run_demo(out_dir, db, fresh=not chosen_db, done=done)
    except OSError as exc:
        raise StridepodError(f"demo could not write to {out_dir}: {exc.strerror}") from None
    out.print(f"database: {db}")
    out.print(f"try: stridepod --db {db} today   (or plan, report, export)")
    out.print("your own data: stridepod import FILE... (watch or CSV files), stridepod sync (a pod)")
    out.print(f"[dim]{time.perf_counter() - started:.1f} s[/dim]")
