"""The `stridepod` command. Each subcommand lives in `stridepod.commands.<name>` and
exports `command` (a click command or group named <name>); this module only assembles
them (importing each when it is used) and turns expected failures into one clear line
with exit code 2."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from stridepod import __version__
from stridepod.commands.context import AppContext
from stridepod.entry import EXIT_INTERRUPTED, EXIT_PIPE_CLOSED, PipeClosed, stop
from stridepod.errors import StridepodError
from stridepod.store.faults import LOCK_WAIT_S

# One entry per module in stridepod/commands/ (kept sorted).
COMMAND_MODULES = [
    "analyze",
    "demo",
    "dev",
    "evaluate",
    "export",
    "hrv",
    "import_cmd",
    "plan",
    "pod",
    "record",
    "report",
    "scan",
    "sync",
    "today",
]


def command_name(module: str) -> str:
    """`import_cmd` holds `stridepod import` (a module cannot be called `import`)."""
    return module.removesuffix("_cmd")


class LazyCommands(click.Group):
    """Imports a subcommand's module only when that subcommand runs, so `stridepod today`
    does not load the Bluetooth stack or the gait engine; --help imports them all."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(command_name(m) for m in COMMAND_MODULES)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = next((m for m in COMMAND_MODULES if command_name(m) == name), None)
        if module is None:
            return None
        command = importlib.import_module(f"stridepod.commands.{module}").command
        if command.name != name:
            raise RuntimeError(f"stridepod.commands.{module} defines {command.name!r}, not {name!r}")
        return command

    # click ends a command whose stdout pipe closed with exit code 1: report it past click
    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _pipe_closed_passes_click():
            return super().make_context(*args, **kwargs)  # --help and --version print here

    def invoke(self, ctx: click.Context) -> Any:
        with _pipe_closed_passes_click():
            return super().invoke(ctx)


@contextlib.contextmanager
def _pipe_closed_passes_click() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError as exc:
        raise PipeClosed from exc


@click.group(cls=LazyCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stridepod")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.option("--db", type=click.Path(dir_okay=False), envvar="STRIDEPOD_DB",
              help="Database file to use instead of the one in your data directory.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (and --json output).")
@click.option("--lock-wait", "lock_wait_s", type=click.FloatRange(0, 3600), default=LOCK_WAIT_S,
              show_default=True, envvar="STRIDEPOD_LOCK_WAIT_S", metavar="SECONDS",
              help="How long to wait while another program holds the database.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, db: str | None, quiet: bool, lock_wait_s: float) -> None:
    """stridepod: your running pod's data, gait metrics and recovery advice, on your machine."""
    ctx.obj = AppContext(debug=debug, db=Path(db) if db else None, quiet=quiet,
                         lock_wait_s=lock_wait_s)


def main(argv: list[str] | None = None) -> None:
    """Runs one command. Expected failures are one line on stderr and exit code 2; Ctrl-C
    and a closed pipe end it as `stridepod.entry` says (130, 141). --debug shows the
    traceback of an expected failure instead."""
    # stridepod's arrays are small: OpenBLAS's worker threads buy nothing and starting them
    # costs tens of milliseconds of every command's start-up (a user's own setting wins)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        try:
            cli.main(args=args, prog_name="stridepod", standalone_mode=False)
            sys.stdout.flush()  # a closed pipe shows here, not as a message at exit
        except StridepodError as exc:
            if debug and str(exc):
                raise
            if str(exc):  # AlreadyReported: its lines are out already
                click.echo("error: " + " ".join(str(exc).splitlines()), err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(2)
    except (KeyboardInterrupt, click.exceptions.Abort):
        stop("interrupted", EXIT_INTERRUPTED)
    except (BrokenPipeError, PipeClosed):
        stop(None, EXIT_PIPE_CLOSED)
