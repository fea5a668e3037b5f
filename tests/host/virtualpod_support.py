"""Shared by the virtual-pod and BLE tests: running a coroutine in a fresh event loop
(bleak keeps one BlueZ connection per loop, each test has its own bus), checking that
no process a test started outlives it, and what a stored record should be for a window
the pod's engine computed."""

from __future__ import annotations

import asyncio
import os
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


def run_isolated(coro_fn, *args, **kwargs):
    """Runs coro_fn(*args, **kwargs) in a new event loop and checks it left no
    dbus-daemon or micropython process behind."""
    before = child_pids()
    try:
        return asyncio.run(coro_fn(*args, **kwargs))
    finally:
        leaked = child_pids() - before
        assert not leaked, f"processes left running: {sorted(leaked)}"


def expected_record(window: dict) -> dict:
    """The record fields the pod must send for a window trace entry {"seq", "summary"}."""
    summary = WindowSummary(**window["summary"])
    data = wire.encode_summary(summary, window["seq"], 0)
    record = wire.decode(data).as_dict()
    return {k: record[k] for k in RECORD_FIELDS}


def stored_fields(record: dict) -> dict:
    return {k: record[k] for k in RECORD_FIELDS}
