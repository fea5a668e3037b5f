"""`stridepod hrv` end to end through a heart-rate strap: a virtual strap (MicroPython on
the `bluetooth` stand-in, mp/hr_strap.py) sends the real RR intervals of the shared HRV
data, with injected artifacts and ectopic beats, to the unmodified bleak BlueZ backend
through the emulated BlueZ on a private bus. The stored morning rMSSD must be what
stridepod.recovery.hrv computes from the intervals the strap sent."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path

import click
import pytest

from stridepod.ble.virtual import close_bleak_bluez_connection
from stridepod.cli import cli
from stridepod.commands import hrv
from stridepod.commands.context import AppContext
from stridepod.recovery.hrv import clean_rr, hrv_metrics, parse_heart_rate_measurement
from stridepod.store.database import Store
from stridepod.virtualpod.bluez import EmulatedBlueZ
from stridepod.virtualpod.bus import PrivateBus
from stridepod.virtualpod.launcher import StrapSettings, VirtualPod, VirtualStrap
from virtualpod_support import (
    ROOT,
    SHORT_RUN,
    bluez_in_background,
    child_pids,
    run_isolated,
)

RR_FILE = ROOT.parent / "shared" / "datasets" / "hrv" / "pyhrv_SampleNNISeriesShort.txt"
# a spurious detection and missed beats (out of range), then a premature beat and its
# compensatory pause (ectopic)
ARTIFACTS = {40: 210.0, 120: 2150.0}
ECTOPIC = {200: 520.0, 201: 1230.0}
SPEED = 120.0  # 4 s of measuring = 8 min of strap time, more than the series (~5 min)
SECONDS = 4.0


BODY_SENSOR_LOCATION = "00002a38-0000-1000-8000-00805f9b34fb"


def _sent_series() -> list[float]:
    """The strap's beats in ms as they travel (1/1024 s units, rounded half up)."""
    rr_ms = [float(x) for x in RR_FILE.read_text().split()]
    for index, ms in {**ARTIFACTS, **ECTOPIC}.items():
        rr_ms[index] = ms
    return [int(ms * 1024 / 1000 + 0.5) * 1000 / 1024 for ms in rr_ms]


