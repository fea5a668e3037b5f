"""The command line's typed context: what the root command's options (--db, --quiet,
--debug, --lock-wait, STRIDEPOD_DB) decide for every subcommand. `cli` stores one
`AppContext` on the root click context; a subcommand reads it with `current()`.

`open_store(write=...)` is the one way a command opens the runner's store: a command that
only reads it says `write=False` and gets it read-only (never written, never created,
works on read-only media)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from stridepod.errors import StridepodError
from stridepod.store.database import LOCK_WAIT_S, Store
from stridepod.store.paths import default_db_path


@dataclass(frozen=True)
class AppContext:
    debug: bool = False  # --debug: full tracebacks instead of one-line errors
    db: Path | None = None  # --db or STRIDEPOD_DB; None = the user data directory's
    quiet: bool = False  # --quiet: print nothing but errors and --json output
    lock_wait_s: float = LOCK_WAIT_S  # --lock-wait: how long to wait for another program

    @property
    def db_path(self) -> Path:
        return self.db.expanduser() if self.db else default_db_path()

    def open_store(self, *, write: bool) -> Store:
        """The store, read-only unless the command writes to it. A command that only reads
        refuses a database that does not exist (a mistyped --db, nothing imported yet) in
        one line, never creating a new empty file that would then read as "no data"."""
        path = self.db_path
        if not write and not path.exists():
            raise StridepodError(f"no stridepod database at {path}: import your data first "
                                 "(stridepod import FILE..., stridepod sync) or check --db")
        return Store.open(path, read_only=not write, lock_wait_s=self.lock_wait_s)


def current(ctx: click.Context | None = None) -> AppContext:
    """The running command's AppContext, which `cli` (or a test invoking a command) set."""
    ctx = ctx or click.get_current_context()
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):
        raise TypeError(f"the root click context holds {type(obj).__name__}, not an AppContext")
    return obj
