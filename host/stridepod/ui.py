"""What the app commands share: the store chosen on the command line, quiet mode, JSON
output for scripts, and progress bars for anything that takes longer than a second."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from stridepod.paths import default_db_path
from stridepod.store import Store


def settings(ctx: click.Context | None = None) -> dict:
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    root.ensure_object(dict)
    return root.obj


def db_path() -> Path:
    chosen = settings().get("db")
    return Path(chosen).expanduser() if chosen else default_db_path()


def open_store() -> Store:
    return Store.open(db_path())


def quiet() -> bool:
    return bool(settings().get("quiet"))


def console() -> Console:
    """Human-readable output on stdout; silent with --quiet (errors still go to stderr)."""
    return Console(quiet=quiet(), highlight=False, soft_wrap=True)


def emit_json(value: Any) -> None:
    """Machine-readable output: one JSON document on stdout, even with --quiet."""
    json.dump(value, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


@contextmanager
def progress(description: str, total: float | None) -> Iterator[Any]:
    """A progress bar on stderr that appears only if the work takes more than a second
    and stays out of the way with --quiet or when stderr is not a terminal.
    Yields `advance(n=1, description=None)`."""
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:.0f}/{task.total:.0f}"),
        TimeRemainingColumn(),
        console=Console(stderr=True, quiet=quiet()), transient=True,
    )
    task = bar.add_task(description, total=total)
    started = False

    def advance(n: float = 1, description: str | None = None) -> None:
        nonlocal started
        bar.update(task, advance=n, description=description or bar.tasks[0].description)
        if not started and bar.tasks[0].elapsed and bar.tasks[0].elapsed > 1.0:
            bar.start()
            started = True

    try:
        yield advance
    finally:
        if started:
            bar.stop()
