"""Shared by the virtual-pod and BLE tests: running a coroutine in a fresh event loop
(bleak keeps one BlueZ connection per loop, each test has its own bus), checking that
no process or D-Bus connection a test started outlives it, and what a stored record
should be for a window the pod's engine computed."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import threading
from pathlib import Path

import podfw  # noqa: F401
from podfw.gait.summary import WindowSummary
from podfw.link import wire

ROOT = Path(__file__).resolve().parents[2]
DUMPS = ROOT.parent / "shared" / "datasets" / "dumps"
RUN = DUMPS / "adept_outdoor_run_left_ankle.csv"  # 25 min outdoor run, 300 windows
SHORT_RUN = DUMPS / "alcantara_run_00.csv"  # 5 s treadmill run, one window

# what a record carries of its window (time_s is placed on the pod clock separately)
RECORD_FIELDS = ("seq", "duration_ms", "steps", "cadence_spm", "impact_peak_cg", "contact_ms",
                 "flags", "strike_heel", "strike_mid", "strike_fore", "session_start", "clipped")


def child_pids() -> set[int]:
    """Live (not zombie) processes whose parent is this test process."""
    me = str(os.getpid())
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[1] == me and fields[0] != "Z":
            found.add(int(entry))
    return found


def dbus_connections_left_open(loop: asyncio.AbstractEventLoop) -> list:
    """D-Bus connections of `loop` that their owner never disconnected: when their bus
    daemon stops they end in an EOFError nobody retrieves ("Future exception was never
    retrieved" at interpreter exit)."""
    from dbus_fast.aio import MessageBus

    return [obj for obj in gc.get_objects()
            if isinstance(obj, MessageBus) and obj._loop is loop and not obj._user_disconnect]


def run_isolated(coro_fn, *args, **kwargs):
    """Runs coro_fn(*args, **kwargs) in a new event loop and checks it left no
    dbus-daemon or micropython process behind and no D-Bus connection open."""
    from stridepod.ble.virtual import close_bleak_bluez_connection

    async def isolated():
        try:
            return await coro_fn(*args, **kwargs)
        finally:
            await close_bleak_bluez_connection()

    before = child_pids()
    try:
        with asyncio.Runner() as runner:
            result = runner.run(isolated())
            left_open = dbus_connections_left_open(runner.get_loop())
    finally:
        leaked = child_pids() - before
        assert not leaked, f"processes left running: {sorted(leaked)}"
    assert not left_open, f"D-Bus connections left open: {left_open}"
    return result


def expected_record(window: dict) -> dict:
    """The record fields the pod must send for a window trace entry {"seq", "summary"}."""
    summary = WindowSummary(**window["summary"])
    data = wire.encode_summary(summary, window["seq"], 0)
    record = wire.decode(data).as_dict()
    return {k: record[k] for k in RECORD_FIELDS}


def stored_fields(record: dict) -> dict:
    return {k: record[k] for k in RECORD_FIELDS}


@contextlib.contextmanager
def bluez_in_background(peripheral=None, **bluez_options):
    """A private bus as this process's system bus with an emulated BlueZ serving it
    from a background thread, for code that runs its own event loop (the CLI).
    bluez_options go to EmulatedBlueZ; `bluez=False` starts no BlueZ at all.
    `peripheral(bluez)` -> a VirtualPeripheral (a pod, a strap) started in that thread
    too, and stopped before the BlueZ; it is what the context yields then."""
    from stridepod.virtualpod.bluez import EmulatedBlueZ
    from stridepod.virtualpod.bus import PrivateBus

    want_bluez = bluez_options.pop("bluez", True)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    with PrivateBus() as bus, bus.as_system_bus():
        thread.start()
        bluez = None
        started = None
        try:
            if want_bluez:
                bluez = asyncio.run_coroutine_threadsafe(
                    EmulatedBlueZ(bus.address, **bluez_options).start(), loop).result(10)
            if peripheral is not None:
                started = asyncio.run_coroutine_threadsafe(
                    peripheral(bluez).start(), loop).result(30)
            yield started or bluez
        finally:
            if started is not None:
                asyncio.run_coroutine_threadsafe(started.stop(), loop).result(10)
            if bluez is not None:
                asyncio.run_coroutine_threadsafe(bluez.stop(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()
