"""The firmware-test runner reports MicroPython failures (a harness that cannot fail
would prove nothing)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MICROPYTHON = str(Path(sys.executable).parent / "micropython")


def run_module(tmp_path, source):
    (tmp_path / "fw_probe_mod.py").write_text(source)
    env = dict(os.environ, MICROPYPATH=f"{tmp_path}:{ROOT / 'firmware'}:.frozen")
    proc = subprocess.run(
        [MICROPYTHON, str(ROOT / "tests/firmware/mprun.py"), "fw_probe_mod"],
        capture_output=True, text=True, env=env, timeout=60, cwd=ROOT,
    )
    return proc.stdout


def test_failure_carries_micropythons_traceback(tmp_path):
    out = run_module(tmp_path, "def test_ok():\n    pass\n\ndef test_bad():\n    {}['k']\n")
    assert "@@PASS test_ok" in out
    fail = out.index("@@FAIL test_bad")
    assert "KeyError" in out[:fail] and "Traceback" in out[:fail]
    assert out.rstrip().endswith("@@END")


def test_runs_on_micropython_not_cpython(tmp_path):
    out = run_module(
        tmp_path, "import sys\ndef test_impl():\n    print('impl=' + sys.implementation.name)\n"
    )
    assert "impl=micropython" in out
