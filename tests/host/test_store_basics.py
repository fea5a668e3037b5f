"""The store: permissions, migrations, exactly-once pod records, atomic batches."""

from __future__ import annotations

import sqlite3
import stat
from collections import namedtuple

import pytest

from stridepod.store.database import MIGRATIONS, SCHEMA_VERSION, Store, StoreError


def test_new_store_is_owner_only_and_at_latest_schema(tmp_path):
    path = tmp_path / "sub" / "stridepod.db"
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def schema1_store(path):
    """A store as the first release wrote it, with one pod record."""
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO pod_records (pod_id, seq, record) VALUES ('p', 3, '{\"seq\": 3}')")
    conn.commit()
    conn.close()


def test_old_store_is_migrated_in_order(tmp_path):
    path = tmp_path / "old.db"
    schema1_store(path)
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.last_sequence("p") == 3
        assert store.runs() == []


def test_an_upgrade_keeps_a_backup_and_a_read_never_upgrades_the_file(tmp_path):
    path = tmp_path / "old.db"
    schema1_store(path)
    old = path.read_bytes()
    with Store.open(path, read_only=True) as store:  # read through an upgraded copy in memory
        assert store.schema_version == SCHEMA_VERSION and store.runs() == []
        assert store.last_sequence("p") == 3
    assert path.read_bytes() == old and sorted(p.name for p in tmp_path.iterdir()) == ["old.db"]
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    backup = tmp_path / "old.db.schema-1.bak"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    kept = sqlite3.connect(backup)
    assert kept.execute("PRAGMA user_version").fetchone()[0] == 1
    assert kept.execute("SELECT seq FROM pod_records").fetchall() == [(3,)]
    kept.close()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer stridepod"):
        Store.open(path)


def test_not_a_database_is_one_clear_error(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("shopping list: eggs, milk, running shoes\n" * 100)
    with pytest.raises(StoreError, match="not a stridepod database"):
        Store.open(path)


Record = namedtuple("Record", "seq steps cadence_spm")


class SlottedRecord:
    __slots__ = ("seq", "steps")

    def __init__(self, seq, steps):
        self.seq = seq
        self.steps = steps


def test_pod_records_are_stored_exactly_once(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        assert store.last_sequence("pod-a") is None
        assert store.add_pod_records("pod-a", [Record(0, 14, 168), {"seq": 1, "steps": 15}]) == 2
        # a backfill that overlaps what is already stored adds only the new record
        assert store.add_pod_records("pod-a", [{"seq": 1, "steps": 15}, SlottedRecord(2, 13)]) == 1
        assert store.add_pod_records("pod-b", [{"seq": 1, "steps": 9}]) == 1
        assert store.last_sequence("pod-a") == 2
        assert [r["seq"] for r in store.pod_records("pod-a")] == [0, 1, 2]
        first = store.pod_records("pod-a")[0]
        assert first.pop("received_at").endswith("Z")
        assert first == {"seq": 0, "steps": 14, "cadence_spm": 168, "pod_id": "pod-a"}
        assert len(store.pod_records()) == 4


def test_a_bad_record_stores_nothing_of_its_batch(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        with pytest.raises(StoreError, match="sequence number"):
            store.add_pod_records("pod-a", [{"seq": 0}, {"seq": 1}, {"steps": 3}])
        assert store.pod_records() == []


def test_interrupt_inside_a_batch_rolls_it_back(tmp_path):
    path = tmp_path / "s.db"

    def records():
        yield {"seq": 0}
        yield {"seq": 1}
        raise KeyboardInterrupt

    with Store.open(path) as store:
        store.add_pod_records("p", [{"seq": 10}])
        with pytest.raises(KeyboardInterrupt), store.transaction():
            store.add_pod_records("p", [{"seq": 11}])
            store.add_pod_records("p", records())
        assert [r["seq"] for r in store.pod_records("p")] == [10]
    with Store.open(path) as store:  # and what is on disk is consistent
        assert [r["seq"] for r in store.pod_records("p")] == [10]


def test_wellness_sources_merge_and_the_same_data_again_changes_nothing(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        days = [{"date": "2026-11-01", "resting_hr": 52, "sleep_h": 7.5, "source": "csv"},
                {"date": "2026-11-02", "resting_hr": 54, "sleep_h": None, "source": "csv"}]
        assert store.add_wellness_days(days) == 2
        assert store.add_wellness_days(days) == 0
        strap = {"date": "2026-11-02", "rmssd_ms": 61.0, "source": "strap"}
        assert store.add_wellness_days([strap]) == 1
        assert store.wellness_days(since="2026-11-02") == [
            {"date": "2026-11-02", "resting_hr": 54.0, "rmssd_ms": 61.0, "sleep_h": None,
             "source": "strap"}]


def test_pain_during_and_next_morning_are_one_entry(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        store.add_pain_entries([{"date": "2026-11-03", "site": "knee", "during": 2}])
        store.add_pain_entries([{"date": "2026-11-03", "site": "knee", "next_morning": 1}])
        assert store.pain_entries() == [
            {"date": "2026-11-03", "site": "knee", "during": 2.0, "next_morning": 1.0}]
        with pytest.raises(StoreError, match="pain_log"):
            store.add_pain_entries([{"date": "2026-11-04", "site": "shin", "during": 11}])
        assert len(store.pain_entries()) == 1


def test_a_run_seen_again_replaces_its_earlier_version(tmp_path):
    run = {"source_key": "pod:a:0", "source": "pod", "start": "2026-11-03T07:10:00",
           "date": "2026-11-03", "duration_min": 20.0, "steps": 3300}
    with Store.open(tmp_path / "s.db") as store:
        assert store.add_runs([run]) == 1
        assert store.add_runs([run]) == 0
        assert store.add_runs([{**run, "duration_min": 31.5, "steps": 5200}]) == 1
        (stored,) = store.runs()
        assert (stored["duration_min"], stored["steps"], stored["kind"]) == (31.5, 5200, "")
