"""The firmware type-checks against MicroPython's ESP32 stubs (micropython-esp32-stubs,
installed by `make` into .venv/mpy-stubs): a call to a function the ESP32 port lacks, a
wrong argument count or a module that does not exist there fails CI.

Where the firmware's idioms cannot be typed without changing them (attributes set from a
board file, objects preallocated as None and created at start, tick helpers with a CPython
fallback) those reports are warnings, not errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.prefix)
STUBS = VENV / "mpy-stubs"

CONFIG = {
    "include": [str(ROOT / "firmware")],
    "extraPaths": [str(ROOT / "firmware")],
    "stubPath": str(STUBS),
    "typeshedPath": str(STUBS),
    "pythonVersion": "3.11",
    "typeCheckingMode": "basic",
    "reportMissingModuleSource": False,
    "reportOptionalMemberAccess": False,
    "reportOptionalSubscript": False,
    "reportAttributeAccessIssue": "warning",
    "reportAssignmentType": "warning",
}


def test_firmware_type_checks_against_esp32_stubs(tmp_path):
    if not (STUBS / "machine.pyi").exists():
        pytest.fail(f"MicroPython stubs missing in {STUBS}: run `make test` (it installs them)")
    checker = VENV / "bin" / "basedpyright"
    if not checker.exists():
        pytest.fail("basedpyright missing: install the dev dependencies (make test does)")
    (tmp_path / "pyrightconfig.json").write_text(json.dumps(CONFIG))
    proc = subprocess.run(
        [str(checker), "-p", str(tmp_path / "pyrightconfig.json"), "--outputjson"],
        capture_output=True, text=True, timeout=600,
    )
    report = json.loads(proc.stdout)
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert report["summary"]["filesAnalyzed"] >= 10
    assert not errors, "\n".join(
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}" for d in errors
    )