def _offset_in_loop(received: list[float], series: list[float]) -> list[int]:
    """Where `received` starts in the endlessly repeated series (no beat lost, added or
    reordered), as every matching offset."""
    looped = series * (len(received) // len(series) + 2)
    return [k for k in range(len(series)) if looped[k:k + len(received)] == received]


def _measure_this_morning(db: Path, saved: Path) -> None:
    """The `stridepod hrv` command's own function with a 4 s measurement (its option
    keeps users to 60-600 s; the strap is sped up to make up for it)."""
    with click.Context(cli, obj=AppContext(db=db)) as ctx:
        ctx.invoke(hrv.command, seconds=SECONDS, scan_timeout=10.0, save=saved,
                   day=dt.datetime(2026, 11, 21))


def test_morning_hrv_from_a_strap_is_what_recovery_computes_from_its_beats(tmp_path, capsys):
    db, saved = tmp_path / "stridepod.db", tmp_path / "morning.hex"
    before = child_pids()

    def strap(bluez):
        return VirtualStrap(bluez, RR_FILE, StrapSettings(speed=SPEED), {**ARTIFACTS, **ECTOPIC})

    with bluez_in_background(strap):
        _measure_this_morning(db, saved)
    assert child_pids() == before
    printed = " ".join(capsys.readouterr().out.split())  # one line of text, wrapped to the terminal

    packets = [bytes.fromhex(line) for line in saved.read_text().split()]
    received = [x for p in packets for x in parse_heart_rate_measurement(p).rr_ms]
    series = _sent_series()
    # several RR in some notifications, none in others (a 1 s period, 45-90 bpm)
    per_packet = {len(parse_heart_rate_measurement(p).rr_ms) for p in packets}
    assert {0, 1, 2} <= per_packet
    assert len(received) > len(series)  # a whole loop: every injected beat was sent
    (start,) = _offset_in_loop(received, series)

    cleaned = clean_rr(received)
    expected = hrv_metrics(cleaned.nn_ms)
    injected_artifacts = sum((start + i) % len(series) in ARTIFACTS for i in range(len(received)))
    assert cleaned.artifacts == injected_artifacts >= len(ARTIFACTS)
    assert cleaned.ectopic >= len(ECTOPIC)

    with Store.open(db) as store:
        (day,) = store.wellness_days()
    assert day["date"] == "2026-11-21" and day["source"] == "strap"
    assert day["rmssd_ms"] == round(expected.rmssd_ms, 2)
    report = re.search(r"rMSSD ([\d.]+) ms .* (\d+) beats used, (\d+) removed "
                       r"\((\d+) artifacts, (\d+) ectopic\)", printed)
    assert report is not None, printed
    assert float(report[1]) == pytest.approx(expected.rmssd_ms, abs=0.05)
    assert [int(g) for g in report.groups()[1:]] == [
        len(cleaned.nn_ms), cleaned.removed, cleaned.artifacts, cleaned.ectopic]


def test_a_strap_whose_link_stalls_loses_no_beat(tmp_path):
    """The phone's radio serves no connection event for 0.5 s (busy_after: Wi-Fi
    coexistence) while the strap, sped up 120x, goes on measuring: its stack runs out of
    notification buffers (OSError ENOMEM, as NimBLE's gatts_notify raises) and the beats
    wait for the next measurement instead of the strap failing (which once ended
    `stridepod hrv` with 'Service Discovery has not been performed yet' on a loaded
    machine). Every beat arrives once and in order, at most 9 to a value (the default
    MTU's room), and the carried ones show as values with more than 2."""
    with (bluez_in_background(lambda bluez: VirtualStrap(bluez, RR_FILE,
                                                         StrapSettings(speed=SPEED))) as strap,
          click.Context(cli, obj=AppContext(db=tmp_path / "stridepod.db"))):
        strap.bluez.busy_after(strap.radio, hrv.HEART_RATE_MEASUREMENT, 3, busy_s=0.5)
        packets = hrv.record_packets(2.0, 10.0, None)
    per_packet = [parse_heart_rate_measurement(p).rr_ms for p in packets]
    received = [x for rr in per_packet for x in rr]
    series = [int(float(x) * 1024 / 1000 + 0.5) * 1000 / 1024
              for x in RR_FILE.read_text().split()]
    assert len(received) > 150  # 2 s at 120x: 4 min of beats
    assert _offset_in_loop(received, series), "a beat was lost, added or reordered"
    assert max(len(rr) for rr in per_packet) == 9


def test_a_strap_that_disconnects_mid_measurement_is_one_line_and_stores_nothing(
        stridepod_cli, tmp_path):
    before = child_pids()
    with bluez_in_background(lambda bluez: VirtualStrap(
            bluez, RR_FILE, StrapSettings(speed=SPEED))) as strap:
        strap.bluez.drop_after(strap.radio, hrv.HEART_RATE_MEASUREMENT, 5, away_s=30)
        result = stridepod_cli("hrv", "--seconds", "60", "--scan-timeout", "5")
    assert child_pids() == before
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        "error: the strap disconnected after 0 s of the 60 s measurement (out of range, or "
        "its battery is low): nothing was stored, measure again")
    with Store.open(tmp_path / "stridepod.db") as store:
        assert store.wellness_days() == []


def test_a_pod_advertising_is_no_strap(stridepod_cli, tmp_path):
    before = child_pids()
    with bluez_in_background(lambda bluez: VirtualPod(bluez, SHORT_RUN)):
        result = stridepod_cli("hrv", "--scan-timeout", "1")
    assert child_pids() == before
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: no heart-rate strap in range (is it on your chest and awake?)"
    with Store.open(tmp_path / "stridepod.db") as store:
        assert store.wellness_days() == []



async def _strap_as_a_phone_sees_it() -> dict:
    """Scans for the heart-rate service, reads the sensor location and waits for the
    first measurement, with bleak like any phone app."""
    from bleak import BleakClient, BleakScanner

    with PrivateBus() as bus, bus.as_system_bus():
        async with EmulatedBlueZ(bus.address) as bluez, VirtualStrap(bluez, RR_FILE):
            try:
                device = await BleakScanner.find_device_by_filter(
                    lambda _d, adv: hrv.HEART_RATE_SERVICE in adv.service_uuids, timeout=10)
                assert device is not None
                measurements: asyncio.Queue[bytes] = asyncio.Queue()
                async with BleakClient(device) as client:
                    location = await client.read_gatt_char(BODY_SENSOR_LOCATION)
                    char = client.services.get_characteristic(hrv.HEART_RATE_MEASUREMENT)
                    await client.start_notify(
                        char, lambda _c, data: measurements.put_nowait(bytes(data)))
                    first = await asyncio.wait_for(measurements.get(), 5)
                    await client.stop_notify(char)
                return {"name": device.name, "address": device.address, "location": location,
                        "properties": char.properties, "first": first}
            finally:
                await close_bleak_bluez_connection()


def test_the_virtual_strap_is_a_standard_heart_rate_sensor():
    seen = run_isolated(_strap_as_a_phone_sees_it)
    assert seen["name"] == StrapSettings.name and seen["address"] == StrapSettings.address
    assert seen["location"] == b"\x01"  # chest
    assert seen["properties"] == ["notify"]
    first = parse_heart_rate_measurement(seen["first"])
    assert first.sensor_contact is True and 45 <= first.heart_rate_bpm <= 90
