"""The store's schema: the migrations that build it, what each column holds, and how a
file is recognised as a stridepod store this version can use before anything is written
to it (`check_schema`: another program's file, a newer stridepod's, an inconsistent
schema are refused in one line; `refuse_foreign_wal` does it for a WAL-mode file without
opening it for real)."""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

from stridepod.store import faults
from stridepod.store.faults import StoreError

# Each entry upgrades the schema from version i to i + 1. Never edit a released entry:
# append a new one, so existing stores upgrade the same way fresh ones are built.
MIGRATIONS: tuple[str, ...] = (
    # 1: pod records, exactly once per (pod, sequence number)
    """
    CREATE TABLE pod_records (
        pod_id      TEXT    NOT NULL,
        seq         INTEGER NOT NULL,
        received_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
        record      TEXT    NOT NULL,  -- the decoded wire record as JSON
        PRIMARY KEY (pod_id, seq)
    ) WITHOUT ROWID;
    """,
    # 2: the runner's history and plan (columns named as in stridepod.recovery.model),
    #    and the files it came from
    """
    CREATE TABLE imports (
        sha256      TEXT PRIMARY KEY,
        path        TEXT NOT NULL,
        kind        TEXT NOT NULL,
        rows        INTEGER NOT NULL,
        imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE TABLE wellness_days (
        date       TEXT PRIMARY KEY,  -- ISO date of the morning
        resting_hr REAL,
        rmssd_ms   REAL,
        sleep_h    REAL,              -- the night before
        source     TEXT NOT NULL
    );
    CREATE TABLE runs (
        source_key    TEXT PRIMARY KEY,  -- the same run imported again has the same key
        source        TEXT NOT NULL,     -- 'pod', 'fit', 'csv'
        start         TEXT NOT NULL,     -- ISO date-time, the runner's local time
        date          TEXT NOT NULL,
        duration_min  REAL NOT NULL,
        distance_km   REAL,
        rpe           REAL,
        avg_hr        REAL,
        max_hr        REAL,
        steps         INTEGER,
        cadence_spm   REAL,
        impact_g_mean REAL,
        impact_g_peak REAL,
        contact_ms    REAL,
        strike_heel   REAL,              -- shares of strikes, 0..1
        strike_mid    REAL,
        strike_fore   REAL,
        asymmetry_pct REAL,
        pace_s_per_km REAL,
        kind          TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX runs_by_date ON runs (date);
    CREATE TABLE pain_log (
        date         TEXT NOT NULL,
        site         TEXT NOT NULL,      -- knee, shin, achilles, ...
        during       REAL CHECK (during BETWEEN 0 AND 10),
        next_morning REAL CHECK (next_morning BETWEEN 0 AND 10),
        PRIMARY KEY (date, site)
    );
    CREATE TABLE planned_sessions (
        date         TEXT PRIMARY KEY,
        kind         TEXT NOT NULL,
        duration_min REAL,
        distance_km  REAL,
        intensity    TEXT NOT NULL DEFAULT '',
        back_to_back INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE goals (
        date        TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        distance_km REAL
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
Schema = dict[str, tuple[str, ...]]  # table -> its column names

# What the TEXT and INTEGER columns hold, for typed exports (SQLite keeps dates as ISO text
# and booleans as 0/1): "date", "local_time" (ISO date-time, no zone), "utc_time" (ISO
# date-time ending in Z), "bool". Other columns follow their declared SQLite type.
COLUMN_MEANING: dict[tuple[str, str], str] = {
    ("pod_records", "received_at"): "utc_time",
    ("imports", "imported_at"): "utc_time",
    ("wellness_days", "date"): "date",
    ("runs", "start"): "local_time",
    ("runs", "date"): "date",
    ("pain_log", "date"): "date",
    ("planned_sessions", "date"): "date",
    ("planned_sessions", "back_to_back"): "bool",
    ("goals", "date"): "date",
}


def read_schema(conn: sqlite3.Connection) -> Schema:
    """The tables (not SQLite's own) and their columns of an open database."""
    names = [n for (n,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%'"
        " ESCAPE '\\' ORDER BY name")]
    return {n: tuple(c for (c,) in conn.execute("SELECT name FROM pragma_table_info(?)", (n,)))
            for n in names}


@functools.cache
def schema_at(version: int) -> Schema:
    """The tables and columns a store at `version` has (the migrations run in memory)."""
    conn = sqlite3.connect(":memory:")
    for script in MIGRATIONS[:version]:
        conn.executescript(script)
    return read_schema(conn)


def check_schema(path: Path, version: int, found: Schema) -> None:
    """Refuses a file that is not a stridepod store this version can use (one line)."""
    ours = {name for v in range(1, SCHEMA_VERSION + 1) for name in schema_at(v)}
    if found and not found.keys() & ours:
        listed = ", ".join(sorted(found)[:5]) + (", ..." if len(found) > 5 else "")
        raise StoreError(f"{path} is another program's SQLite database (tables {listed}), "
                         "not a stridepod store: choose another file with --db; "
                         "nothing was written")
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path} was written by a newer stridepod (schema {version}, this "
                         f"version knows up to {SCHEMA_VERSION}): upgrade stridepod; "
                         "nothing was written")
    if version == 0 and not found:
        return  # a new store
    expected = schema_at(version) if version > 0 else {}
    missing = [t for t in expected if t not in found]
    changed = [t for t in expected if t in found and set(found[t]) != set(expected[t])]
    later = sorted(t for t in found.keys() & ours if t not in expected)  # a later schema's
    if version <= 0 or missing or changed or later:
        problems = ([f"without table(s) {', '.join(missing)}"] if missing else []) + (
            [f"with other columns in {', '.join(changed)}"] if changed else []) + (
            [f"with the later schema's {', '.join(later)}"] if later else [])
        detail = (f"schema version {version}, which no stridepod writes" if version <= 0
                  else f"schema {version} " + "; ".join(problems))
        raise StoreError(f"{path} has an inconsistent schema ({detail}): another program's "
                         f"file or a damaged store; {faults.restore_hint(path)}; "
                         "nothing was written")


def refuse_foreign_wal(path: Path) -> None:
    """A file in WAL mode (stridepod's never are, others' often) is checked before it is
    opened for real: opening it would create its -wal and -shm files, even read-only.
    Read as immutable (no locks, no companion files); what cannot be read that way is
    left to the real opening to explain."""
    try:
        with open(path, "rb") as fh:
            header = fh.read(20)
    except OSError:
        return
    if header[:16] != faults.SQLITE_HEADER or header[18:20] != b"\x02\x02":
        return
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        found = read_schema(conn)
    except sqlite3.DatabaseError:
        return
    finally:
        conn.close()
    check_schema(path, version, found)
