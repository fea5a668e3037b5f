"""The runner's data on disk: one SQLite file.

Everything stridepod knows lives here: summary records synced from pods, wellness days
(resting HR, HRV, sleep), runs, the pain log, planned sessions, and which files were
already imported. The file is created readable by its owner only (it holds health data),
the schema carries its version (`PRAGMA user_version`) and is brought up to date by the
migrations below, applied in order, each in its own transaction.

Writes that belong together happen in one transaction, so an interrupted sync (Ctrl-C,
dropped link, power cut) leaves either all of a batch or none of it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stridepod.errors import StridepodError


class StoreError(StridepodError):
    pass


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
    # 2: the runner's history and plan, and the files it came from
    """
    CREATE TABLE imports (
        sha256      TEXT PRIMARY KEY,
        path        TEXT NOT NULL,
        kind        TEXT NOT NULL,
        rows        INTEGER NOT NULL,
        imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE TABLE wellness_days (
        day      TEXT PRIMARY KEY,  -- ISO date of the morning
        rhr_bpm  REAL,
        rmssd_ms REAL,
        sleep_h  REAL,
        source   TEXT NOT NULL
    );
    CREATE TABLE runs (
        id             INTEGER PRIMARY KEY,
        source_key     TEXT NOT NULL UNIQUE,  -- same run imported again = same key
        source         TEXT NOT NULL,         -- 'pod', 'fit', 'csv'
        start          TEXT NOT NULL,         -- ISO date-time, local time of the runner
        day            TEXT NOT NULL,
        duration_s     REAL NOT NULL,
        distance_m     REAL,
        steps          INTEGER,
        cadence_spm    REAL,
        impact_peak_cg REAL,
        impact_mean_cg REAL,
        contact_ms     REAL,
        strike_heel    INTEGER,
        strike_mid     INTEGER,
        strike_fore    INTEGER,
        avg_hr         REAL,
        max_hr         REAL,
        rpe            REAL
    );
    CREATE INDEX runs_by_day ON runs (day);
    CREATE TABLE pain_log (
        id       INTEGER PRIMARY KEY,
        day      TEXT NOT NULL,
        location TEXT NOT NULL,
        score    INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
        timing   TEXT NOT NULL,  -- 'during' the run or 'next_morning'
        note     TEXT NOT NULL DEFAULT '',
        UNIQUE (day, location, timing)
    );
    CREATE TABLE planned_sessions (
        day          TEXT PRIMARY KEY,
        kind         TEXT NOT NULL,
        duration_min REAL,
        distance_km  REAL,
        intensity    TEXT NOT NULL DEFAULT '',
        goal_race    INTEGER NOT NULL DEFAULT 0
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)

RUN_COLUMNS = (
    "source_key", "source", "start", "day", "duration_s", "distance_m", "steps",
    "cadence_spm", "impact_peak_cg", "impact_mean_cg", "contact_ms", "strike_heel",
    "strike_mid", "strike_fore", "avg_hr", "max_hr", "rpe",
)
WELLNESS_COLUMNS = ("rhr_bpm", "rmssd_ms", "sleep_h")
PLAN_COLUMNS = ("day", "kind", "duration_min", "distance_km", "intensity", "goal_race")
PAIN_COLUMNS = ("day", "location", "score", "timing", "note")


def _record_dict(record: Any) -> dict:
    """A decoded wire record as a plain dict (accepts dicts, dataclasses, namedtuples,
    slotted or plain objects)."""
    if isinstance(record, Mapping):
        return dict(record)
    if hasattr(record, "_asdict"):
        return dict(record._asdict())
    slots = getattr(type(record), "__slots__", None)
    if slots:
        return {name: getattr(record, name) for name in slots if hasattr(record, name)}
    if hasattr(record, "__dict__"):
        return {k: v for k, v in vars(record).items() if not k.startswith("_")}
    raise StoreError(f"cannot store a pod record of type {type(record).__name__}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


class Store:
    """An open store. Use `Store.open(path)`, ideally as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self._conn = conn
        self.path = path

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike) -> Store:
        path = Path(path).expanduser()
        if path.is_dir():
            raise StoreError(f"{path} is a directory, not a stridepod database")
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Create the file ourselves so it is never readable by others, whatever the umask.
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreError(f"cannot open database {path}: {exc.strerror}") from None
        try:
            if os.fstat(fd).st_size == 0:
                os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
        conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
        store = cls(conn, path)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            store._migrate()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{path} is not a stridepod database ({exc})") from None
        return store

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer stridepod (schema {version}, "
                f"this version knows up to {SCHEMA_VERSION}); upgrade stridepod"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            # executescript would commit on its own; run the statements inside one
            # explicit transaction so a failed migration leaves the old version intact.
            with self.transaction() as conn:
                for statement in _statements(MIGRATIONS[target - 1]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target}")

    @property
    def schema_version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside commit together or not at all (also on Ctrl-C)."""
        conn = self._conn
        if conn.in_transaction:  # nested: the outer transaction decides
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # -- pod records ---------------------------------------------------------------------

    def last_sequence(self, pod_id: str) -> int | None:
        row = self._conn.execute(
            "SELECT MAX(seq) FROM pod_records WHERE pod_id = ?", (pod_id,)
        ).fetchone()
        return row[0]

    def add_pod_records(self, pod_id: str, records: Iterable[Any]) -> int:
        """Store decoded wire records; returns how many were new. A record whose
        (pod_id, seq) is already stored is skipped, so replays and backfill overlaps are
        harmless. The whole batch is one transaction."""
        rows = []
        for record in records:
            fields = {k: _jsonable(v) for k, v in _record_dict(record).items()}
            seq = fields.get("seq")
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
                raise StoreError(f"pod record without a valid sequence number: {fields!r}")
            rows.append((pod_id, seq, json.dumps(fields, sort_keys=True)))
        with self.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO pod_records (pod_id, seq, record) VALUES (?, ?, ?)", rows
            )
            return conn.total_changes - before

    def pod_records(self, pod_id: str | None = None) -> list[dict]:
        """Stored records in sequence order, each the decoded record plus `pod_id`."""
        if pod_id is None:
            cursor = self._conn.execute(
                "SELECT pod_id, record FROM pod_records ORDER BY pod_id, seq"
            )
        else:
            cursor = self._conn.execute(
                "SELECT pod_id, record FROM pod_records WHERE pod_id = ? ORDER BY seq", (pod_id,)
            )
        return [{**json.loads(record), "pod_id": pod} for pod, record in cursor]

    def pod_ids(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT DISTINCT pod_id FROM pod_records")]

    # -- imports -------------------------------------------------------------------------

    def imported(self, sha256: str) -> dict | None:
        """The earlier import of a file with this content hash, if any."""
        row = self._conn.execute(
            "SELECT path, kind, rows, imported_at FROM imports WHERE sha256 = ?", (sha256,)
        ).fetchone()
        if row is None:
            return None
        return dict(zip(("path", "kind", "rows", "imported_at"), row, strict=True))

    def note_import(self, sha256: str, path: str, kind: str, rows: int) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO imports (sha256, path, kind, rows) VALUES (?, ?, ?, ?)",
            (sha256, path, kind, rows),
        )

    def imports(self) -> list[dict]:
        cursor = self._conn.execute(
            "SELECT sha256, path, kind, rows, imported_at FROM imports ORDER BY imported_at"
        )
        return _dicts(cursor)

    # -- wellness ------------------------------------------------------------------------

    def add_wellness_days(self, days: Iterable[Mapping], source: str) -> int:
        """Upsert mornings by date. A value a source leaves empty keeps what another source
        gave for that day (e.g. HRV from a strap, sleep from a watch). Returns rows touched."""
        rows = [
            (d["day"], *(_optional_float(d.get(c)) for c in WELLNESS_COLUMNS), source)
            for d in days
        ]
        with self.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                """INSERT INTO wellness_days (day, rhr_bpm, rmssd_ms, sleep_h, source)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (day) DO UPDATE SET
                     rhr_bpm  = COALESCE(excluded.rhr_bpm, rhr_bpm),
                     rmssd_ms = COALESCE(excluded.rmssd_ms, rmssd_ms),
                     sleep_h  = COALESCE(excluded.sleep_h, sleep_h),
                     source   = excluded.source
                   WHERE excluded.rhr_bpm IS NOT rhr_bpm AND excluded.rhr_bpm IS NOT NULL
                      OR excluded.rmssd_ms IS NOT rmssd_ms AND excluded.rmssd_ms IS NOT NULL
                      OR excluded.sleep_h IS NOT sleep_h AND excluded.sleep_h IS NOT NULL""",
                rows,
            )
            return conn.total_changes - before

    def wellness_days(self, since: str | None = None) -> list[dict]:
        return _dicts(self._conn.execute(
            "SELECT day, rhr_bpm, rmssd_ms, sleep_h, source FROM wellness_days"
            " WHERE day >= ? ORDER BY day", (since or "",)
        ))

    # -- runs ----------------------------------------------------------------------------

    def add_runs(self, runs: Iterable[Mapping]) -> int:
        """Insert runs; one already stored under the same `source_key` is replaced (the
        pod's summary of a session grows while it is synced). Returns rows touched."""
        rows = [tuple(r.get(c) for c in RUN_COLUMNS) for r in runs]
        names = ", ".join(RUN_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in RUN_COLUMNS[1:])
        with self.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                f"INSERT INTO runs ({names}) VALUES ({', '.join('?' * len(RUN_COLUMNS))})"
                f" ON CONFLICT (source_key) DO UPDATE SET {updates}",
                rows,
            )
            return conn.total_changes - before

    def runs(self, since: str | None = None) -> list[dict]:
        return _dicts(self._conn.execute(
            f"SELECT id, {', '.join(RUN_COLUMNS)} FROM runs WHERE day >= ? ORDER BY start",
            (since or "",),
        ))

    # -- pain log ------------------------------------------------------------------------

    def add_pain_entries(self, entries: Iterable[Mapping]) -> int:
        rows = [(e["day"], e["location"], int(e["score"]), e["timing"], e.get("note") or "")
                for e in entries]
        with self.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                """INSERT INTO pain_log (day, location, score, timing, note)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (day, location, timing) DO UPDATE SET
                     score = excluded.score, note = excluded.note
                   WHERE score IS NOT excluded.score OR note IS NOT excluded.note""",
                rows,
            )
            return conn.total_changes - before

    def pain_entries(self, since: str | None = None) -> list[dict]:
        return _dicts(self._conn.execute(
            f"SELECT {', '.join(PAIN_COLUMNS)} FROM pain_log WHERE day >= ? ORDER BY day, id",
            (since or "",),
        ))

    # -- plan ----------------------------------------------------------------------------

    def set_planned_sessions(self, sessions: Iterable[Mapping]) -> int:
        """The runner's plan: each given day's session replaces what was planned that day."""
        rows = [
            (s["day"], s["kind"], _optional_float(s.get("duration_min")),
             _optional_float(s.get("distance_km")), s.get("intensity") or "",
             int(bool(s.get("goal_race"))))
            for s in sessions
        ]
        with self.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                f"INSERT OR REPLACE INTO planned_sessions ({', '.join(PLAN_COLUMNS)})"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            return conn.total_changes - before

    def planned_sessions(self, since: str | None = None) -> list[dict]:
        return _dicts(self._conn.execute(
            f"SELECT {', '.join(PLAN_COLUMNS)} FROM planned_sessions WHERE day >= ?"
            " ORDER BY day", (since or "",),
        ))

    def table(self, name: str) -> tuple[list[str], list[tuple]]:
        """Column names and rows of one table, for export."""
        if name not in TABLES:
            raise StoreError(f"no table {name!r}; tables: {', '.join(TABLES)}")
        cursor = self._conn.execute(f"SELECT * FROM {name}")
        return [d[0] for d in cursor.description], cursor.fetchall()


TABLES = ("pod_records", "runs", "wellness_days", "pain_log", "planned_sessions", "imports")


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _dicts(cursor: sqlite3.Cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _optional_float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)
