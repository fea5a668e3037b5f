"""A power cut on the pod in the middle of a run, with the phone connected: the pod
process is killed wherever it is (a flash write included), boots again on the same flash
log and goes on recording; the bonded client reconnects by itself. Every record that
reached the flash log is stored once; at most the one being written is lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

from stridepod.ble import Backoff, PodSync, find_pod
from stridepod.ble.virtual import close_bleak_bluez_connection
from stridepod.store.database import Store
from stridepod.virtualpod.bluez import EmulatedBlueZ
from stridepod.virtualpod.bus import PrivateBus
from stridepod.virtualpod.launcher import PodSettings, VirtualPod
from virtualpod_support import (
    RUN,
    expected_record,
    run_isolated,
    stored_fields,
)


async def _cut_power_mid_run(store: Store, flash: Path):
    settings = PodSettings(pace_ms=5, serial="CUT00001")
    with PrivateBus() as bus, bus.as_system_bus():
        async with EmulatedBlueZ(bus.address) as bluez:
            final: dict = {}
            sync = PodSync(store, backoff=Backoff(first_s=0.01, longest_s=0.1, attempts=None))
            syncing = None
            try:
                async with VirtualPod(bluez, RUN, settings, log_dir=flash) as before:
                    device = await find_pod(None, timeout=10)
                    syncing = asyncio.ensure_future(sync.run(
                        device, follow=True,
                        until=lambda: bool(final) and store.last_sequence(
                            sync.result.pod_id) == final["next_seq"] - 1))
                    while len(before.windows) < 120 or sync.result.stored < 60:
                        assert not syncing.done(), syncing.exception()
                        await asyncio.sleep(0.005)
                    await before.power_cut()
                    windows_before = before.windows
                async with VirtualPod(bluez, RUN, settings, log_dir=flash) as after:
                    final.update(await after.wait_done())
                    result = await asyncio.wait_for(syncing, 60)
                    return windows_before, after.windows, final, result, sync.stored_twice
            finally:
                if syncing is not None:
                    syncing.cancel()
                    await asyncio.wait({syncing})  # its client disconnects first
                await close_bleak_bluez_connection()


def test_a_power_cut_loses_at_most_the_record_being_written(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        before, after, final, result, stored_twice = run_isolated(
            _cut_power_mid_run, store, tmp_path / "flash")
        stored = store.pod_records(result.pod_id)

    resumed_at = after[0]["seq"]  # the rebooted pod numbers on from its log
    logged_before = [w for w in before if w["seq"] < resumed_at]
    assert 120 <= resumed_at <= before[-1]["seq"] + 1
    assert len(before) - len(logged_before) <= 1  # traced but cut while being written
    expected = [expected_record(w) for w in logged_before + after]
    assert [r["seq"] for r in stored] == list(range(final["next_seq"]))
    assert [stored_fields(r) for r in stored] == expected
    assert stored_twice == 0 and result.lost_on_pod == 0
