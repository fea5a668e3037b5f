"""Pod window records become runs: sessions split where the pod or the clock says so,
step-weighted metrics, and a session that grows while it is synced updates its run."""

from __future__ import annotations

import pytest

from podfw.gait.summary import FLAG_WALKING
from podfw.link import wire
from stridepod.store.database import Store
from stridepod.store.podruns import SESSION_GAP_S, sessions, update_pod_runs

T0 = 848_620_800  # 2026-11-22 00:00 UTC in pod seconds (since 2000-01-01)


def window(seq, time_s, steps=28, cadence=168, impact=900, contact=240, heel=10, mid=4,
           fore=0, flags=0, start=False):
    """A record as the BLE client stores it: decoded from the real wire format."""
    data = wire.encode_fields(seq, time_s, 5000, steps, cadence, impact, contact, flags,
                              heel, mid, fore, clock_set=True, session_start=start)
    return wire.decode(bytes(data))


def test_sessions_split_at_session_start_and_long_pauses():
    records = [window(0, T0, start=True), window(1, T0 + 5), window(2, T0 + 10),
               window(3, T0 + 15, start=True),  # the runner pressed start again
               window(4, T0 + 20 + SESSION_GAP_S + 1),  # and came back much later
               window(5, T0 + 10)]  # the clock went back: a new session too
    groups = sessions([r.as_dict() for r in records])
    assert [[r["seq"] for r in g] for g in groups] == [[0, 1, 2], [3], [4], [5]]


def test_a_session_becomes_a_run_with_step_weighted_metrics(tmp_path):
    records = [window(0, T0 + 7 * 3600, steps=20, cadence=160, impact=800, contact=250, start=True),
               window(1, T0 + 7 * 3600 + 5, steps=30, cadence=170, impact=1000, contact=0,
                      heel=2, mid=10, fore=3)]
    with Store.open(tmp_path / "s.db") as store:
        store.add_pod_records("pod-1", records)
        assert update_pod_runs(store, "pod-1") == 1
        (run,) = store.runs()
    assert run["source_key"] == "pod:pod-1:0" and run["source"] == "pod"
    assert run["duration_min"] == pytest.approx(10 / 60)
    assert run["steps"] == 50
    assert run["cadence_spm"] == pytest.approx((20 * 160 + 30 * 170) / 50)
    assert run["impact_g_peak"] == pytest.approx((20 * 8.0 + 30 * 10.0) / 50)
    assert run["contact_ms"] == 250.0  # the window without contact time is left out
    strikes = 10 + 4 + 2 + 10 + 3
    assert (run["strike_heel"], run["strike_mid"], run["strike_fore"]) == pytest.approx(
        (12 / strikes, 14 / strikes, 3 / strikes))
    assert run["kind"] == ""


def test_a_growing_session_updates_its_run_and_short_or_walking_sessions(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        store.add_pod_records("p", [window(0, T0, start=True), window(1, T0 + 5)])
        update_pod_runs(store, "p")
        store.add_pod_records("p", [window(2, T0 + 10), window(3, T0 + 15),
                                    window(4, T0 + 3600, steps=6, start=True),  # pod moved
                                    window(5, T0 + 7200, flags=FLAG_WALKING, start=True)])
        assert update_pod_runs(store, "p") == 2
        runs = {r["source_key"]: r for r in store.runs()}
    assert set(runs) == {"pod:p:0", "pod:p:5"}
    assert runs["pod:p:0"]["steps"] == 4 * 28
    assert runs["pod:p:5"]["kind"] == "walk_run"
