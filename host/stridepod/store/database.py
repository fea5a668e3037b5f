"""The runner's data on disk: one SQLite file.

Everything stridepod knows lives here: summary records synced from pods, wellness days
(resting HR, HRV, sleep), runs, the pain log, planned sessions, and which files were
already imported. The file is created readable by its owner only (it holds health data),
the schema carries its version (`PRAGMA user_version`) and is brought up to date by the
migrations (`stridepod.store.schema`), applied in order, each in its own transaction, after a copy of the file
is kept beside it (`NAME.schema-<version>.bak`).

Opening checks what the file is before anything is written: another program's SQLite
file, a newer stridepod's or an inconsistent schema is refused (`schema.check_schema`;
`stridepod.store.faults` words every failure). A store opened `read_only` is never
written: an older schema is upgraded in a copy in memory, a missing file reads as an
empty store (the command line refuses it before: `commands.context.open_store`). A store opened for
writing is checked (`PRAGMA quick_check`) first, so a damaged file is not written to.

Writes that belong together happen in one transaction, so an interrupted sync (Ctrl-C,
dropped link, power cut, full disk) leaves either all of a batch or none of it. Every
SQLite failure leaves a method as a one-line `StoreError`.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from stridepod.privatefiles import private_dir, replacing
from stridepod.store import faults
from stridepod.store.faults import LOCK_WAIT_S, StoreError
from stridepod.store.schema import (
    COLUMN_MEANING,
    MIGRATIONS,
    SCHEMA_VERSION,
    check_schema,
    read_schema,
    refuse_foreign_wal,
)

__all__ = ["COLUMN_MEANING", "LOCK_WAIT_S", "MIGRATIONS", "SCHEMA_VERSION", "Store",
           "StoreError", "Table"]

P = ParamSpec("P")
R = TypeVar("R")


def _guarded(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """SQLite failures inside a Store method leave it as one-line StoreErrors."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.errors_explained():
            return method(self, *args, **kwargs)

    return wrapper


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

    def __init__(self, conn: sqlite3.Connection, path: Path, *, read_only: bool = False,
                 lock_wait_s: float = LOCK_WAIT_S):
        self._conn = conn
        self.path = path
        self.read_only = read_only
        self.lock_wait_s = lock_wait_s

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike, *, read_only: bool = False,
             lock_wait_s: float = LOCK_WAIT_S) -> Store:
        """The store at `path`, created (owner-only) when missing unless `read_only`.
        Waits up to `lock_wait_s` for another program's lock, then says which holds it."""
        path = Path(path).expanduser()
        if path.is_dir():
            raise StoreError(f"{path} is a directory, not a stridepod database")
        if path.is_file():
            refuse_foreign_wal(path)
        if read_only and not path.exists():
            conn = sqlite3.connect(":memory:", isolation_level=None)  # nothing to read
        elif read_only:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                   isolation_level=None, timeout=lock_wait_s)
        else:
            _create_private(path)
            conn = sqlite3.connect(path, isolation_level=None, timeout=lock_wait_s)
        store = cls(conn, path, read_only=read_only, lock_wait_s=lock_wait_s)
        try:
            with store.errors_explained():
                store._prepare()
        except BaseException:
            store.close()
            raise
        return store

    def _prepare(self) -> None:
        conn = self._conn
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("BEGIN")  # one read snapshot for the checks
        try:
            version = self.schema_version
            check_schema(self.path, version, read_schema(conn))
            if not self.read_only:
                problem = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
                if problem != "ok":
                    raise faults.damaged(self.path, problem)
        finally:
            conn.execute("COMMIT")
        if not self.read_only:
            self._probe_write(version)
        if version == SCHEMA_VERSION:
            return
        if self.read_only:  # upgrade a copy in memory: a read never writes the file
            memory = sqlite3.connect(":memory:", isolation_level=None)
            conn.backup(memory)
            conn.close()
            self._conn = memory
            self._migrate(version)
            return
        backup = self._keep_backup(version) if version > 0 else None
        try:
            self._migrate(version)
        except BaseException:
            if backup is not None and self.schema_version == version:
                backup.unlink(missing_ok=True)  # nothing changed: nothing to restore from
            raise

    def _probe_write(self, version: int) -> None:
        """A write rolled back at once: a store that is read-only, held by another writer
        or on a full disk says so now, before a command's work (a whole sync) is done."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(f"PRAGMA user_version = {version}")  # the same value: no change
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    def _keep_backup(self, version: int) -> Path:
        """A copy of the file as it is, beside it, before the schema changes."""
        target = self.path.with_name(f"{self.path.name}.schema-{version}.bak")
        with replacing(target) as temp:
            copy = sqlite3.connect(temp)
            try:
                self._conn.backup(copy)
            finally:
                copy.close()
        return target

    def _migrate(self, version: int) -> None:
        for target in range(version + 1, SCHEMA_VERSION + 1):
            # executescript would commit on its own; run the statements inside one
            # explicit transaction so a failed migration leaves the old version intact.
            with self.transaction() as conn:
                for statement in _statements(MIGRATIONS[target - 1]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target}")

    @property
    def schema_version(self) -> int:  # read while opening, inside errors_explained
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def errors_explained(self) -> Iterator[None]:
        """SQLite failures in the block become one-line StoreErrors (see faults)."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise faults.explain(exc, self.path, self.lock_wait_s,
                                 writing=not self.read_only) from exc
        except OverflowError as exc:  # an int beyond SQLite's 64 bits
            raise StoreError(f"cannot store this in {self.path}: a number is too large "
                             f"({exc}); nothing was written") from exc

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside commit together or not at all (also on Ctrl-C and when the
        disk is full: SQLite may have rolled back already, which is then left as it is)."""
        conn = self._conn
        if conn.in_transaction:  # nested: the outer transaction decides
            yield conn
            return
        with self.errors_explained():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass  # the first failure is the one to report
                raise

    # -- pod records ---------------------------------------------------------------------

    @_guarded
    def last_sequence(self, pod_id: str) -> int | None:
        row = self._conn.execute(
            "SELECT MAX(seq) FROM pod_records WHERE pod_id = ?", (pod_id,)
        ).fetchone()
        return row[0]

    @_guarded
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

    @_guarded
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

    @_guarded
    def pod_record_count(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM pod_records").fetchone()[0]

    # -- imports -------------------------------------------------------------------------

    @_guarded
    def imported(self, sha256: str) -> dict | None:
        """The earlier import of a file with this content hash, if any."""
        row = self._conn.execute(
            "SELECT path, kind, rows, imported_at FROM imports WHERE sha256 = ?", (sha256,)
        ).fetchone()
        if row is None:
            return None
        return dict(zip(("path", "kind", "rows", "imported_at"), row, strict=True))

    @_guarded
    def note_import(self, sha256: str, path: str, kind: str, rows: int) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO imports (sha256, path, kind, rows) VALUES (?, ?, ?, ?)",
            (sha256, path, kind, rows),
        )

    @_guarded
    def imports(self) -> list[dict]:
        cursor = self._conn.execute(
            "SELECT sha256, path, kind, rows, imported_at FROM imports ORDER BY imported_at"
        )
        return _dicts(cursor)

    # -- the runner's history and plan --------------------------------------------------

    @_guarded
    def upsert(self, table: Table, rows: Iterable[Mapping]) -> int:
        """Add or update rows of a history table (see `Table` for how rows merge).
        Returns how many rows were added or changed: 0 when the same data comes again.
        `rows` may be a generator: they are stored as they come, in one transaction."""
        values = (table.values(row) for row in rows)
        with self.transaction() as conn:
            before = conn.total_changes
            try:
                conn.executemany(table.upsert_sql(), values)
            except sqlite3.IntegrityError as exc:
                raise StoreError(f"cannot store {table.name} row: {exc}") from None
            return conn.total_changes - before

    @_guarded
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

    @_guarded
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

    @_guarded
    def column_types(self, name: str) -> list[tuple[str, str]]:
        """Each column of a table with what it holds: "date", "local_time", "utc_time",
        "bool", "real", "integer" or "text", from the schema alone (the same for every
        store of this schema version, whatever rows it holds)."""
        if name not in TABLES:
            raise StoreError(f"no table {name!r}; tables: {', '.join(TABLES)}")
        declared = {"REAL": "real", "INTEGER": "integer", "TEXT": "text"}
        return [(col, COLUMN_MEANING.get((name, col), declared.get(decl.upper(), "text")))
                for _, col, decl, *_ in self._conn.execute(f"PRAGMA table_info({name})")]

    @_guarded
    def table(self, name: str) -> tuple[list[str], list[tuple]]:
        """Column names and rows of one table, for export."""
        if name not in TABLES:
            raise StoreError(f"no table {name!r}; tables: {', '.join(TABLES)}")
        cursor = self._conn.execute(f"SELECT * FROM {name}")
        return [d[0] for d in cursor.description], cursor.fetchall()


def _create_private(path: Path) -> None:
    """Creates a missing store file owner-only (0600, its folder 0700), whatever the umask.
    An existing file is left to SQLite (on read-only media its writes are refused)."""
    if path.exists():
        return
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another stridepod made it meanwhile
    except OSError as exc:
        raise StoreError(f"cannot create database {path}: {exc.strerror}; nothing was "
                         "written") from None
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


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
