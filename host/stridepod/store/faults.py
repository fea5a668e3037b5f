"""What went wrong with the store, in one line the runner can act on.

Every SQLite failure the store meets becomes a `StoreError` that names the file and the
cause, and says what happened to the data:

- busy: another program holds the file's lock longer than the wait (`lock_wait_s`); the
  line names that program (pid and command line, from /proc/locks on Linux);
- full disk, read-only file or media, a file that cannot be opened;
- damaged: checked with `PRAGMA quick_check` when an operation fails (a corrupt page, an
  I/O error, a header that is not SQLite's); the line says what to restore from;
- another program's file, a newer stridepod's, an inconsistent schema (see
  `stridepod.store.schema.check_schema`).

A failed write is rolled back (SQLite's journal), so "not stored" is exact: the file is
as it was before the command. Nothing here writes to the store.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from stridepod.errors import StridepodError

LOCK_WAIT_S = 10.0  # how long a command waits for another program's lock by default
SQLITE_HEADER = b"SQLite format 3\x00"
BACKUP_GLOB = "*.schema-*.bak"  # the copies kept before each schema upgrade


class StoreError(StridepodError):
    pass


def backups(path: Path) -> list[Path]:
    """The copies of `path` kept before its schema upgrades, newest first."""
    found = path.parent.glob(f"{path.name}.schema-*.bak")
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def restore_hint(path: Path) -> str:
    kept = backups(path)
    if kept:
        return f"restore from {kept[0]} (kept before the last schema upgrade) or a newer backup"
    return "restore from your backup of it (stridepod keeps one only before a schema upgrade)"


def damaged(path: Path, detail: str) -> StoreError:
    return StoreError(f"{path} is damaged ({detail}): {restore_hint(path)}; nothing was written")


def quick_check(path: Path) -> str | None:
    """The first problem `PRAGMA quick_check` finds in the file, None when it is sound.
    Opens the file read-only, on its own connection."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        return f"cannot read it: {exc.strerror}"
    if head and head != SQLITE_HEADER:
        return "its first bytes are not an SQLite header"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    try:
        rows = conn.execute("PRAGMA quick_check(1)").fetchall()
    except sqlite3.DatabaseError as exc:
        if _primary(exc) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return None  # cannot look now: not evidence of damage
        return str(exc)
    finally:
        conn.close()
    first = rows[0][0] if rows else "ok"
    return None if first == "ok" else str(first)


def _primary(exc: sqlite3.Error) -> int:
    return (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF


def lock_holder(path: Path) -> str | None:
    """Which other process holds a lock on `path` ("pid 123: sqlite3 stridepod.db"), from
    /proc/locks (Linux); None when it cannot be told."""
    try:
        st = os.stat(path)
        with open("/proc/locks") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in lines:
        fields = line.split()
        if len(fields) < 6 or "->" in fields[1]:  # "->": waiting for a lock, not holding one
            continue
        pid_text, where = fields[4], fields[5]
        if where != inode or not pid_text.isdigit() or int(pid_text) in (0, os.getpid()):
            continue
        return f"pid {pid_text}: {_command_line(int(pid_text))}"
    return None


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            args = fh.read().split(b"\0")
    except OSError:
        return "a program that has exited since"
    # paths by their last part: "python3 lock_holder.py stridepod.db", "sqlite3 stridepod.db"
    text = " ".join(os.path.basename(a.decode(errors="replace")) for a in args if a)
    return text if len(text) <= 80 else text[:77] + "..."


def explain(exc: sqlite3.Error, path: Path, lock_wait_s: float, *, writing: bool) -> StoreError:
    """`exc`, raised while using the store at `path`, as one line."""
    code = _primary(exc)
    unchanged = "nothing was written" if writing else "nothing was changed"
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        holder = lock_holder(path)
        who = f"another program ({holder})" if holder else "another program"
        return StoreError(f"{path} is in use: {who} held it for longer than {lock_wait_s:g} s; "
                          f"close it or try again later; {unchanged}")
    if code == sqlite3.SQLITE_FULL:
        return StoreError(f"the disk holding {path} is full: the change in progress was not "
                          "stored (what was stored before it is whole); free some space and "
                          "try again")
    if code == sqlite3.SQLITE_READONLY:
        return StoreError(f"{path} is read-only (read-only media or no write permission): "
                          f"{unchanged}")
    if code == sqlite3.SQLITE_CANTOPEN:
        return StoreError(f"cannot open {path} (missing folder, permissions or read-only "
                          f"media?): {unchanged}")
    if code == sqlite3.SQLITE_NOTADB and not _looks_like_sqlite(path):
        return StoreError(f"{path} is not a stridepod database (not an SQLite file: another "
                          f"program's file, or a damaged store: {restore_hint(path)}); {unchanged}")
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_IOERR,
                sqlite3.SQLITE_FORMAT, sqlite3.SQLITE_PROTOCOL) or "malformed" in str(exc):
        problem = quick_check(path)
        if problem is not None or code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            return damaged(path, problem or str(exc))
        return StoreError(f"cannot {'write' if writing else 'read'} {path}: {exc} (the disk "
                          f"failing or removed?); the file checks sound; {unchanged}")
    if code in (sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH,
                sqlite3.SQLITE_RANGE):
        return StoreError(f"cannot store this in {path}: {exc}; {unchanged}")
    return StoreError(f"{path}: database error: {exc}; {unchanged}")


def _looks_like_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def platform_names_lock_holders() -> bool:
    """Whether `lock_holder` can name a holder here (it reads Linux's /proc/locks)."""
    return sys.platform.startswith("linux") and os.path.exists("/proc/locks")
