"""Fault class: a full disk, and read-only media.

The store (and the folders export and report write to) sits on a tmpfs of 2 MiB in a
private mount namespace (`unshare`: as root, or as a user where user namespaces are
allowed), filled to leave from 0 to 512 KiB free (8 levels). Every write command runs at every level:
import, hrv, export, report, a store that needs a schema upgrade first (its backup needs
room too) and, at fewer levels, a virtual pod's sync. At each level a command either
completes (and what it wrote is whole) or says in one line, exit code 2, that the disk is
full, and leaves the store's bytes as they were (a sync: the whole batches it stored
before), no temporary file, and every earlier output file as it was. Then the filesystem is remounted read-only: read commands work as
on any disk, write commands say so in one line and write nothing.

Where no mount namespace can be made (a container without the privilege), the file size
limit (RLIMIT_FSIZE, the kernel refusing to let a file grow) stands in for the full disk
and permissions for read-only media (not as root: root ignores them); that is said in
the test output."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from faults_rig import (
    DATA,
    ROOT,
    assert_store_whole,
    one_line_error,
    read_commands,
    strap_measurement,
)
from stridepod.store.database import MIGRATIONS, SCHEMA_VERSION

DRIVER = Path(__file__).with_name("smallfs_driver.py")
SIZE_KB = 2048
FREE_KB = (0, 4, 12, 24, 48, 96, 192, 512)
SYNC_FREE_KB = (0, 24, 192)
OLD_OUTPUT = b"an earlier export, left as it was\n"
# tmpfs: the disk is full; the rlimit fallback: a size limit, an I/O error (SQLite), or
# the virtual pod's inputs in the temporary folder (also limited) cannot be written
DISK_FULL = ("full", "size limit", "I/O error", "cannot write")


def isolation() -> tuple[list[str], str]:
    """How the driver runs: a private mount namespace (tmpfs), else the fallback."""
    probe = Path(os.environ.get("TMPDIR", "/tmp"))
    for prefix in (["unshare", "--mount"], ["unshare", "--user", "--map-root-user", "--mount"]):
        check = subprocess.run([*prefix, "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {probe}"],
                               capture_output=True)
        if check.returncode == 0:
            return prefix, "tmpfs"
    return [], "rlimit"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory, real_store) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("seeds")
    seed = real_store
    old = folder / "schema1.db"  # the same pod records in a store from before schema 2
    with sqlite3.connect(old) as conn, sqlite3.connect(seed) as current:
        conn.executescript(MIGRATIONS[0])
        conn.executemany("INSERT INTO pod_records VALUES (?, ?, ?, ?)",
                         current.execute("SELECT * FROM pod_records"))
        conn.execute("PRAGMA user_version = 1")
    old_export = folder / "old.csv"
    old_export.write_bytes(OLD_OUTPUT)
    return {"seed": seed, "schema1": old, "old": old_export,
            "morning": strap_measurement(folder)}


def run_driver(cases: list[dict], read_only: bool, tmp_path: Path) -> tuple[list[dict], str]:
    prefix, mode = isolation()
    if read_only and not prefix:
        assert os.geteuid() != 0, ("read-only media needs a mount namespace (unshare) as root: "
                                   "permissions do not stop root")
        mode = "chmod"
    spec, results = tmp_path / "spec.json", tmp_path / "results.json"
    for case in cases:
        case["read_only"] = read_only
    spec.write_text(json.dumps({"mode": mode, "cases": cases}))
    env = dict(os.environ, COLUMNS="200", PYTHONPATH=os.pathsep.join(
        [str(ROOT / "tests" / "host"), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([*prefix, sys.executable, str(DRIVER), str(spec), str(results)],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    print(f"disk faults by {mode}")
    return json.loads(results.read_text()), mode


def case(tmp_path: Path, name: str, free_kb: int, files: dict[str, Path],
         args: list[str]) -> dict:
    folder = tmp_path / "mnt" / name
    return {"name": name, "folder": str(folder), "keep": str(tmp_path / "kept" / name),
            "size_kb": SIZE_KB, "free_kb": free_kb, "args": args,
            "files": {k: str(v) for k, v in files.items()}}


def write_cases(tmp_path: Path, seeds: dict[str, Path]) -> list[dict]:
    cases = []
    tables = ["runs", "wellness_days", "pain_log", "planned_sessions", "goals", "pod_records",
              "imports"]
    for free in FREE_KB:
        commands = {
            "import": ({}, ["import", str(DATA / "demo_sessions.csv")]),
            "hrv": ({}, ["hrv", "--from-file", str(seeds["morning"]), "--date", "2022-01-23"]),
            "export": ({f"out/{t}.csv": seeds["old"] for t in tables}, ["export", "OUT"]),
            "report": ({f"out/{f}": seeds["old"] for f in
                        ("report.html", "gait.png", "load.png")},
                       ["report", "-o", "OUT", "--date", "2022-01-20"]),
            "upgrade": ({"stridepod.db": seeds["schema1"]},
                        ["import", str(DATA / "demo_sessions.csv")]),
        }
        if free in SYNC_FREE_KB:
            commands["sync"] = ({}, ["sync", "--virtual", str(DATA / "gaitpdb_JuCo01_01_left.csv")])
        for name, (files, args) in commands.items():
            folder_name = f"{name}-{free}k"
            files = {"stridepod.db": seeds["seed"], **files}
            c = case(tmp_path, folder_name, free, files, [])
            out = str(Path(c["folder"]) / "out")
            c["args"] = ["--db", str(Path(c["folder"]) / "stridepod.db"),
                         *[out if a == "OUT" else a for a in args]]
            cases.append(c)
    return cases


def dump(path: Path) -> list[str]:
    """A store as SQL: its schema, version and every row."""
    conn = sqlite3.connect(path)
    try:
        return [f"user_version {conn.execute('PRAGMA user_version').fetchone()[0]}",
                *conn.iterdump()]
    finally:
        conn.close()


def check_complete(name: str, kept: Path, seeds: dict[str, Path]) -> None:
    """A command that succeeded on the small disk left everything whole."""
    db = kept / "stridepod.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        if name in ("import", "upgrade"):
            assert conn.execute("SELECT count(*) FROM runs WHERE source LIKE 'csv:%'"
                                ).fetchone()[0] == 30
        if name == "hrv":
            assert conn.execute("SELECT rmssd_ms FROM wellness_days WHERE date = '2022-01-23'"
                                ).fetchone()[0] > 0
    if name == "upgrade":  # the copy kept before the upgrade holds the old store, whole
        assert dump(kept / "stridepod.db.schema-1.bak") == dump(seeds["schema1"])
    for path in (kept / "out").glob("*"):
        data = path.read_bytes()
        if path.suffix == ".csv":
            assert data.count(b"\n") >= 1 and data != OLD_OUTPUT
        elif path.suffix == ".png":
            assert data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")
        else:
            assert data.endswith(b"</html>\n")


def check_refused(name: str, kept: Path, result: dict) -> None:
    """A refused command left every file as it was, or (outputs) whole and new; a sync
    may have stored whole batches before the disk filled."""
    before, after = result["before"], result["after"]
    if name == "sync":
        assert_store_whole(kept / "stridepod.db", name)
        before = {**before, "stridepod.db": after["stridepod.db"]}
    assert after["stridepod.db"] == before["stridepod.db"], (name, "the store changed")
    for name, digest in after.items():
        if name.startswith("out/") and digest != before.get(name):
            assert name in before or not name.endswith(".tmp"), name
        else:
            assert before.get(name) == digest, f"{name} left behind or changed"
    assert not [n for n in after if n.endswith(".tmp") or n.endswith("-journal")], after


class Result:
    def __init__(self, raw: dict):
        self.exit_code, self.stdout, self.stderr = raw["exit_code"], raw["stdout"], raw["stderr"]


def test_a_full_disk_leaves_the_store_and_earlier_files_as_they_were(seeds, tmp_path):
    cases = write_cases(tmp_path, seeds)
    results, mode = run_driver(cases, read_only=False, tmp_path=tmp_path)
    refused = done = 0
    for c, raw in zip(cases, results, strict=True):
        name = c["name"].rsplit("-", 1)[0]
        kept = Path(c["keep"])
        if raw["exit_code"] == 0:
            check_complete(name, kept, seeds)
            done += 1
            continue
        line = one_line_error(Result(raw))
        assert any(word in line for word in DISK_FULL), (c["name"], line)
        check_refused(name, kept, raw)
        refused += 1
    print(f"{len(cases)} commands on a full disk: {refused} refused, {done} completed")
    assert refused >= 10 and done >= 10, (refused, done)  # both outcomes are exercised


def test_read_only_media_serve_reads_and_refuse_writes(seeds, tmp_path):
    cases = []
    out = tmp_path / "elsewhere"  # reads that write files write them off the read-only disk
    commands = {f"read-{n}": a for n, a in read_commands(out).items()}
    commands.update({"write-import": ["import", str(DATA / "demo_sessions.csv")],
                     "write-hrv": ["hrv", "--from-file", str(seeds["morning"])],
                     "write-export-here": ["export", "OUT"]})
    for name, args in commands.items():
        c = case(tmp_path, name, 0, {"stridepod.db": seeds["seed"]}, [])
        here = str(Path(c["folder"]) / "out")
        c["args"] = ["--db", str(Path(c["folder"]) / "stridepod.db"),
                     *[here if a == "OUT" else a for a in args]]
        cases.append(c)
    results, _ = run_driver(cases, read_only=True, tmp_path=tmp_path)
    for c, raw in zip(cases, results, strict=True):
        assert raw["after"] == raw["before"], (c["name"], "the read-only disk changed")
        if c["name"].startswith("read-"):
            assert raw["exit_code"] == 0, (c["name"], raw["stderr"])
        else:
            one_line_error(Result(raw), "read-only")
