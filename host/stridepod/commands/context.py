"""The command line's typed context: what the root command's options (--db, --quiet,
--debug, STRIDEPOD_DB) decide for every subcommand. `cli` stores one `AppContext` on the
root click context; a subcommand reads it with `current()`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from stridepod.errors import StridepodError
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

    def open_store(self, must_exist: bool = False) -> Store:
        """The store; `must_exist` for commands that only read: a database that does not
        exist (a mistyped --db, nothing imported yet) is a one-line error, never a new
        empty file that would then read as "no data"."""
        path = self.db_path
        if must_exist and not path.exists():
            raise StridepodError(f"no stridepod database at {path}: import your data first "
                                 "(stridepod import FILE..., stridepod sync) or check --db")
        return Store.open(path)


def current(ctx: click.Context | None = None) -> AppContext:
    """The running command's AppContext, which `cli` (or a test invoking a command) set."""
    ctx = ctx or click.get_current_context()
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):
        raise TypeError(f"the root click context holds {type(obj).__name__}, not an AppContext")
    return obj
