"""`stridepod record` end to end: the pod's raw mode runs under the `micropython` binary
on simulated hardware fed from a shared recording, writing to one side of a
pseudo-terminal pair; the recorder reads the other side like a USB serial port."""

from __future__ import annotations

import os
import subprocess
import sys
import tty
from pathlib import Path

import numpy as np
import pytest

from stridepod.recordings import dumpfile

ROOT = Path(__file__).resolve().parents[2]
SIM = ROOT / "tests" / "firmware" / "raw_pod_sim.py"
DEVKIT = "boards/esp32-s3-devkitc-1.json"
XIAO = "boards/seeed-xiao-esp32s3.json"
SOURCE_IMU = ROOT.parent / "shared" / "datasets" / "dumps" / "gaitmap_walk_left.csv"


def micropython() -> str:
    return str(Path(sys.executable).parent / "micropython")


def record(tmp_path: Path, board: str, seconds: int, corrupt_every: int = 0, *extra: str):
    master, slave = os.openpty()
    tty.setraw(slave)
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(
        [str(ROOT / "firmware"), str(ROOT / "tests" / "firmware"), ".frozen"]))
    pod = subprocess.Popen(
        [micropython(), str(SIM), board, str(seconds), str(corrupt_every)],
        cwd=ROOT, env=env, stdin=master, stdout=master, stderr=subprocess.PIPE,
    )
    out = tmp_path / "run1"
    try:
        cli = subprocess.run(
            [sys.executable, "-m", "stridepod", "record", str(out), "--port", os.ttyname(slave),
             "--idle-timeout", "20", *extra],
            capture_output=True, text=True, timeout=120,
        )
        pod_err = pod.communicate(timeout=60)[1].decode()
    finally:
        pod.kill()
        os.close(master)
        os.close(slave)
    assert pod.returncode == 0, pod_err
    return cli, out


def chip_ints(rec_values: np.ndarray, lsb: float) -> np.ndarray:
    return np.rint(rec_values * lsb).astype(int)


def test_recording_round_trips_the_pod_samples_exactly(tmp_path):
    cli, out = record(tmp_path, DEVKIT, 6)
    assert cli.returncode == 0, cli.stderr
    assert "lost 0 IMU samples and 0 scans; skipped 0 corrupt frames" in cli.stdout, cli.stdout
    rec = dumpfile.load(out.with_suffix(".csv"))
    assert rec.rate_hz == pytest.approx(208, rel=0.002)  # measured on the pod clock
    assert rec.meta["recorder"]["nominal_rate_hz"] == 208
    assert rec.placement == "left_insole"
    assert [z["name"] for z in rec.zones][:2] == ["heel_medial", "heel_lateral"]
    assert rec.pressure.shape[1] == 8
    assert 6 * 208 - 25 <= rec.samples <= 6 * 208
    # the recorded values are the simulated LSM6DSO's integers (±16 g: 0.488 mg/LSB) of
    # the shared recording, sample for sample at the chip's 208 Hz
    source = dumpfile.load(SOURCE_IMU)
    n = np.arange(rec.samples)
    src_index = (n * 1_000_000 // 208) * 204800 // 1_000_000_000
    want_acc = np.clip(np.rint(source.acc[src_index] / 0.000488), -32768, 32767)
    want_gyro = np.clip(np.rint(source.gyro[src_index] / 0.070), -32768, 32767)
    # (±1 LSB: the simulation rounds halves away from zero, numpy to even)
    assert np.abs(chip_ints(rec.acc, 2049) - want_acc).max() <= 1
    assert np.abs(chip_ints(rec.gyro, 14.286) - want_gyro).max() <= 1
    assert np.mean(chip_ints(rec.acc, 2049) == want_acc) > 0.99
    # pressure: calibrated zones in N, a foot on the insole at some point
    assert rec.pressure.max() > 100
    assert rec.pressure.min() >= 0


def test_corrupt_frames_are_skipped_and_counted_not_fatal(tmp_path):
    cli, out = record(tmp_path, XIAO, 5, 7)  # one frame in seven damaged on the line
    assert cli.returncode == 0, cli.stderr
    rec = dumpfile.load(out.with_suffix(".csv"))
    meta = rec.meta["recorder"]
    assert meta["corrupt_frames"] >= 10, meta
    # a damaged IMU frame is 10 missing samples: they show as lost, the rest is intact
    assert meta["lost_imu_samples"] % 10 == 0 and meta["lost_imu_samples"] > 0, meta
    assert rec.samples + meta["lost_imu_samples"] >= 5 * 200 - 60
    assert np.all(np.diff(rec.t) > 0)
    assert f"skipped {meta['corrupt_frames']} corrupt frames" in cli.stdout


def test_no_pod_on_the_port_is_one_clear_line(tmp_path):
    master, slave = os.openpty()
    try:
        cli = subprocess.run(
            [sys.executable, "-m", "stridepod", "record", str(tmp_path / "x"), "--port",
             os.ttyname(slave), "--no-start", "--idle-timeout", "0.5"],
            capture_output=True, text=True, timeout=60,
        )
    finally:
        os.close(master)
        os.close(slave)
    assert cli.returncode == 2
    assert cli.stderr.strip().splitlines()[-1].startswith("error: no frames from the pod on /dev/pts/"), cli.stderr
    assert "Traceback" not in cli.stderr


@pytest.mark.parametrize("port", ["/dev/ttyNOSUCH0"])
def test_missing_port_is_one_clear_line(tmp_path, port):
    cli = subprocess.run(
        [sys.executable, "-m", "stridepod", "record", str(tmp_path / "x"), "--port", port],
        capture_output=True, text=True, timeout=60,
    )
    assert cli.returncode == 2
    assert cli.stderr.strip() == f"error: no board at {port}: check the USB cable or pass another --port"
