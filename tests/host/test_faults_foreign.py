"""Fault class: the file at --db is not a stridepod store this version can use.

Other programs' SQLite databases, built to their published schemas (table and column
names as each project defines them; WAL mode and user_version as the program sets them),
files that are not SQLite at all (real files: a bundled CSV, a watch's FIT file, a
recording's sidecar), and a real stridepod store whose schema was tampered with (a
negative, zero, older or newer version than its tables say, a table or column missing).
Every read and write command must refuse each in one line with exit code 2 and the right
words, and leave the file and its folder byte for byte as they were: not even a
migration is written into someone else's file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from faults_rig import (
    DATA,
    ROOT,
    Snapshot,
    copy_store,
    one_line_error,
    read_commands,
    write_commands,
)

FIT = ROOT.parent / "shared" / "datasets" / "watch" / "fit" / "Activity.fit"
ANOTHER = "another program's SQLite database"
INCONSISTENT = "inconsistent schema"
NOT_SQLITE = "not an SQLite file"


def sqlite_file(path: Path, script: str, user_version: int = 0, wal: bool = False) -> None:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(script)
    conn.execute(f"PRAGMA user_version = {user_version}")
    conn.commit()
    conn.close()


# Firefox's history (places.sqlite; toolkit/components/places/nsPlacesTables.h): WAL,
# user_version = the Places schema version
FIREFOX = """
CREATE TABLE moz_origins (id INTEGER PRIMARY KEY, prefix TEXT NOT NULL, host TEXT NOT NULL,
    frecency INTEGER NOT NULL, UNIQUE (prefix, host));
CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR,
    rev_host LONGVARCHAR, visit_count INTEGER DEFAULT 0, hidden INTEGER DEFAULT 0 NOT NULL,
    typed INTEGER DEFAULT 0 NOT NULL, frecency INTEGER DEFAULT -1 NOT NULL,
    last_visit_date INTEGER, guid TEXT, foreign_count INTEGER DEFAULT 0 NOT NULL,
    url_hash INTEGER DEFAULT 0 NOT NULL, description TEXT, preview_image_url TEXT,
    origin_id INTEGER REFERENCES moz_origins(id));
CREATE TABLE moz_historyvisits (id INTEGER PRIMARY KEY, from_visit INTEGER, place_id INTEGER,
    visit_date INTEGER, visit_type INTEGER, session INTEGER);
