"""`stridepod sync`: fetch every record a pod has logged since the last sync."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import click

from stridepod.ble import SyncProgress, SyncResult, sync
from stridepod.ble.virtual import sync_virtual_pod
from stridepod.commands import output
from stridepod.commands.context import current
from stridepod.store.podruns import update_pod_runs


def _summary(result: SyncResult) -> str:
    parts = [f"{result.stored} new record{'s' if result.stored != 1 else ''}"]
    if result.duplicates:
        parts.append(f"{result.duplicates} already stored")
    if result.lost_on_pod:
        parts.append(f"{result.lost_on_pod} overwritten on the pod before this sync")
    if result.rejected:
        parts.append(f"{result.rejected} corrupt on the air (fetched again)")
    if result.link_drops:
        parts.append(f"the link dropped {result.link_drops} time(s)")
    return f"pod {result.pod_id}: " + ", ".join(parts)


@click.command("sync", short_help="Fetch a pod's new records over Bluetooth and store them.")
@click.argument("target", required=False)
@click.option("--follow", is_flag=True,
              help="Stay connected and store records as the pod makes them (Ctrl-C stops).")
@click.option("--scan-timeout", type=click.FloatRange(0.5, 300), default=10.0,
              show_default=True, help="Seconds to look for the pod.")
@click.option("--virtual", "recording", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sync a virtual pod that replays this recording through the real firmware "
                   "(no Bluetooth hardware needed).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def command(target: str | None, follow: bool, scan_timeout: float, recording: Path | None,
            as_json: bool) -> None:
    """Connect to the pod TARGET (address or name; the strongest pod in range if left
    out), bond on first use, and store every record it logged since the last sync,
    each exactly once. A dropped link is retried with growing pauses."""
    if recording is not None and (target or follow):
        raise click.UsageError("--virtual syncs its own pod: leave out TARGET and --follow")
    with current().open_store(write=True) as store, output.progress("syncing", total=None) as advance:
        seen = 0

        def progress(p: SyncProgress) -> None:
            nonlocal seen
            advance(p.stored - seen, description=f"{p.phase} {p.pod_id}".strip())
            seen = p.stored

        if recording is not None:
            result = asyncio.run(sync_virtual_pod(recording, store, progress))
        else:
            result = asyncio.run(sync(target, store, progress=progress,
                                      scan_timeout=scan_timeout, follow=follow))
        update_pod_runs(store, result.pod_id)  # the synced sessions as runs for the app
    if as_json:
        output.emit_json(dataclasses.asdict(result))
        return
    output.console().print(_summary(result))
