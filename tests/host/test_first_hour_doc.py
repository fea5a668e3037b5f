"""docs/first-hour.md shows real outputs: the ones that can run here are run again and must
appear in the guide as it prints them (the virtual pod's answers, the wiring table, the
one-line errors), so the guide stays in step with the commands."""

import re
import subprocess
import sys

from stridepod.devtools import deploy, firmware_tree, pinout

GUIDE = firmware_tree.ROOT / "docs" / "first-hour.md"
RECORDING = "host/stridepod/data/gaitmap_walk_left.csv"


def run(*args):
    return subprocess.run([sys.executable, "-m", "stridepod", *args], capture_output=True,
                          text=True, timeout=300, cwd=firmware_tree.ROOT)


def words(text):
    """Text with its line breaks and runs of spaces as single spaces: the commands wrap
    their lines at the terminal's width."""
    return " ".join(text.split())


def test_the_virtual_pods_answers_are_the_guides(tmp_path):
    text = words(GUIDE.read_text())
    info = run("pod", "info", "--virtual", RECORDING)
    assert info.returncode == 0, info.stderr
    assert words(info.stdout) in text
    sync = run("--db", str(tmp_path / "s.db"), "sync", "--virtual", RECORDING)
    assert re.fullmatch(r"pod VP000001-[0-9a-f]{8}: 8 new records", sync.stdout.strip()), sync
    assert "pod VP000001-09c6adaa: 8 new records" in text  # the log id is random per log
    refused = run("pod", "calibrate", "imu-still", "--virtual", RECORDING)
    assert words(refused.stderr) in text
    assert words(refused.stdout) in text


def test_the_wiring_table_and_the_errors_are_the_guides(tmp_path):
    text = GUIDE.read_text()
    table = pinout.wiring_table(firmware_tree.BOARDS / "seeed-xiao-esp32s3.json")
    for line in table.splitlines()[:5]:
        assert line in text, line
    assert [ln for ln in table.splitlines() if "| EN |" in ln][0] in text
    assert run("dev", "deploy", "--port", "/dev/ttyUSB9").stderr.strip() in text
    assert run("dev", "build", "--board", "no-such").stderr.strip() in text
    if not deploy.find_ports():  # a developer's machine with a pod plugged in answers otherwise
        assert run("dev", "deploy").stderr.strip() in text
    files = len(deploy.build("seeed-xiao-esp32s3", out=tmp_path).files)
    assert f"built {files} files for seeed-xiao-esp32s3 (xtensawin)" in text