INSERT INTO moz_places (url, title) VALUES ('https://www.physionet.org/', 'PhysioNet');
"""
# Chromium's History (components/history/core/browser): its version in the meta table
CHROMIUM = """
CREATE TABLE meta (key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE urls (id INTEGER PRIMARY KEY AUTOINCREMENT, url LONGVARCHAR, title LONGVARCHAR,
    visit_count INTEGER DEFAULT 0 NOT NULL, typed_count INTEGER DEFAULT 0 NOT NULL,
    last_visit_time INTEGER NOT NULL, hidden INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE visits (id INTEGER PRIMARY KEY AUTOINCREMENT, url INTEGER NOT NULL,
    visit_time INTEGER NOT NULL, from_visit INTEGER, transition INTEGER DEFAULT 0 NOT NULL,
    segment_id INTEGER, visit_duration INTEGER DEFAULT 0 NOT NULL);
INSERT INTO meta VALUES ('version', '68'), ('last_compatible_version', '16');
"""
# CPython's dbm.sqlite3 (Lib/dbm/sqlite3.py, Python 3.13)
PYTHON_DBM = "CREATE TABLE IF NOT EXISTS Dict (key BLOB UNIQUE NOT NULL, value BLOB NOT NULL);"
# Gadgetbridge, an open fitness-tracker app (greenDAO entities DEVICE, USER,
# MI_BAND_ACTIVITY_SAMPLE; Android's android_metadata)
GADGETBRIDGE = """
CREATE TABLE android_metadata (locale TEXT);
CREATE TABLE "DEVICE" ("_id" INTEGER PRIMARY KEY AUTOINCREMENT, "NAME" TEXT NOT NULL,
    "MANUFACTURER" TEXT NOT NULL, "IDENTIFIER" TEXT NOT NULL UNIQUE, "TYPE" INTEGER NOT NULL,
    "MODEL" TEXT, "ALIAS" TEXT);
CREATE TABLE "USER" ("_id" INTEGER PRIMARY KEY AUTOINCREMENT, "NAME" TEXT NOT NULL,
    "BIRTHDAY" INTEGER NOT NULL, "GENDER" INTEGER NOT NULL);
CREATE TABLE "MI_BAND_ACTIVITY_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL,
    "DEVICE_ID" INTEGER NOT NULL, "USER_ID" INTEGER NOT NULL, "RAW_INTENSITY" INTEGER NOT NULL,
    "STEPS" INTEGER NOT NULL, "RAW_KIND" INTEGER NOT NULL, "HEART_RATE" INTEGER NOT NULL,
    PRIMARY KEY ("TIMESTAMP", "DEVICE_ID")) WITHOUT ROWID;
INSERT INTO android_metadata VALUES ('en_US');
"""
# OpenTracks, an open sports-tracking app (its tracks, trackpoints and markers tables)
OPENTRACKS = """
CREATE TABLE android_metadata (locale TEXT);
CREATE TABLE tracks (_id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, description TEXT,
    category TEXT, starttime INTEGER, stoptime INTEGER, numpoints INTEGER,
    totaldistance FLOAT, totaltime INTEGER, movingtime INTEGER, uuid BLOB);
CREATE TABLE trackpoints (_id INTEGER PRIMARY KEY AUTOINCREMENT, trackid INTEGER NOT NULL,
    longitude INTEGER, latitude INTEGER, time INTEGER, elevation FLOAT, accuracy FLOAT,
    speed FLOAT, bearing FLOAT, sensor_heartrate FLOAT, sensor_cadence FLOAT, type TEXT);
CREATE TABLE markers (_id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, trackid INTEGER);
"""
# a runner's own log that happens to name a table as stridepod does
OWN_RUN_LOG = """
CREATE TABLE runs (id INTEGER PRIMARY KEY, date TEXT NOT NULL, km REAL, minutes REAL);
INSERT INTO runs (date, km, minutes) VALUES ('2022-01-20', 8.2, 44);
"""


def tampered(real_store: Path, sql: str) -> Callable[[Path], None]:
    """The real store with `sql` run on it (not through stridepod)."""

    def make(path: Path) -> None:
        copy_store(real_store, path.parent, path.name)
        conn = sqlite3.connect(path)
        conn.executescript(sql)
        conn.commit()
        conn.close()

    return make


def copied(source: Path) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(source.read_bytes())


def cases(real_store: Path) -> dict[str, tuple[Callable[[Path], None], tuple[str, ...]]]:
    """name -> (makes the file, words the refusal must have)."""
    return {
        "firefox places.sqlite (WAL, schema 75)": (
            lambda p: sqlite_file(p, FIREFOX, 75, wal=True), (ANOTHER, "moz_places")),
        "chromium History": (lambda p: sqlite_file(p, CHROMIUM), (ANOTHER, "urls")),
        "python dbm.sqlite3": (lambda p: sqlite_file(p, PYTHON_DBM), (ANOTHER, "Dict")),
        "gadgetbridge (schema 86)": (
            lambda p: sqlite_file(p, GADGETBRIDGE, 86), (ANOTHER, "MI_BAND_ACTIVITY_SAMPLE")),
        "opentracks (WAL, schema 35)": (
            lambda p: sqlite_file(p, OPENTRACKS, 35, wal=True), (ANOTHER, "trackpoints")),
        "a runner's own log with a runs table": (
            lambda p: sqlite_file(p, OWN_RUN_LOG), (INCONSISTENT, "version 0")),
        "the bundled wellness CSV": (copied(DATA / "demo_wellness.csv"), (NOT_SQLITE,)),
        "a watch's FIT file": (copied(FIT), (NOT_SQLITE,)),
        "a recording's sidecar": (copied(DATA / "gaitmap_walk_left.json"), (NOT_SQLITE,)),
        "an SQLite header then garbage": (
            lambda p: p.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 40),
            ("damaged",)),
        "store, user_version -1": (
            tampered(real_store, "PRAGMA user_version = -1"), (INCONSISTENT, "version -1")),
        "store, user_version -2**31": (
            tampered(real_store, "PRAGMA user_version = -2147483648"), (INCONSISTENT, "-2147483648")),
        "store, user_version 0": (tampered(real_store, "PRAGMA user_version = 0"), (INCONSISTENT,)),
        "store, user_version 1 with schema 2's tables": (
            tampered(real_store, "PRAGMA user_version = 1"), (INCONSISTENT, "later schema's")),
        "store, runs table dropped": (
            tampered(real_store, "DROP TABLE runs"), (INCONSISTENT, "without table(s) runs")),
        "store, a column gone": (
            tampered(real_store, "ALTER TABLE runs DROP COLUMN kind"),
            (INCONSISTENT, "other columns in runs")),
        "store, user_version 3": (
            tampered(real_store, "PRAGMA user_version = 3"), ("newer stridepod", "schema 3")),
        "store, user_version 2**31-1": (
            tampered(real_store, "PRAGMA user_version = 2147483647"), ("newer stridepod",)),
        "schema 2 without its tables": (
            lambda p: sqlite_file(p, "", 2), (INCONSISTENT, "without table(s)")),
    }


def folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_foreign_newer_and_inconsistent_files_are_refused_untouched(stridepod_cli, real_store,
                                                                     tmp_path):
    refused = 0
    for i, (name, (make, words)) in enumerate(cases(real_store).items()):
        folder = tmp_path / f"case{i}"
        folder.mkdir()
        db = folder / "stridepod.db"
        make(db)
        before = folder_state(folder)
        commands = {**read_commands(tmp_path / f"out{i}"), **write_commands(tmp_path, sync=False)}
        del commands["report"], commands["plan"]  # they open the store as today does
        for command, args in commands.items():
            result = stridepod_cli("--db", db, *args)
            one_line_error(result, str(db), *words)
            assert folder_state(folder) == before, (name, command, "the folder changed")
            refused += 1
    assert refused == 19 * 4


def test_a_table_of_the_runners_own_in_the_store_is_left_alone(stridepod_cli, real_store, tmp_path):
    db = tmp_path / "stridepod.db"
    tampered(real_store, "CREATE TABLE my_shoes (name TEXT, km REAL)")(db)
    for command, args in {**read_commands(tmp_path / "out"),
                          **write_commands(tmp_path, sync=False)}.items():
        before = Snapshot.of(db)
        result = stridepod_cli("--db", db, *args)
        assert result.exit_code == 0, (command, result.stderr)
        if command in read_commands(tmp_path):
            assert Snapshot.of(db).changes(before) == [], command
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM my_shoes").fetchone() == (0,)
