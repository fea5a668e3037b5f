"""`stridepod import` and `export`: what lands in the store, idempotency,
and one clear line with exit code 2 for every bad input."""

from __future__ import annotations

import csv
import datetime as dt
import json
import struct
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from stridepod.store.database import Store

DATA = Path(__file__).resolve().parents[2] / "host" / "stridepod" / "data"


def _store(tmp_path) -> Store:
    return Store.open(tmp_path / "stridepod.db")


def test_wellness_import_is_idempotent(stridepod_cli, tmp_path):
    first = stridepod_cli("import", DATA / "demo_wellness.csv")
    assert first.exit_code == 0, first.stderr
    assert "wellness, 88 rows read, 85 added or changed" in first.stdout
    again = stridepod_cli("import", DATA / "demo_wellness.csv")
    assert "already imported" in again.stdout
    # the same rows in another file are recognised row by row
    copy = tmp_path / "copy.csv"
    copy.write_text(DATA.joinpath("demo_wellness.csv").read_text() + "\n")
    third = stridepod_cli("import", copy)
    assert "88 rows read, 0 added or changed" in third.stdout
    with _store(tmp_path) as store:
        days = store.wellness_days()
    assert len(days) == 85
    assert days[-1] == {"date": "2022-01-22", "resting_hr": 71.5, "rmssd_ms": 22.0,
                        "sleep_h": 8.07, "source": "csv:demo_wellness.csv"}


def test_runs_pain_and_plan_files(stridepod_cli, tmp_path):
    runs = tmp_path / "runs.csv"
    runs.write_text("date,duration_min,distance_km,rpe,avg_hr,kind\n"
                    "2026-11-18,42,8.1,4,141,easy\n2026-11-20,65.5,12,,,long\n")
    rpe = tmp_path / "rpe.csv"
    rpe.write_text("date,rpe\n2026-11-20,6\n2026-11-21,3\n")
    pain = tmp_path / "pain.csv"
    pain.write_text("date,site,during,next_morning\n2026-11-18,Knee,2,0\n2026-11-20,shin,4,\n")
    plan = tmp_path / "plan.csv"
    plan.write_text("date,kind,duration_min,intensity,back_to_back,goal\n"
                    "2026-11-23,easy,40,conversational,no,\n"
                    "2026-11-24,quality,50,5 x 3 min at 90% HRmax,no,\n"
                    "2026-12-06,race,,Nikolauslauf 10k,,yes\n")
    result = stridepod_cli("import", runs, rpe, pain, plan)
    assert result.exit_code == 0, result.stderr
    assert "runs, 2 rows read" in result.stdout and "plan, 3 rows read" in result.stdout
    assert "rpe, 2 rows read, 1 added or changed" in result.stdout
    assert "1 RPE entries had no stored run" in result.stdout
    with _store(tmp_path) as store:
        stored_runs = store.runs()
        assert [(r["date"], r["duration_min"], r["kind"], r["rpe"]) for r in stored_runs] == [
            ("2026-11-18", 42.0, "easy", 4.0), ("2026-11-20", 65.5, "long", 6.0)]
        assert store.pain_entries()[0] == {"date": "2026-11-18", "site": "knee",
                                           "during": 2.0, "next_morning": 0.0}
        assert [s["kind"] for s in store.planned_sessions()] == ["easy", "quality", "race"]
        assert store.goals() == [{"date": "2026-12-06", "name": "Nikolauslauf 10k",
                                  "distance_km": None}]


