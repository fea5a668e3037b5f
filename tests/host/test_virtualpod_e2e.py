"""End to end: the virtual pod runs the real firmware (gait engine, PodLink, flash log)
under the `micropython` binary on a real recording; the unmodified bleak client syncs
it through the emulated BlueZ; the store must hold exactly what the engine computed,
every record once."""

from __future__ import annotations

import podfw  # noqa: F401
from stridepod.ble import PodSync, SyncProgress, find_pod
from stridepod.ble.virtual import virtual_rig
from stridepod.store.database import Store
from stridepod.virtualpod.launcher import PodSettings
from virtualpod_support import (
    RUN,
    expected_record,
    run_isolated,
    stored_fields,
)


async def _sync_after_run(store: Store, progress: list[SyncProgress]):
    async with virtual_rig(RUN, PodSettings(serial="E2E00001")) as rig:
        done = await rig.pod.wait_done()
        device = await find_pod(None, timeout=10)
        result = await PodSync(store, progress=progress.append).run(device)
        return done, rig.pod.windows, result


def test_stored_records_are_what_the_engine_computed_each_once(tmp_path):
    progress: list[SyncProgress] = []
    with Store.open(tmp_path / "s.db") as store:
        done, windows, result = run_isolated(_sync_after_run, store, progress)
        stored = store.pod_records(result.pod_id)

    assert done["windows"] == len(windows) == 300  # 25 min of 5 s windows
    assert [w["seq"] for w in windows] == list(range(300))
    assert [r["seq"] for r in stored] == list(range(300))  # every record, once
    assert [stored_fields(r) for r in stored] == [expected_record(w) for w in windows]
    assert result.stored == 300 and result.duplicates == 0 and result.lost_on_pod == 0
    assert result.pod_id.startswith("E2E00001-")
    # the pod ran without a phone: its clock was not set, times follow the samples
    starts = [r["time_s"] for r in stored]
    assert [b - a for a, b in zip(starts, starts[1:], strict=False)] == [5] * 299
    assert progress[-1].stored == 300 and progress[-1].backfill_done == 300
    assert max(p.backfill_total for p in progress) == 300

