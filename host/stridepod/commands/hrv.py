"""`stridepod hrv`: the morning HRV measurement from any BLE heart-rate strap."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
import time
from pathlib import Path

import click

from stridepod.commands import output
from stridepod.commands.context import current
from stridepod.errors import StridepodError
from stridepod.privatefiles import write_private

# The recovery model, importers and plotting are imported when the command runs, so
# `stridepod --help` and the other commands start quickly.

HEART_RATE_SERVICE = "0000180d-0000-1000-8000-00805f9b34fb"
HEART_RATE_MEASUREMENT = "00002a37-0000-1000-8000-00805f9b34fb"


async def _record(seconds: float, scan_timeout: float, address: str | None,
                  tick) -> list[bytes]:
    from bleak import BleakClient, BleakScanner

    if address:
        device = await BleakScanner.find_device_by_address(address, timeout=scan_timeout)
    else:
        device = await BleakScanner.find_device_by_filter(
            lambda _d, adv: HEART_RATE_SERVICE in adv.service_uuids, timeout=scan_timeout)
    if device is None:
        raise StridepodError("no heart-rate strap in range (is it on your chest and awake?)")
    packets: list[bytes] = []
    gone = asyncio.Event()
    async with BleakClient(device, disconnected_callback=lambda _c: gone.set()) as client:
        await client.start_notify(HEART_RATE_MEASUREMENT,
                                  lambda _c, data: packets.append(bytes(data)))
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < seconds and not gone.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(gone.wait(), min(1.0, seconds - elapsed))
            tick(time.monotonic() - started)
        if gone.is_set():
            raise StridepodError(
                f"the strap disconnected after {time.monotonic() - started:.0f} s of the "
                f"{seconds:.0f} s measurement (out of range, or its battery is low): "
                "nothing was stored, measure again")
        await client.stop_notify(HEART_RATE_MEASUREMENT)
    return packets


def record_packets(seconds: float, scan_timeout: float, address: str | None) -> list[bytes]:
    from bleak.exc import BleakError

    from stridepod.ble.client import bluetooth_error

    with output.progress("breathe calmly, measuring", total=seconds) as advance:
        done = 0.0

        def tick(elapsed: float) -> None:
            nonlocal done
            advance(elapsed - done)
            done = elapsed

        try:
            return asyncio.run(_record(seconds, scan_timeout, address, tick))
        except (BleakError, OSError, EOFError) as exc:
            raise bluetooth_error(exc) from exc


def read_packets(path: Path) -> list[bytes]:
    """A saved measurement: one notification per line, as hex."""
    try:
        lines = path.read_text().split()
    except FileNotFoundError:
        raise StridepodError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise StridepodError(f"{path}: not a saved measurement (hex lines expected)") from None
    try:
        return [bytes.fromhex(line) for line in lines]
    except ValueError:
        raise StridepodError(f"{path}: not a saved measurement (hex lines expected)") from None


@click.command("hrv", short_help="Measure this morning's HRV with a heart-rate chest strap.")
@click.option("--seconds", type=click.FloatRange(60, 600), default=180, show_default=True,
              help="How long to measure.")
@click.option("--address", default=None, help="Bluetooth address of the strap (else the first found).")
@click.option("--scan-timeout", type=float, default=15.0, show_default=True,
              help="Seconds to look for the strap.")
@click.option("--save", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also save the raw notifications (hex, one per line) to this file.")
@click.option("--from-file", "source", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Use a saved measurement instead of the strap.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Morning the measurement belongs to (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def command(seconds: float, address: str | None, scan_timeout: float, save: Path | None,
            source: Path | None, day: dt.datetime | None, as_json: bool) -> None:
    """Measure this morning's heart-rate variability with a chest strap: lie still, breathe
    normally, for about 3 minutes right after waking. Beats that are artifacts or ectopic are
    removed (and counted); the rMSSD is stored as today's HRV."""
    from stridepod.recovery.hrv import morning_hrv_from_notifications
    from stridepod.recovery.model import to_jsonable

    packets = read_packets(source) if source else record_packets(seconds, scan_timeout, address)
    if save:
        write_private(save, "".join(p.hex() + "\n" for p in packets))
    result = morning_hrv_from_notifications(packets)
    morning = (day.date() if day else dt.date.today()).isoformat()
    with current().open_store(write=True) as store:
        store.add_wellness_days([{"date": morning, "rmssd_ms": round(result.rmssd_ms, 2),
                                  "source": "strap"}])
    if as_json:
        output.emit_json({"date": morning, **to_jsonable(result)})
        return
    output.console().print(
        f"{morning}: rMSSD {result.rmssd_ms:.1f} ms (ln {math.log(result.rmssd_ms):.2f}), "
        f"mean HR {result.mean_hr_bpm:.0f} bpm, {result.beats_used} beats used, "
        f"{result.beats_removed} removed ({result.artifacts} artifacts, {result.ectopic} ectopic)"
    )