@pytest.mark.parametrize(("content", "message"), [
    ('{"format": "stridepod-dump-csv/1"}\n', "not a CSV stridepod knows"),
    ("date,resting_hr\n2026-11-01,fast\n", "bad.csv:2: resting_hr 'fast' is not a number"),
    ("date,resting_hr\n2026-11-01,52\n2026-13-01,52\n",
     "bad.csv:3: date '2026-13-01' is not a YYYY-MM-DD date"),
    ("date,site,during\n2026-11-01,knee,12\n", "bad.csv:2: during 12 is outside 0"),
    ("date,kind,duration_min\n2026-11-01,jog,30\n", "bad.csv:2: kind 'jog' is not one of"),
    ("date,duration_min,distance_km\n2026-11-01,,5\n", "bad.csv:2: duration_min is empty"),
    ("resting_hr,sleep_h\n52,7\n", "bad.csv: missing column(s) date"),
    ("date,site\n", None),  # a header alone is a valid, empty pain log
    ("", "empty file"),
])
def test_bad_files_are_one_line_with_exit_code_2(stridepod_cli, tmp_path, content, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    result = stridepod_cli("import", bad)
    if message is None:
        assert result.exit_code == 0
        return
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    with _store(tmp_path) as store:  # nothing of a rejected file is stored
        assert store.imports() == [] and store.wellness_days() == []


def test_missing_binary_and_damaged_fit_files(stridepod_cli, tmp_path):
    missing = stridepod_cli("import", tmp_path / "nope.csv")
    assert (missing.exit_code, missing.stderr) == (2, f"error: {tmp_path / 'nope.csv'}: no such file\n")
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(bytes(range(256)) * 4)
    result = stridepod_cli("import", binary)
    assert result.exit_code == 2 and "not a text file" in result.stderr
    fit = tmp_path / "watch.fit"
    fit.write_bytes(struct.pack("<BBHI4sH", 14, 0x20, 2100, 40, b".FIT", 0) + bytes(42))
    result = stridepod_cli("import", fit)
    assert result.exit_code == 2 and "watch.fit: FIT file is damaged" in result.stderr


def test_export_writes_every_table_as_csv_and_parquet(stridepod_cli, tmp_path):
    stridepod_cli("import", DATA / "demo_wellness.csv")
    with _store(tmp_path) as store:
        store.add_pod_records("pod-1", [{"seq": 0, "steps": 12}, {"seq": 1, "steps": 14}])
    result = stridepod_cli("export", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.stderr
    written = json.loads(result.stdout)
    assert written["wellness_days"]["rows"] == 85 and written["pod_records"]["rows"] == 2
    with open(tmp_path / "out" / "wellness_days.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[-1]["rmssd_ms"] == "22.0" and len(rows) == 85
    assert stridepod_cli("export", tmp_path / "pq", "--format", "parquet").exit_code == 0
    table = pq.read_table(tmp_path / "pq" / "wellness_days.parquet")
    assert table.num_rows == 85 and table.column("resting_hr")[-1].as_py() == 71.5
    assert pq.read_table(tmp_path / "pq" / "runs.parquet").num_rows == 0


def test_fit_activity_and_morning_data(stridepod_cli, tmp_path):
    from garmin_fit_sdk import Encoder, Profile

    mesg = Profile["mesg_num"]
    start = dt.datetime(2026, 11, 20, 6, 30, tzinfo=dt.UTC)
    encoder = Encoder()
    encoder.write_mesg({"mesg_num": mesg["FILE_ID"], "type": "activity", "manufacturer": "development",
                        "product": 1, "time_created": start, "serial_number": 1})
    encoder.write_mesg({"mesg_num": mesg["SESSION"], "start_time": start, "sport": "running",
                        "timestamp": start + dt.timedelta(minutes=45), "total_timer_time": 2700.0,
                        "total_distance": 8000.0, "avg_heart_rate": 145, "max_heart_rate": 171})
    encoder.write_mesg({"mesg_num": mesg["HRV_STATUS_SUMMARY"], "timestamp": start,
                        "last_night_average": 58.0})
    fit = tmp_path / "morning_run.fit"
    fit.write_bytes(encoder.close())
    result = stridepod_cli("import", fit)
    assert result.exit_code == 0, result.stderr
    assert "FIT activity, 2 rows read, 2 added or changed (1 run, 1 morning)" in result.stdout
    assert "already imported" in stridepod_cli("import", fit).stdout
    with _store(tmp_path) as store:
        (run,) = store.runs()
        (morning,) = store.wellness_days()
    assert (run["duration_min"], run["distance_km"], run["avg_hr"], run["source"]) == (
        45.0, 8.0, 145.0, "fit:morning_run.fit")
    assert morning["rmssd_ms"] == 58.0


def test_export_and_report_into_a_file_are_one_line_errors(stridepod_cli, tmp_path):
    Store.open(tmp_path / "stridepod.db").close()  # a database to read: the target is the problem
    taken = tmp_path / "taken"
    taken.write_text("a file, not a directory\n")
    result = stridepod_cli("export", taken / "out")
    assert result.exit_code == 2 and result.stderr.startswith(f"error: cannot create {taken / 'out'}")
    result = stridepod_cli("report", "-o", taken / "report")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot create {taken / 'report'}")
    assert "Traceback" not in result.stderr


def test_parquet_columns_are_typed_from_the_schema_and_concatenate(stridepod_cli, tmp_path, monkeypatch):
    import pyarrow as pa

    runs = tmp_path / "runs.csv"
    runs.write_text("date,duration_min,distance_km\n2026-11-18,42,8.1\n")
    stridepod_cli("import", DATA / "demo_wellness.csv", runs)
    assert stridepod_cli("export", tmp_path / "full", "--format", "parquet").exit_code == 0
    Store.open(tmp_path / "empty.db").close()  # a store with no rows at all (export never creates one)
    monkeypatch.setenv("STRIDEPOD_DB", str(tmp_path / "empty.db"))
    assert stridepod_cli("export", tmp_path / "empty", "--format", "parquet").exit_code == 0
    for table in ("runs", "wellness_days", "planned_sessions", "imports", "pod_records"):
        full = pq.read_table(tmp_path / "full" / f"{table}.parquet")
        empty = pq.read_table(tmp_path / "empty" / f"{table}.parquet")
        assert full.schema == empty.schema, table
        assert pa.concat_tables([full, empty]).num_rows == full.num_rows
    schema = pq.read_schema(tmp_path / "empty" / "runs.parquet")
    assert (schema.field("date").type, schema.field("start").type) == (pa.date32(), pa.timestamp("ms"))
    assert (schema.field("rpe").type, schema.field("steps").type) == (pa.float64(), pa.int64())
    assert pq.read_schema(tmp_path / "empty" / "planned_sessions.parquet").field("back_to_back").type == pa.bool_()
    assert pq.read_schema(tmp_path / "empty" / "imports.parquet").field("imported_at").type == \
        pa.timestamp("ms", tz="UTC")
    day = pq.read_table(tmp_path / "full" / "wellness_days.parquet").column("date")[-1].as_py()
    assert day == dt.date(2022, 1, 22)
