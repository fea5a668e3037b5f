"""What the user sees when there is no adapter, Bluetooth is off, BlueZ is not running or
no pod is in range: one clear line (a StridepodError; `error: ...` and exit 2 from the
CLI), never a traceback. Each case runs against its own private bus."""

from __future__ import annotations

import pytest

from stridepod.ble import BluetoothOffError, NoAdapterError, PodNotFoundError, find_pod, scan
from virtualpod_support import bluez_in_background, child_pids, run_isolated

CASES = [
    ({"adapter": False}, NoAdapterError, "no Bluetooth adapter found"),
    ({"powered": False}, BluetoothOffError, "Bluetooth is off: turn it on and try again"),
    ({"bluez": False}, NoAdapterError, "the BlueZ service is not running"),
    ({}, PodNotFoundError, "no stridepod pod in range"),
]


@pytest.mark.parametrize(("setup", "error", "message"), CASES,
                         ids=["no-adapter", "powered-off", "no-bluez", "no-pod"])
def test_find_pod_explains_what_is_wrong(setup, error, message):
    with bluez_in_background(**setup), pytest.raises(error, match=message):
        run_isolated(find_pod, None, timeout=0.3)


def test_scan_reports_no_adapter_as_such():
    with bluez_in_background(adapter=False), pytest.raises(NoAdapterError):
        run_isolated(scan, 0.3)


@pytest.mark.parametrize("args", [("sync",), ("pod", "info"), ("pod", "calibrate", "imu-still")],
                         ids=["sync", "pod-info", "pod-calibrate"])
@pytest.mark.parametrize(("setup", "error", "message"), CASES,
                         ids=["no-adapter", "powered-off", "no-bluez", "no-pod"])
def test_cli_prints_one_line_and_exits_2(stridepod_cli, setup, error, message, args):
    before = child_pids()
    with bluez_in_background(**setup):
        result = stridepod_cli(*args, "--scan-timeout", "0.5")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert child_pids() == before


def test_cli_scan_with_no_pod_in_range(stridepod_cli):
    with bluez_in_background():
        result = stridepod_cli("scan", "--timeout", "0.5")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: no stridepod pod in range (is it awake and charged?)"
