"""The host package type-checks with mypy under the [tool.mypy] settings of pyproject.toml:
a wrong argument type, a None used as a number or a missing attribute fails CI.

The firmware it imports (podfw) is only read for its signatures; its own check runs
against the MicroPython stubs (test_firmware_types.py)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_host_package_type_checks():
    # the incremental cache in .mypy_cache (git-ignored) makes a repeated run take seconds
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(ROOT / ".mypy_cache"), "--no-color-output", "--no-error-summary",
         "host/stridepod"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    if proc.returncode != 0:
        pytest.fail(f"mypy exit {proc.returncode}:\n{proc.stdout}{proc.stderr}", pytrace=False)
