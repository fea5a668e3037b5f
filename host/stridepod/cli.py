"""The `stridepod` command. Each subcommand lives in `stridepod.commands.<name>` and
exports `command` (a click command or group named <name>); this module only assembles
them (importing each when it is used) and turns expected failures into one clear line
with exit code 2."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import click

from stridepod import __version__
from stridepod.commands.context import AppContext
from stridepod.errors import StridepodError

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


@click.group(cls=LazyCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stridepod")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.option("--db", type=click.Path(dir_okay=False), envvar="STRIDEPOD_DB",
              help="Database file to use instead of the one in your data directory.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (and --json output).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, db: str | None, quiet: bool) -> None:
    """stridepod: your running pod's data, gait metrics and recovery advice, on your machine."""
    ctx.obj = AppContext(debug=debug, db=Path(db) if db else None, quiet=quiet)


def main(argv: list[str] | None = None) -> None:
    # stridepod's arrays are small: OpenBLAS's worker threads buy nothing and starting them
    # costs tens of milliseconds of every command's start-up (a user's own setting wins)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="stridepod", standalone_mode=False)
    except StridepodError as exc:
        if debug and str(exc):
            raise
        if str(exc):
            click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
