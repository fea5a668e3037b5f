"""The command line's typed context: what the root command's options (--db, --quiet,
--debug, STRIDEPOD_DB) decide for every subcommand. `cli` stores one `AppContext` on the
root click context; a subcommand reads it with `current()`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from stridepod.store.database import Store
from stridepod.store.paths import default_db_path


@dataclass(frozen=True)
class AppContext:
    debug: bool = False  # --debug: full tracebacks instead of one-line errors
    db: Path | None = None  # --db or STRIDEPOD_DB; None = the user data directory's
    quiet: bool = False  # --quiet: print nothing but errors and --json output

    @property
    def db_path(self) -> Path:
        return self.db.expanduser() if self.db else default_db_path()

    def open_store(self) -> Store:
        return Store.open(self.db_path)


def current(ctx: click.Context | None = None) -> AppContext:
    """The running command's AppContext, which `cli` (or a test invoking a command) set."""
    ctx = ctx or click.get_current_context()
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):
        raise TypeError(f"the root click context holds {type(obj).__name__}, not an AppContext")
    return obj
