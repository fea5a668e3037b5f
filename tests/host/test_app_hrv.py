"""`stridepod hrv`: a saved morning measurement is parsed, cleaned and stored; every
Bluetooth problem (no adapter, off, no BlueZ, no strap in range) is one line and exit 2,
checked against the emulated BlueZ on a private bus."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from stridepod.store.database import Store
from virtualpod_support import bluez_in_background

HRV = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "hrv"


def _store(tmp_path) -> Store:
    return Store.open(tmp_path / "stridepod.db")


def _strap_notifications(rr_ms: list[float]) -> list[bytes]:
    """0x2A37 notifications as a strap sends them: flags (RR present), HR, RR in 1/1024 s."""
    return [bytes([0x10, 62]) + b"".join(struct.pack("<H", round(x * 1.024)) for x in rr_ms[i:i + 3])
            for i in range(0, len(rr_ms), 3)]


def test_hrv_from_a_saved_measurement_is_stored_for_that_morning(stridepod_cli, tmp_path):
    rr = [float(x) for x in (HRV / "pyhrv_SampleNNISeriesShort.txt").read_text().split()]
    saved = tmp_path / "morning.hex"
    saved.write_text("".join(p.hex() + "\n" for p in _strap_notifications(rr)))
    result = stridepod_cli("hrv", "--from-file", saved, "--date", "2026-11-21", "--json")
    assert result.exit_code == 0, result.stderr
    measured = json.loads(result.stdout)
    assert measured["date"] == "2026-11-21"
    assert measured["beats_used"] + measured["beats_removed"] == len(rr)
    with _store(tmp_path) as store:
        (day,) = store.wellness_days()
    assert day["source"] == "strap" and day["rmssd_ms"] == pytest.approx(measured["rmssd_ms"], abs=0.01)


def test_hrv_bad_saved_measurements(stridepod_cli, tmp_path):
    garbage = tmp_path / "garbage.hex"
    garbage.write_text("not hex at all\n")
    result = stridepod_cli("hrv", "--from-file", garbage)
    assert result.exit_code == 2 and "not a saved measurement" in result.stderr
    short = tmp_path / "short.hex"
    short.write_text("".join(p.hex() + "\n" for p in _strap_notifications([800.0] * 20)))
    result = stridepod_cli("hrv", "--from-file", short)
    assert result.exit_code == 2 and "usable beats" in result.stderr


@pytest.mark.parametrize(("setup", "message"), [
    ({"adapter": False}, "no Bluetooth adapter found"),
    ({"powered": False}, "Bluetooth is off: turn it on and try again"),
    ({"bluez": False}, "the BlueZ service is not running"),
    ({}, "no heart-rate strap in range"),
], ids=["no-adapter", "powered-off", "no-bluez", "no-strap"])
def test_hrv_bluetooth_problems_are_one_line(stridepod_cli, tmp_path, setup, message):
    with bluez_in_background(**setup):
        result = stridepod_cli("hrv", "--scan-timeout", "0.5")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    with _store(tmp_path) as store:
        assert store.wellness_days() == []
