"""Developer tools: firmware build per board, mip manifest, deploy without a board."""

import json
import subprocess
import sys

import pytest

from stridepod.devtools import deploy, firmware_tree

BOARDS = firmware_tree.list_boards()


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "stridepod", *args], capture_output=True, text=True, timeout=300
    )


def test_at_least_two_boards_are_supported():
    assert len(BOARDS) >= 2, [b.name for b in BOARDS]


@pytest.mark.parametrize("board", BOARDS, ids=lambda p: p.stem)
def test_build_precompiles_every_module_for_the_board(board, tmp_path):
    result = deploy.build(str(board), out=tmp_path)
    mpys = [f for f in result.files if f.endswith(".mpy")]
    assert len(mpys) == len(firmware_tree.package_files())
    for rel in mpys:
        header = (result.root / rel).read_bytes()[:2]
        assert header == b"M\x06", (rel, header)  # .mpy v6: MicroPython 1.23 and later
    assert "board.json" in result.files
    assert json.loads((result.root / "board.json").read_text()) == json.loads(board.read_text())
    assert result.arch == firmware_tree.board_arch(board, json.loads(board.read_text()))


def test_package_json_lists_exactly_the_firmware_files():
    proc = run_cli("dev", "package-json", "--check")
    assert proc.returncode == 0, proc.stderr
    listed = [dst for dst, _src in json.loads(firmware_tree.PACKAGE_JSON.read_text())["urls"]]
    assert listed == firmware_tree.package_files()
    assert "podfw/_cpython_micropython.py" not in listed


def test_deploy_to_a_missing_port_is_one_clear_line():
    proc = run_cli("dev", "deploy", "--port", "/dev/ttyNOSUCHPORT")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "error: no board at /dev/ttyNOSUCHPORT: check the USB cable or pass another --port"
    )
    assert "Traceback" not in proc.stderr


def test_deploy_without_a_board_attached_says_so():
    if deploy.find_ports():  # a developer's machine with a pod plugged in
        assert deploy.choose_port(None) in deploy.find_ports()
        return
    proc = run_cli("dev", "deploy")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: no board attached: connect the pod over USB")
    assert "Traceback" not in proc.stderr


def test_unknown_board_names_the_known_ones():
    proc = run_cli("dev", "build", "--board", "no-such-board")
    assert proc.returncode == 2
    assert "unknown board 'no-such-board' (boards: " in proc.stderr


def test_build_checks_the_board_file_as_the_pod_and_the_chip_would(tmp_path):
    raw = json.loads((firmware_tree.BOARDS / "esp32-s3-devkitc-1.json").read_text())
    raw["imu"]["model"] = "mpu6050"
    wrong = tmp_path / "wrong-imu.json"
    wrong.write_text(json.dumps(raw))
    proc = run_cli("dev", "build", "--board", str(wrong))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"error: {wrong}: imu.model 'mpu6050' is not one of "
                                   "lsm6dso, lsm6ds3trc, icm42688p")
    raw["imu"]["model"] = "lsm6dso"
    raw["imu"]["int1_pin"] = 40
    wrong.write_text(json.dumps(raw))
    proc = run_cli("dev", "build", "--board", str(wrong))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "error: wrong-imu.json: imu.int1_pin GPIO40 cannot wake the ESP32-S3 from deep sleep")
