"""`stridepod demo` end to end: virtual pod over the emulated Bluetooth link, bundled
history, recovery model, report - on a fresh data directory."""

from __future__ import annotations

import datetime as dt
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stridepod.store.database import SCHEMA_VERSION, Store


def test_demo_produces_the_report_from_a_synced_pod_and_the_bundled_history(
        stridepod_cli, tmp_path, monkeypatch):
    monkeypatch.delenv("STRIDEPOD_DB")  # the demo keeps its own database in its directory
    out = tmp_path / "demo"
    result = stridepod_cli("demo", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "done  virtual pod sync of gaitmap_walk_left.csv: 8 records" in result.stdout
    assert "done  virtual pod sync of gaitpdb_JuCo01_01_left.csv: 11 records" in result.stdout
    assert f"report: {out / 'report' / 'report.html'}" in result.stdout
    db = out / "demo.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    # it holds health data: every folder owner-only, every file too
    for path in (out, *out.rglob("*")):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    conn = sqlite3.connect(db)
    # a 38.7 s and a 53.5 s walk in 5 s windows
    assert conn.execute("SELECT COUNT(*) FROM pod_records").fetchone()[0] == 8 + 11
    imu, insole = conn.execute(
        "SELECT date, steps, cadence_spm, impact_g_peak, strike_heel FROM runs"
        " WHERE source = 'pod' ORDER BY duration_min").fetchall()
    assert imu[0] == insole[0] == dt.date.today().isoformat()
    for walk in (imu, insole):  # walking, both feet counted
        assert 40 <= walk[1] <= 100 and 90 <= walk[2] <= 130
    assert imu[3] is not None and imu[4] is None  # the IMU sees impacts, not the strike
    assert insole[3] is None and insole[4] > 0.5  # the insole sees heel strikes
    newest_morning = conn.execute("SELECT MAX(date) FROM wellness_days").fetchone()[0]
    assert newest_morning == (dt.date.today() - dt.timedelta(days=1)).isoformat()
    page = (out / "report" / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 5  # HRV, resting HR, sleep, load, gait
    assert 'data-rule="readiness.two_of_three"' in page and '<div class="cards" id="plan">' in page
    # running it again starts from a fresh demo database: same result, nothing doubled
    again = stridepod_cli("demo", "-o", out)
    assert again.exit_code == 0, again.stderr
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM pod_records").fetchone()[0] == 19


@pytest.mark.parametrize("after", [None, "virtual pod sync of gaitmap"])
def test_ctrl_c_leaves_the_store_consistent(tmp_path, after):
    """Ctrl-C at some point after the store was created (importing, or once the first pod
    is synced: syncing the second or drawing): one line, exit code 130, and a store that
    opens, passes SQLite's integrity check and holds whole batches only - each pod's
    records 0..n-1 without holes."""
    db = tmp_path / "runner.db"
    exe = Path(sys.executable).with_name("stridepod")
    proc = subprocess.Popen([str(exe), "--db", str(db), "demo", "-o", str(tmp_path / "demo")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not db.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    if after is not None:  # the demo reports each step as it ends
        assert proc.stdout is not None
        for line in proc.stdout:
            if after in line:
                break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and err.strip().endswith("interrupted")
    assert "Traceback" not in err
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    # an interrupt during the first migration rolls it back whole: the file reopens and is
    # migrated then, so the records are checked through a store at the latest schema
    with Store.open(db) as store:
        assert store.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(db)
    for (pod,) in conn.execute("SELECT DISTINCT pod_id FROM pod_records").fetchall():
        seqs = [s for (s,) in conn.execute(
            "SELECT seq FROM pod_records WHERE pod_id = ? ORDER BY seq", (pod,))]
        assert seqs == list(range(len(seqs)))
    conn.close()
