"""Fault class: another program holds the store's lock.

A second program keeps the store open in each way SQLite lets it (a reader in a
transaction: SHARED; a writer mid-transaction: RESERVED; BEGIN EXCLUSIVE), as a Python
program and as the `sqlite3` shell. Every read and write command runs against each with a
short --lock-wait. A command the lock blocks must say, in one line with exit code 2, that
the store is in use and which program holds it (pid and command line); a command it does
not block must work as usual. The store's bytes never change while refused."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from faults_rig import (
    Snapshot,
    copy_store,
    one_line_error,
    read_commands,
    write_commands,
)

HOLDER = """\
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "SHARED":
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM pod_records").fetchone()  # SHARED until the end
else:
    conn.execute("BEGIN " + sys.argv[2])
print("holding", flush=True)
sys.stdin.read()
"""
SHELL_SQL = {  # the same locks taken by the sqlite3 command-line shell
    "SHARED": "BEGIN; SELECT count(*) FROM pod_records;",
    "IMMEDIATE": "BEGIN IMMEDIATE;",
    "EXCLUSIVE": "BEGIN EXCLUSIVE;",
}
# which commands each lock blocks (rollback journal: readers need no lock but SHARED)
BLOCKS = {"SHARED": {"write"}, "IMMEDIATE": {"write"}, "EXCLUSIVE": {"read", "write"}}
WAIT_S = "0.3"


class Holder:
    """Another program holding `lock` on the store until stopped."""

    def __init__(self, program: str, db: Path, lock: str, folder: Path):
        if program == "python":
            script = folder / "lock_holder.py"
            script.write_text(HOLDER)
            args = [sys.executable, str(script), str(db), lock]
            self.name = "lock_holder.py"
        else:
            args = [shutil.which("sqlite3") or "sqlite3", str(db)]
            self.name = "sqlite3"
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdin and self.proc.stdout
        if program == "sqlite3":
            self.proc.stdin.write(SHELL_SQL[lock] + "\nSELECT 'holding';\n")
            self.proc.stdin.flush()
        while self.proc.stdout.readline().strip() != "holding":  # the shell prints the count
            assert self.proc.poll() is None, "the lock holder exited"

    def stop(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.close()  # the shell rolls back at end of input, the script exits
        self.proc.wait(timeout=10)
        assert self.proc.stdout
        self.proc.stdout.close()


def cases(tmp_path: Path) -> list[tuple[str, str, list[str]]]:
    commands = [("read", name, args) for name, args in read_commands(tmp_path).items()]
    commands += [("write", name, args) for name, args in write_commands(tmp_path).items()]
    return commands


@pytest.mark.parametrize("program", ["python", "sqlite3"])
@pytest.mark.parametrize("lock", sorted(BLOCKS))
def test_a_lock_holder_is_named_and_nothing_is_written(stridepod_cli, real_store, tmp_path, program,
                                                       lock):
    if program == "sqlite3":
        assert shutil.which("sqlite3"), "the sqlite3 shell is missing (tools/ensure-system-packages.sh)"
    tried = 0
    for kind, name, args in cases(tmp_path):
        db = copy_store(real_store, tmp_path / f"{kind}-{name}")
        before = Snapshot.of(db)
        holder = Holder(program, db, lock, tmp_path)
        try:
            result = stridepod_cli("--db", db, "--lock-wait", WAIT_S, *args)
        finally:
            holder.stop()
        if kind in BLOCKS[lock]:
            line = one_line_error(result, f"{db} is in use", f"pid {holder.proc.pid}",
                                  holder.name, "longer than 0.3 s")
            assert Snapshot.of(db).changes(before) == [], (name, line)
        else:
            assert result.exit_code == 0, (name, result.stderr)
        tried += 1
    assert tried == 7
