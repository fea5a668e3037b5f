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



class Table:
    """A history table: its key, its other columns, and how a new row for an existing key
    is merged: "coalesce" keeps stored values where the new row has none (a morning's HRV
    from a strap and its sleep from a watch), "replace" takes the new row as it is."""

    def __init__(self, name: str, key: tuple[str, ...], columns: tuple[str, ...],
                 merge: str, order: str, defaults: Mapping[str, Any] | None = None):
        self.name, self.key, self.columns, self.merge, self.order = name, key, columns, merge, order
        self.defaults = dict(defaults or {})
        # where a row came from is kept, but the same values from another file are no change
        self.compared = tuple(c for c in columns if c != "source")

    def values(self, row: Mapping) -> tuple:
        return tuple(
            _sql_value(row[c] if row.get(c) is not None else self.defaults.get(c))
            for c in self.all_columns
        )

    @property
    def all_columns(self) -> tuple[str, ...]:
        return self.key + self.columns

    def upsert_sql(self) -> str:
        names = ", ".join(self.all_columns)
        marks = ", ".join("?" * len(self.all_columns))
        if self.merge == "coalesce":
            sets = ", ".join(f"{c} = COALESCE(excluded.{c}, {c})" for c in self.columns)
            changed = " OR ".join(
                f"(excluded.{c} IS NOT NULL AND excluded.{c} IS NOT {c})" for c in self.compared)
        else:
            sets = ", ".join(f"{c} = excluded.{c}" for c in self.columns)
            changed = " OR ".join(f"excluded.{c} IS NOT {c}" for c in self.compared)
        return (f"INSERT INTO {self.name} ({names}) VALUES ({marks})"
                f" ON CONFLICT ({', '.join(self.key)}) DO UPDATE SET {sets} WHERE {changed}")


WELLNESS = Table("wellness_days", ("date",), ("resting_hr", "rmssd_ms", "sleep_h", "source"),
                  "coalesce", "date")
RUNS = Table("runs", ("source_key",), (
    "source", "start", "date", "duration_min", "distance_km", "rpe", "avg_hr", "max_hr",
    "steps", "cadence_spm", "impact_g_mean", "impact_g_peak", "contact_ms", "strike_heel",
    "strike_mid", "strike_fore", "asymmetry_pct", "pace_s_per_km", "kind"), "replace", "start",
    {"kind": ""})
PAIN = Table("pain_log", ("date", "site"), ("during", "next_morning"), "coalesce", "date, site")
PLAN = Table("planned_sessions", ("date",),
              ("kind", "duration_min", "distance_km", "intensity", "back_to_back"),
              "replace", "date", {"intensity": "", "back_to_back": False})
GOALS = Table("goals", ("date",), ("name", "distance_km"), "replace", "date")
HISTORY_TABLES = {t.name: t for t in (WELLNESS, RUNS, PAIN, PLAN, GOALS)}
TABLES = ("pod_records", *HISTORY_TABLES, "imports")


