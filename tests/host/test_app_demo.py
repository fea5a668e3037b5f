"""`stridepod demo` end to end: virtual pod over the emulated Bluetooth link, bundled
history, recovery model, report - on a fresh data directory."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import stat


def test_demo_produces_the_report_from_a_synced_pod_and_the_bundled_history(
        stridepod_cli, tmp_path, monkeypatch):
    monkeypatch.delenv("STRIDEPOD_DB")  # the demo keeps its own database in its directory
    out = tmp_path / "demo"
    result = stridepod_cli("demo", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert not re.search(r"^(skipped|failed)", result.stdout, re.MULTILINE)
    assert "done  virtual pod sync:" in result.stdout
    assert f"report: {out / 'report' / 'report.html'}" in result.stdout
    db = out / "demo.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    conn = sqlite3.connect(db)
    records = conn.execute("SELECT COUNT(*) FROM pod_records").fetchone()[0]
    # a 38.7 s walk in 5 s windows
    assert records == 8
    (pod_run,) = conn.execute(
        "SELECT date, steps, cadence_spm FROM runs WHERE source = 'pod'").fetchall()
    assert pod_run[0] == dt.date.today().isoformat()
    assert 40 <= pod_run[1] <= 80 and 90 <= pod_run[2] <= 130  # walking, both feet counted
    newest_morning = conn.execute("SELECT MAX(date) FROM wellness_days").fetchone()[0]
    assert newest_morning == (dt.date.today() - dt.timedelta(days=1)).isoformat()
    page = (out / "report" / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3
    assert 'data-rule="readiness.two_of_three"' in page and '<table id="plan">' in page
    # running it again starts from a fresh demo database: same result, nothing doubled
    again = stridepod_cli("demo", "-o", out)
    assert again.exit_code == 0, again.stderr
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM pod_records").fetchone()[0] == 8
