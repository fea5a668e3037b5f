"""The `stridepod` program's entry point ([project.scripts] in pyproject.toml).

It holds the handlers for the two ways a command ends early that are not errors, and puts
them in place before the command line (click, the store, numpy...) is even imported, so a
Ctrl-C at any point is handled the same way:

- Ctrl-C: "interrupted" on stderr, exit code 130 (128 + SIGINT, what a shell reports);
- a reader that closed the pipe (`stridepod export --json | head`): nothing more is
  printed, exit code 141 (128 + SIGPIPE, as `cat` or `seq` end).

Either way what the command stored is whole: transactions roll back, files are replaced
only when complete, child processes are stopped on the way out.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

EXIT_INTERRUPTED = 130
EXIT_PIPE_CLOSED = 141


class PipeClosed(Exception):  # noqa: N818 - what happened, not an error of the command
    """stdout's reader went away. Not an OSError, so that click does not turn it into
    exit code 1 on the way out."""


def main(argv: list[str] | None = None) -> None:
    sys.unraisablehook = _interrupt_where_it_can_stop
    try:
        try:
            from stridepod.cli import main as run_command

            run_command(argv)
        except KeyboardInterrupt:
            stop("interrupted", EXIT_INTERRUPTED)
        except (BrokenPipeError, PipeClosed):
            stop(None, EXIT_PIPE_CLOSED)
    except SystemExit as exc:
        if exc.code in (EXIT_INTERRUPTED, EXIT_PIPE_CLOSED):
            _quiet_from_now_on()
        raise
    finally:
        # the command is over: a Ctrl-C while Python shuts down changes nothing (Python
        # would otherwise restore the default handler and die by the signal)
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _interrupt_where_it_can_stop(unraisable: sys.UnraisableHookArgs) -> None:
    """A Ctrl-C that lands in a finalizer or a weak-reference callback (the import system
    has some) cannot propagate: Python would print it as "Exception ignored in ..." and
    the command would run on. It is raised again at the next point that can stop the
    command; every other unraisable error is reported as Python does."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        import _thread

        # from another thread: the main thread takes it at its next check, once out of
        # here (were that a finalizer again, this hook runs again)
        _thread.start_new_thread(_thread.interrupt_main, ())
        return
    sys.__unraisablehook__(unraisable)


def _quiet_from_now_on() -> None:
    """After "interrupted" (or a closed pipe) nothing more is said: what the interrupt cut
    short (an event loop being set up, a coroutine not yet started) would otherwise be
    reported by Python's finalizers as the process exits. The data is safe by then
    (transactions rolled back, files replaced only whole); only these messages go."""
    import logging
    import warnings

    sys.unraisablehook = lambda _unraisable: None
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)


def stop(message: str | None, code: int) -> None:
    """Ends the command after Ctrl-C or a closed pipe: `message` (one line) on stderr at
    most, nothing on stdout after it."""
    with contextlib.suppress(OSError, ValueError):
        if message is None:  # the reader is gone: what is still buffered goes nowhere
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.stdout.flush()
    if message:
        with contextlib.suppress(OSError, ValueError):
            print(message, file=sys.stderr, flush=True)
    sys.exit(code)
