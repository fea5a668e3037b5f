"""Shared by the fault-class tests (tests/host/test_faults_*.py): a store of real data,
the commands each class runs against it, and what every case must show: one line on
stderr starting "error:", exit code 2, and a store whose bytes did not change.

The store holds a real person's mornings (the bundled LifeSnaps history,
host/stridepod/data/demo_wellness.csv) and the pod records of a real walk (gaitmap's
foot-IMU recording, replayed by the real firmware on a virtual pod and synced by the
real bleak client). Write commands add a real person's sessions (demo_sessions.csv), a
morning HRV measurement (pyhrv's published NN series sent as a strap's 0x2A37
notifications) and a second virtual pod (PhysioNet gaitpdb insole walk)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import sqlite3
import struct
import subprocess
import sys
from pathlib import Path

from stridepod.ble.virtual import sync_virtual_pod
from stridepod.importers.intake import import_file
from stridepod.store.database import Store
from stridepod.store.podruns import update_pod_runs

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "host" / "stridepod" / "data"
HRV = ROOT.parent / "shared" / "datasets" / "hrv"
DAY = "2022-01-20"  # inside the bundled history
PYTHON = sys.executable


def build_store(path: Path) -> Path:
    """The real store every fault case starts from (see the module docstring)."""
    with Store.open(path) as store:
        import_file(store, DATA / "demo_wellness.csv")
        result = asyncio.run(sync_virtual_pod(DATA / "gaitmap_walk_left.csv", store))
        update_pod_runs(store, result.pod_id)
    return path


def strap_measurement(folder: Path) -> Path:
    """pyhrv's short NN series as a chest strap's notifications (flags, HR, RR in 1/1024 s),
    saved one per line in hex as `stridepod hrv --save` does."""
    rr = [float(x) for x in (HRV / "pyhrv_SampleNNISeriesShort.txt").read_text().split()]
    packets = [bytes([0x10, 62]) + b"".join(struct.pack("<H", round(x * 1.024))
                                            for x in rr[i:i + 3]) for i in range(0, len(rr), 3)]
    path = folder / "morning.hex"
    path.write_text("".join(p.hex() + "\n" for p in packets))
    return path


def read_commands(out: Path) -> dict[str, list[str]]:
    """Commands that only read the store."""
    return {
        "today": ["today", "--date", DAY],
        "plan": ["plan", "--json", "--date", DAY],
        "export": ["export", str(out / "export")],
        "report": ["report", "-o", str(out / "report"), "--date", DAY],
    }


def write_commands(folder: Path, *, sync: bool = True) -> dict[str, list[str]]:
    """Commands that write to it (each has something new to store)."""
    commands = {
        "import": ["import", str(DATA / "demo_sessions.csv")],
        "hrv": ["hrv", "--from-file", str(strap_measurement(folder)), "--date", "2022-01-23"],
    }
    if sync:
        commands["sync"] = ["sync", "--virtual", str(DATA / "gaitpdb_JuCo01_01_left.csv")]
    return commands


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """The store file and its companions (journal, WAL, backups) byte for byte."""

    files: dict[str, bytes]

    @classmethod
    def of(cls, db: Path) -> Snapshot:
        return cls({p.name: p.read_bytes() for p in sorted(db.parent.iterdir())
                    if p.name.startswith(db.name) and p.is_file()})

    def changes(self, other: Snapshot) -> list[str]:
        return sorted(name for name in self.files.keys() | other.files.keys()
                      if self.files.get(name) != other.files.get(name))


def copy_store(seed: Path, folder: Path, name: str = "stridepod.db") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / name
    shutil.copyfile(seed, db)
    os.chmod(db, 0o600)
    return db


def assert_store_whole(db: Path, name: str) -> None:
    """After a command stopped part way (Ctrl-C, a full disk): the file is sound and holds
    whole transactions only (an import's file all or nothing, a sync's records from 0
    without a gap)."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        if name == "import":  # each file one transaction: all of it or none
            runs = conn.execute("SELECT count(*) FROM runs WHERE source LIKE 'csv:%'").fetchone()[0]
            assert runs in (0, 30), runs
        if name == "sync":  # the records of the new pod: from 0, without a gap
            seqs = [s for (s,) in conn.execute(
                "SELECT seq FROM pod_records WHERE pod_id IN (SELECT pod_id FROM pod_records"
                " GROUP BY pod_id HAVING min(received_at) >= (SELECT max(received_at)"
                " FROM pod_records WHERE seq = 0)) ORDER BY seq")]
            assert seqs == list(range(len(seqs))), seqs


def one_line_error(result, *words: str) -> str:
    """The single error line of a refused command (asserting that it is one)."""
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.exit_code == 2, (result.exit_code, result.stdout[-300:], result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def run_program(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 120,
                **kwargs) -> subprocess.CompletedProcess:
    """`stridepod ARGS` as its own process (python -m stridepod, this interpreter)."""
    full_env = dict(os.environ, COLUMNS="200", **(env or {}))
    return subprocess.run([PYTHON, "-m", "stridepod", *args], env=full_env, timeout=timeout,
                          capture_output=True, text=True, **kwargs)
