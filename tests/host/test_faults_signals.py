"""Fault class: the runner presses Ctrl-C, or the reader of stdout goes away.

Ctrl-C: each command (an import, a virtual pod's sync, an export, a long analysis, today)
runs as its own program and gets SIGINT, sent to its whole process group as a terminal
does, at points spread from its first instruction to its end. Every run must end with
"interrupted" and exit code 130 (or, when the signal came after the work was done, its
normal output and 0), with no traceback or asyncio message, no child process left
running, and a store that holds all of a transaction or none of it.

A closed pipe: each command writes to a pipe nobody reads any more (closed before it
starts, or after its first bytes, as `| head -c 1` does); it must end quietly with exit
code 141 (documented in docs/app.md)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from faults_rig import DATA, ROOT, assert_store_whole, copy_store

DUMPS = ROOT.parent / "shared" / "datasets" / "dumps"
LONG_RUN = DUMPS / "adept_outdoor_run_left_ankle.csv"  # 25 min, 150,000 rows
# The program as its console script runs it, saying "go" on the pipe READY_FD names once
# stridepod.entry.main has started loading the command line (the first code of
# stridepod/cli.py runs). Before that: the interpreter's start-up and the two lines of
# the console script, which are not stridepod's to handle.
LAUNCH = """\
import os, sys
def ready(frame, event, arg):
    if event == "call" and frame.f_code.co_filename.endswith("stridepod/cli.py"):
        sys.setprofile(None)
        fd = int(os.environ["READY_FD"])
        os.write(fd, b"go")
        os.close(fd)
sys.setprofile(ready)
from stridepod.entry import main
main(sys.argv[1:])
"""
DELAYS_S = {"import": 6, "sync": 8, "export": 4, "analyze": 4, "today": 4}


def command(name: str, db: Path, out: Path) -> list[str]:
    return ["--db", str(db), *{
        "import": ["import", str(DATA / "demo_sessions.csv"), str(DATA / "demo_wellness.csv")],
        "sync": ["sync", "--virtual", str(DATA / "gaitpdb_JuCo01_01_left.csv")],
        "export": ["export", str(out)],
        "analyze": ["analyze", str(LONG_RUN), "--json"],
        "today": ["today", "--date", "2022-01-20"],
    }[name]]


def start(args: list[str], tmp: Path, **kwargs) -> subprocess.Popen:
    """The program in its own process group; returns once stridepod's code runs."""
    ready_r, ready_w = os.pipe()
    env = dict(os.environ, COLUMNS="200", TMPDIR=str(tmp), READY_FD=str(ready_w))
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH, *args], pass_fds=(ready_w,),
                            env=env, start_new_session=True, text=True, **kwargs)
    os.close(ready_w)
    assert os.read(ready_r, 2) == b"go"
    os.close(ready_r)
    return proc


def short_tmp() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="sp-", dir="/tmp"))
    CREATED.append(folder)
    return folder


CREATED: list[Path] = []


@pytest.fixture(autouse=True)
def _remove_short_tmps():
    yield
    while CREATED:
        shutil.rmtree(CREATED.pop(), ignore_errors=True)


def leftovers(tmp: Path) -> list[str]:
    """Processes still running whose command line names the run's temporary folder."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(tmp) in cmdline:
            found.append(cmdline)
    return found


def test_ctrl_c_at_any_point_is_interrupted_130_and_leaves_the_store_whole(real_store, tmp_path):
    outcomes = {"interrupted": 0, "finished": 0}
    for name, count in DELAYS_S.items():
        # how long the command takes here, to spread the interrupts over all of it
        db = copy_store(real_store, tmp_path / f"{name}-time")
        started = time.monotonic()
        proc = start(command(name, db, tmp_path / f"{name}-time" / "out"), short_tmp(),
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert proc.communicate(timeout=300)[1] == ""
        span = time.monotonic() - started
        for k in range(count):
            case = tmp_path / f"{name}-{k}"
            tmp = short_tmp()  # the bus's socket path must stay under 108 bytes
            db = copy_store(real_store, case)
            proc = start(command(name, db, case / "out"), tmp, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
            time.sleep(span * k / count)
            os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C
            out, err = proc.communicate(timeout=300)
            lines = [line for line in err.splitlines() if line.strip()]
            if proc.returncode == 130:
                assert lines == ["interrupted"], (name, k, err[-2000:])
                outcomes["interrupted"] += 1
            else:  # the signal came when the work was done
                assert proc.returncode == 0 and not lines, (name, k, proc.returncode, err[-2000:])
                outcomes["finished"] += 1
            assert leftovers(tmp) == [], (name, k)
            assert_store_whole(db, name)
            assert not list(case.rglob("*.tmp")), (name, k)
    print(f"Ctrl-C: {outcomes}")
    assert outcomes["interrupted"] >= sum(DELAYS_S.values()) // 2, outcomes


PIPE_COMMANDS = {
    "today": ["today", "--date", "2022-01-20"],
    "today --json": ["today", "--json", "--date", "2022-01-20"],
    "plan": ["plan", "--date", "2022-01-20"],
    "analyze --json": ["analyze", str(LONG_RUN), "--json"],
    "analyze": ["analyze", str(LONG_RUN)],
    "export --json": ["export", "--json", "OUT"],
    "--help": ["--help"],
    "--version": ["--version"],
}


# outputs larger than a pipe's buffer (64 KiB): the reader leaves while they are written
LONG_OUTPUTS = ("analyze --json",)


@pytest.mark.parametrize("after_bytes", [0, 1])
def test_a_closed_pipe_ends_quietly_with_141(real_store, tmp_path, after_bytes):
    db = copy_store(real_store, tmp_path / "store")
    for name, args in PIPE_COMMANDS.items():
        if after_bytes and name not in LONG_OUTPUTS:
            continue  # a short output fits the pipe and is written before the reader leaves
        args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
        read_end, write_end = os.pipe()
        if not after_bytes:
            os.close(read_end)
        proc = start(["--db", str(db), *args], tmp_path, stdout=write_end,
                     stderr=subprocess.PIPE)
        os.close(write_end)
        if after_bytes:  # `| head -c 1`: read a byte, then go away
            assert os.read(read_end, after_bytes)
            os.close(read_end)
        _, err = proc.communicate(timeout=120)
        assert (proc.returncode, err) == (141, ""), (name, proc.returncode, err[-2000:])


FINALIZER_INTERRUPT = """\
import signal, sys, time
import stridepod.cli

class Finalized:
    def __del__(self):
        raise KeyboardInterrupt  # what Python's SIGINT handler does when Ctrl-C lands here

def command(argv):
    Finalized()  # collected at once: the interrupt hits its finalizer, where it cannot propagate
    for _ in range(500):  # the command's work goes on (5 s)
        time.sleep(0.01)
    print("finished")

stridepod.cli.main = command
from stridepod.entry import main
main([])
"""


def test_a_ctrl_c_that_lands_in_a_finalizer_still_interrupts():
    """Python prints such an interrupt as "Exception ignored in ..." and runs on (seen with
    the import system's lock callbacks); stridepod raises it again where it can stop."""
    proc = subprocess.run([sys.executable, "-c", FINALIZER_INTERRUPT], capture_output=True,
                          text=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (130, "", "interrupted\n")
