"""Benchmark of the pod's BLE link (issue 5), over the virtual pod: the real firmware
under the `micropython` binary, the emulated BlueZ, the unmodified bleak client.

1. Bytes on air per hour of running: the pod replays the 25-minute outdoor run
   (adept_outdoor_run_left_ankle) while the client follows it live; the emulator counts
   every ATT PDU that crosses the link in both directions (records, RSC cadence, the
   client's commands and reads). Radio bytes add the per-PDU link-layer cost
   (preamble 1, access address 4, header 2, L2CAP 4, MIC 4, CRC 3 = 18 bytes).
2. A full-day backfill: the pod logs a day of 5-second windows (17,280 records, the run
   replayed back to back) with no phone around; then the client bonds and backfills
   all of it. The wall time over the virtual link is measured; the time on a real radio
   is estimated from the PDU count for a phone's typical connection (stated below).

    .venv/bin/python tools/bench_link.py [--day-records N]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from pathlib import Path

from stridepod.ble import PodSync, find_pod
from stridepod.ble.virtual import virtual_rig
from stridepod.store.database import Store
from stridepod.virtualpod.launcher import PodSettings

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT.parent / "shared" / "datasets" / "dumps" / "adept_outdoor_run_left_ankle.csv"
RUN_WINDOWS = 300  # 25 min of 5 s windows
LL_OVERHEAD = 18  # bytes a LE 1M data PDU adds around its ATT payload (see docstring)
# a phone's usual connection to a sensor: 30 ms interval, 4 notifications per event
PHONE_INTERVAL_S = 0.030
PHONE_PDUS_PER_EVENT = 4


async def live_run(store: Store) -> dict:
    # 20 ms of radio time per window: the client is connected long before the run ends
    settings = PodSettings(pace_ms=20, serial="BENCH001")
    async with virtual_rig(RUN, settings) as rig:
        device = await find_pod(None, timeout=10)
        final: dict = {}
        sync = PodSync(store)
        task = asyncio.ensure_future(sync.run(
            device, follow=True, until=lambda: bool(final) and sync.result.stored == final["windows"]))
        final.update(await rig.pod.wait_done(timeout=600))
        result = await asyncio.wait_for(task, 120)
        air = rig.pod.radio.air
        return {"records": result.stored, "pdus": air.pdus, "att_bytes": air.bytes,
                "run_s": final["windows"] * 5}


async def day_backfill(store: Store, records: int) -> dict:
    settings = PodSettings(loops=math.ceil(records / RUN_WINDOWS), serial="BENCH002",
                           log_capacity=max(18432, records + 600))
    async with virtual_rig(RUN, settings) as rig:
        t0 = time.perf_counter()
        final = await rig.pod.wait_done(timeout=1800)
        logged_s = time.perf_counter() - t0
        device = await find_pod(None, timeout=10)
        before = rig.pod.radio.air.pdus
        t0 = time.perf_counter()
        result = await PodSync(store).run(device)
        sync_s = time.perf_counter() - t0
        return {"logged": final["next_seq"], "log_s": logged_s, "stored": result.stored,
                "sync_s": sync_s, "pdus": rig.pod.radio.air.pdus - before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--day-records", type=int, default=17280,
                        help="records in the full-day backfill (17,280 = 24 h of 5 s windows)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        with Store.open(Path(tmp) / "live.db") as store:
            live = asyncio.run(live_run(store))
        hours = live["run_s"] / 3600
        radio = live["att_bytes"] + LL_OVERHEAD * live["pdus"]
        print(f"live run: {live['records']} records for {live['run_s'] / 60:.0f} min of running, "
              f"{live['pdus']} ATT PDUs")
        print(f"  bytes on air per hour of running: {live['att_bytes'] / hours:,.0f} ATT bytes, "
              f"{radio / hours:,.0f} radio bytes ({live['pdus'] / hours:,.0f} PDUs/h)")
        print(f"  per record: {live['att_bytes'] / live['records']:.1f} ATT bytes (its "
              "notification plus the session set-up shared out; a watch subscribed to RSC "
              "adds a 7-byte cadence notification per window)")

        with Store.open(Path(tmp) / "day.db") as store:
            day = asyncio.run(day_backfill(store, args.day_records))
        assert day["stored"] == day["logged"], "backfill did not deliver every record"
        rate = day["stored"] / day["sync_s"]
        phone_s = day["pdus"] / PHONE_PDUS_PER_EVENT * PHONE_INTERVAL_S
        print(f"full-day backfill: {day['stored']} records ({day['stored'] * 5 / 3600:.1f} h of "
              f"5 s windows; the pod logged them in {day['log_s']:.1f} s)")
        print(f"  over the virtual link: {day['sync_s']:.2f} s ({rate:,.0f} records/s, "
              f"{day['pdus']} PDUs)")
        print(f"  estimated on a phone's radio link ({PHONE_INTERVAL_S * 1000:.0f} ms interval, "
              f"{PHONE_PDUS_PER_EVENT} PDUs per event): {phone_s:.0f} s; the virtual link is "
              f"{phone_s / day['sync_s']:.0f}x faster than that")


if __name__ == "__main__":
    main()
