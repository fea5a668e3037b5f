"""Turns the pod's window records into runs: consecutive windows form one session, a
session becomes one run with the metrics a runner compares from run to run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from podfw.gait.summary import FLAG_WALKING
from stridepod.ble.profile import POD_EPOCH
from stridepod.store.database import Store

SESSION_GAP_S = 10 * 60  # windows further apart than this belong to different sessions
MIN_RUN_STEPS = 20  # a session with fewer steps was the pod being moved, not a run
STRIKES = ("strike_heel", "strike_mid", "strike_fore")


def sessions(records: Iterable[dict]) -> list[list[dict]]:
    """Records (in sequence order) grouped into sessions: a new session starts where the
    pod flagged one, where the clock jumps back or after a pause of SESSION_GAP_S."""
    groups: list[list[dict]] = []
    end_s = None
    for record in records:
        start_s = record["time_s"]
        if (not groups or record.get("session_start") or end_s is None
                or not 0 <= start_s - end_s <= SESSION_GAP_S):
            groups.append([])
        groups[-1].append(record)
        end_s = start_s + record["duration_ms"] / 1000.0
    return groups


def _step_weighted_mean(records: list[dict], field: str) -> float | None:
    """Mean of a window metric weighted by the window's steps; 0 means unknown and is left out."""
    pairs = [(r[field], r["steps"]) for r in records if r[field] and r["steps"]]
    total = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / total if total else None


def session_run(pod_id: str, records: list[dict]) -> dict | None:
    """One session as a row for the store's runs table (None if it is too short)."""
    steps = sum(r["steps"] for r in records)
    if steps < MIN_RUN_STEPS:
        return None
    first = records[0]
    if first.get("clock_set", True):
        start = (POD_EPOCH + dt.timedelta(seconds=first["time_s"])).astimezone()
    else:  # the pod's clock was never set: all we know is when we received it
        start = dt.datetime.fromisoformat(first["received_at"]).astimezone()
    strikes = [sum(r[k] for r in records) for k in STRIKES]
    walking = sum(r["steps"] for r in records if r["flags"] & FLAG_WALKING)
    impact = _step_weighted_mean(records, "impact_peak_cg")
    start_local = start.replace(tzinfo=None).isoformat(timespec="seconds")
    return {
        "source_key": f"pod:{pod_id}:{first['seq']}",
        "source": "pod",
        "start": start_local,
        "date": start_local[:10],
        "duration_min": sum(r["duration_ms"] for r in records) / 60000.0,
        "steps": steps,
        "cadence_spm": _step_weighted_mean(records, "cadence_spm"),
        # typical impact of the run: the step-weighted mean of each window's peak
        "impact_g_peak": impact / 100.0 if impact else None,
        "contact_ms": _step_weighted_mean(records, "contact_ms"),
        **({k: n / sum(strikes) for k, n in zip(STRIKES, strikes, strict=True)}
           if sum(strikes) else {}),
        "kind": "walk_run" if walking * 2 > steps else "",
    }


def update_pod_runs(store: Store, pod_id: str) -> int:
    """Bring the runs of one pod up to date with its stored records: the last known
    session (which may have grown since) and everything after it are recomputed.
    Returns runs added or changed."""
    prefix = f"pod:{pod_id}:"
    starts = [int(key[len(prefix):]) for key in store.run_keys(prefix)]
    records = store.pod_records(pod_id, since_seq=max(starts, default=0))
    runs = [session_run(pod_id, group) for group in sessions(records)]
    return store.add_runs([r for r in runs if r is not None])
