"""Fault class: a damaged store file.

Every page of a real store is damaged in three ways (zeroed, its b-tree header
overwritten, scrambled), and the file is cut short at several places; on each, the read
commands (today, export; plan and report on the cut files) and the write commands
(import, hrv) run. A command must
then say in one line, exit code 2, that the file is damaged and what to restore it from
(the backup stridepod kept before a schema upgrade, when there is one), and write
nothing; or, when the damage is where the command never reads and the file's structure
checks sound, do exactly what it does on the undamaged store. Write commands check the
file before writing, so they never write into a damaged one."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from faults_rig import (
    Snapshot,
    copy_store,
    one_line_error,
    read_commands,
    write_commands,
)

PAGE = 4096  # SQLite's default page size (the store does not change it)


@pytest.fixture(scope="module")
def seed(real_store) -> Path:
    with sqlite3.connect(real_store) as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == PAGE
    return real_store


def damage(db: Path, page: int, how: str) -> None:
    data = bytearray(db.read_bytes())
    start = (page - 1) * PAGE
    if how == "zeroed":
        data[start:start + PAGE] = bytes(PAGE)
    elif how == "header":  # the b-tree page header (after the file header on page 1)
        offset = start + (100 if page == 1 else 0)
        data[offset:offset + 12] = b"\xa5" * 12
    elif how == "scrambled":
        data[start:start + PAGE] = random.Random(page).randbytes(PAGE)
    elif how == "cut":
        del data[start:]
    db.write_bytes(bytes(data))


def sound(db: Path) -> bool:
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()


def outputs(result, out: Path) -> tuple:
    """What a command produced: its stdout and the files it wrote (by content), with the
    output folder's name left out."""
    files = {p.relative_to(out).as_posix(): p.read_bytes()
             for p in sorted(out.rglob("*")) if p.is_file()} if out.exists() else {}
    return result.stdout.replace(str(out), "OUT"), files


def test_every_damaged_page_is_reported_or_harmless_and_never_written(stridepod_cli, seed,
                                                                       tmp_path):
    pages = seed.stat().st_size // PAGE
    clean = {}
    db = copy_store(seed, tmp_path / "clean-store")
    for name, args in read_commands(tmp_path / "clean").items():
        clean[name] = outputs(stridepod_cli("--db", db, *args), tmp_path / "clean" / name)
    cases = [(page, how) for page in range(1, pages + 1)
             for how in ("zeroed", "header", "scrambled")]
    cases += [(page, "cut") for page in (2, pages // 2, pages)]
    refused = harmless = 0
    for i, (page, how) in enumerate(cases):
        case = tmp_path / f"p{page}-{how}"
        db = copy_store(seed, case)
        backup = db.with_name(db.name + ".schema-1.bak")
        if i % 2:  # a backup kept before an upgrade: the line names it
            copy_store(seed, case, backup.name)
        damage(db, page, how)
        reads = read_commands(case / "out")
        if how != "cut":  # the slower plan and report where the file is cut short
            del reads["plan"], reads["report"]
        writes = write_commands(case, sync=False)
        for kind, name, args in [("read", n, a) for n, a in reads.items()] + [
                ("write", n, a) for n, a in writes.items()]:
            before = Snapshot.of(db)
            result = stridepod_cli("--db", db, *args)
            if result.exit_code == 0:
                # only where the damage does not show: same result as on the sound store
                assert kind == "read" or sound(db), (page, how, name, "wrote into a damaged file")
                if kind == "read":
                    assert outputs(result, case / "out" / name) == clean[name], (page, how, name)
                    assert Snapshot.of(db).changes(before) == []
                harmless += 1
                continue
            restore = str(backup) if i % 2 else "restore from your backup"
            one_line_error(result, "damaged", restore)
            assert Snapshot.of(db).changes(before) == [], (page, how, name)
            refused += 1
    print(f"{len(cases)} damaged files: {refused} commands refused, {harmless} unaffected")
    assert refused > 2 * harmless, (refused, harmless)  # the damage is mostly where data is
