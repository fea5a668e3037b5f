"""Syncing a virtual pod: the real firmware replays a recording under the `micropython`
binary, an emulated BlueZ on a private D-Bus bus carries its radio, and the unmodified
bleak client below syncs it into a store - what `stridepod demo` and the tests use."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from stridepod.ble.client import (
    Backoff,
    CommandResult,
    PodSync,
    SyncProgress,
    SyncResult,
    find_pod,
    run_command,
)
from stridepod.store.database import Store
from stridepod.virtualpod.bluez import EmulatedBlueZ
from stridepod.virtualpod.bluez.airtime import LinkParams
from stridepod.virtualpod.bus import PrivateBus
from stridepod.virtualpod.launcher import PodSettings, VirtualPod


@dataclass
class VirtualRig:
    bus: PrivateBus
    bluez: EmulatedBlueZ
    pod: VirtualPod


@contextlib.asynccontextmanager
async def virtual_rig(recording: str | os.PathLike, settings: PodSettings | None = None,
                      *, powered: bool = True, adapter: bool = True,
                      link: LinkParams | None = None,
                      log_dir: str | os.PathLike | None = None) -> AsyncIterator[VirtualRig]:
    """A private bus, an emulated BlueZ on it (as this process's system bus; its radio
    links have `link`'s parameters, phone-like by default) and a virtual pod replaying
    `recording` (its flash log in `log_dir` when given, else a temporary one);
    everything is stopped on exit. Run it in a fresh event loop: bleak keeps one BlueZ
    connection per loop."""
    with PrivateBus() as bus, bus.as_system_bus():
        async with EmulatedBlueZ(bus.address, powered=powered, adapter=adapter,
                                 link=link) as bluez:
            try:
                async with VirtualPod(bluez, recording, settings, log_dir=log_dir) as pod:
                    yield VirtualRig(bus, bluez, pod)
            finally:
                await close_bleak_bluez_connection()


async def close_bleak_bluez_connection() -> None:
    """Closes the D-Bus connection bleak keeps to BlueZ for the running event loop, and
    waits for it; the next bleak call in this loop opens a new one.

    bleak opens that connection on first use and never closes it: harmless on the
    system bus, which outlives the process, but a private bus must not be stopped under
    it (its socket would reach EOF with nobody left to read the error). bleak has no
    public way to close it, hence its private names (bleak 3.1)."""
    from bleak.backends.bluezdbus import manager as bleak_bluez

    manager = bleak_bluez._global_instances.pop(asyncio.get_running_loop(), None)
    if manager is None:
        return
    watcher, manager._bus_watcher_task = manager._bus_watcher_task, None
    if watcher is not None:
        # it would log the connection as lost; cancelling it also cancels the future
        # it waits on (wait_for_disconnect's), so the end is watched below instead
        watcher.cancel()
        await asyncio.wait({watcher})
    bus, manager._bus = manager._bus, None
    if bus is not None:
        bus.disconnect()
        async with asyncio.timeout(5):
            while bus.connected:  # until its reader saw the shutdown and closed the socket
                await asyncio.sleep(0.001)


async def sync_virtual_pod(
    recording_path: str | os.PathLike,
    store: Store,
    progress: Callable[[SyncProgress], None] | None = None,
    settings: PodSettings | None = None,
) -> SyncResult:
    """The pod records the whole recording into its flash log with no phone around,
    then the bleak client finds it, bonds, and backfills everything into `store`."""
    async with virtual_rig(recording_path, settings) as rig:
        await rig.pod.wait_done()
        device = await find_pod(None, timeout=10)
        sync = PodSync(store, progress=progress, backoff=Backoff(first_s=0.05, longest_s=1.0))
        return await sync.run(device)


async def command_virtual_pod(recording_path: str | os.PathLike, op: int,
                              param: int | None = None,
                              settings: PodSettings | None = None,
                              more: tuple[int, ...] = ()) -> CommandResult:
    """One control-point command (podfw.link.wire OP_*) to a virtual pod, once it has
    replayed `recording_path`, through the same bleak client as a real pod's."""
    async with virtual_rig(recording_path, settings) as rig:
        await rig.pod.wait_done()
        device = await find_pod(None, timeout=10)
        return await run_command(device, op, param, more=more)