def _record_dict(record: Any) -> dict:
    """A decoded wire record as a plain dict (accepts dicts, dataclasses, namedtuples,
    slotted or plain objects)."""
    if isinstance(record, Mapping):
        return dict(record)
    if hasattr(record, "as_dict"):  # podfw.link.wire.Record
        return dict(record.as_dict())
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

    def pod_records(self, pod_id: str | None = None, since_seq: int = 0) -> list[dict]:
        """Stored records in sequence order (of one pod from `since_seq` on, or all), each
        the decoded record plus `pod_id` and `received_at` (UTC, ISO)."""
        query = "SELECT pod_id, received_at, record FROM pod_records"
        if pod_id is None:
            cursor = self._conn.execute(f"{query} ORDER BY pod_id, seq")
        else:
            cursor = self._conn.execute(
                f"{query} WHERE pod_id = ? AND seq >= ? ORDER BY seq", (pod_id, since_seq))
        return [{**json.loads(record), "pod_id": pod, "received_at": received}
                for pod, received, record in cursor]

    def pod_record_count(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM pod_records").fetchone()[0]

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

    # -- the runner's history and plan --------------------------------------------------

    def upsert(self, table: Table, rows: Iterable[Mapping]) -> int:
        """Add or update rows of a history table (see `Table` for how rows merge).
        Returns how many rows were added or changed: 0 when the same data comes again."""
        values = [table.values(row) for row in rows]
        with self.transaction() as conn:
            before = conn.total_changes
            try:
                conn.executemany(table.upsert_sql(), values)
            except sqlite3.IntegrityError as exc:
                raise StoreError(f"cannot store {table.name} row: {exc}") from None
            return conn.total_changes - before

    def rows(self, table: Table, since: str | None = None) -> list[dict]:
        """Rows in date order, from `since` (an ISO date) on when given."""
        return _dicts(self._conn.execute(
            f"SELECT {', '.join(table.all_columns)} FROM {table.name}"
            f" WHERE date >= ? ORDER BY {table.order}", (since or "",),
        ))

    def latest_before(self, table: Table, before: str, column: str) -> dict | None:
        """The latest row dated before `before` (an ISO date) that has a value in `column`:
        what a history read from `before` on leaves out, for saying how old it is."""
        if column not in table.all_columns:
            raise ValueError(f"{table.name} has no column {column!r}")
        rows = _dicts(self._conn.execute(
            f"SELECT {', '.join(table.all_columns)} FROM {table.name}"
            f" WHERE date < ? AND {column} IS NOT NULL ORDER BY date DESC LIMIT 1", (before,)))
        return rows[0] if rows else None

    def add_wellness_days(self, days: Iterable[Mapping]) -> int:
        return self.upsert(WELLNESS, days)

    def wellness_days(self, since: str | None = None) -> list[dict]:
        return self.rows(WELLNESS, since)

    def add_runs(self, runs: Iterable[Mapping]) -> int:
        return self.upsert(RUNS, runs)

    def runs(self, since: str | None = None) -> list[dict]:
        return self.rows(RUNS, since)

    def run_keys(self, prefix: str) -> list[str]:
        """Keys of the stored runs whose key starts with `prefix` (e.g. one pod's runs)."""
        return [k for (k,) in self._conn.execute(
            "SELECT source_key FROM runs WHERE substr(source_key, 1, ?) = ?", (len(prefix), prefix))]

    def add_pain_entries(self, entries: Iterable[Mapping]) -> int:
        return self.upsert(PAIN, entries)

    def pain_entries(self, since: str | None = None) -> list[dict]:
        return self.rows(PAIN, since)

    def set_planned_sessions(self, sessions: Iterable[Mapping]) -> int:
        return self.upsert(PLAN, sessions)

    def planned_sessions(self, since: str | None = None) -> list[dict]:
        return self.rows(PLAN, since)

    def goals(self, since: str | None = None) -> list[dict]:
        return self.rows(GOALS, since)

    def column_types(self, name: str) -> list[tuple[str, str]]:
        """Each column of a table with what it holds: "date", "local_time", "utc_time",
        "bool", "real", "integer" or "text", from the schema alone (the same for every
        store of this schema version, whatever rows it holds)."""
        if name not in TABLES:
            raise StoreError(f"no table {name!r}; tables: {', '.join(TABLES)}")
        declared = {"REAL": "real", "INTEGER": "integer", "TEXT": "text"}
        return [(col, COLUMN_MEANING.get((name, col), declared.get(decl.upper(), "text")))
                for _, col, decl, *_ in self._conn.execute(f"PRAGMA table_info({name})")]

    def table(self, name: str) -> tuple[list[str], list[tuple]]:
        """Column names and rows of one table, for export."""
        if name not in TABLES:
            raise StoreError(f"no table {name!r}; tables: {', '.join(TABLES)}")
        cursor = self._conn.execute(f"SELECT * FROM {name}")
        return [d[0] for d in cursor.description], cursor.fetchall()


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _dicts(cursor: sqlite3.Cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _sql_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if hasattr(value, "isoformat"):  # dates and date-times as ISO text
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value
