"""How the commands talk to the runner: human-readable output on stdout (silent with
--quiet), one JSON document for scripts, and progress bars on stderr for anything that
takes longer than a second."""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from stridepod.commands.context import current


class _TrimmedStdout:
    """sys.stdout (looked up on every write, as rich does) without the spaces rich pads
    wrapped lines and table cells with at the end of a line."""

    _TRAILING = re.compile(r" +((?:\x1b\[[0-9;]*m)*)(?=\n)")

    def write(self, text: str) -> int:
        return sys.stdout.write(self._TRAILING.sub(r"\1", text))

    def flush(self) -> None:
        sys.stdout.flush()

    def isatty(self) -> bool:
        return sys.stdout.isatty()

    def fileno(self) -> int:
        return sys.stdout.fileno()

    @property
    def encoding(self) -> str:
        return getattr(sys.stdout, "encoding", None) or "utf-8"


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """rich would exit 1; the reader going away ends the command as stridepod.entry
        says (quietly, exit code 141)."""
        self.quiet = True
        raise BrokenPipeError


def console() -> Console:
    """Human-readable output on stdout, wrapped to the terminal's width (80 columns when
    it is not a terminal, or $COLUMNS); silent with --quiet (errors still go to stderr).
    No emoji codes: a note's ":word:" is printed as written."""
    return _Console(file=_TrimmedStdout(), quiet=current().quiet, highlight=False, soft_wrap=False,  # type: ignore[arg-type]
                   emoji=False)


def paragraph(markup: str, indent: int = 0) -> Padding:
    """Rich markup as a paragraph that wraps with its lines indented by `indent` columns."""
    return Padding(Text.from_markup(markup, emoji=False), (0, 0, 0, indent))


def emit_json(value: Any) -> None:
    """Machine-readable output: one JSON document on stdout, even with --quiet."""
    json.dump(value, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


@contextmanager
def progress(description: str, total: float | None) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr that appears once the work has taken a second (quick
    commands stay quiet) and never with --quiet. Yields `update(advance=1, *,
    completed=None, total=None, description=None)`."""
    # imported here: the quick read commands (today, plan) never draw a bar
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    err = Console(stderr=True, quiet=current().quiet)
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
        TimeRemainingColumn(), console=err, transient=True,
    )
    task = bar.add_task(description, total=total)

    def update(advance: float = 1, *, completed: float | None = None,
               total: float | None = None, description: str | None = None) -> None:
        # rich leaves what is passed as None unchanged
        bar.update(task, advance=None if completed is not None else advance, completed=completed,
                   total=total, description=description)

    shown = threading.Event()

    def show() -> None:
        bar.start()
        shown.set()

    timer = threading.Timer(1.0, show)
    timer.daemon = True
    if err.is_terminal:  # a bar in a pipe or a log file is only noise (and a stray blank line)
        timer.start()
    try:
        yield update
    finally:
        timer.cancel()
        if timer.ident is not None:  # started
            timer.join()  # a bar being shown right now is fully up before it is stopped
        if shown.is_set():
            bar.stop()
