"""Properties of the store that must hold for any input order and any overlap of batches
(hypothesis): records exactly once, history rows idempotent and order-independent."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from stridepod.store.database import Store

batches = st.lists(st.lists(st.integers(0, 60), max_size=25), max_size=8)


@settings(max_examples=60, deadline=None)
@given(batches)
def test_pod_records_are_stored_exactly_once_whatever_the_batches(seq_batches):
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "s.db") as store:
        added = sum(store.add_pod_records("pod", [{"seq": s, "steps": s % 7} for s in batch])
                    for batch in seq_batches)
        unique = sorted({s for batch in seq_batches for s in batch})
        assert added == len(unique)
        assert [r["seq"] for r in store.pod_records("pod")] == unique
        assert store.last_sequence("pod") == (unique[-1] if unique else None)


mornings = st.lists(st.fixed_dictionaries({
    "date": st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)).map(dt.date.isoformat),
    "resting_hr": st.one_of(st.none(), st.floats(35, 90).map(lambda v: round(v, 1))),
    "rmssd_ms": st.one_of(st.none(), st.floats(10, 150).map(lambda v: round(v, 1))),
}), max_size=20, unique_by=lambda d: d["date"])


@settings(max_examples=60, deadline=None)
@given(mornings, st.randoms())
def test_wellness_rows_in_any_order_and_twice_give_the_same_store(days, rng):
    shuffled = list(days)
    rng.shuffle(shuffled)
    with tempfile.TemporaryDirectory() as tmp:
        with Store.open(Path(tmp) / "a.db") as a, Store.open(Path(tmp) / "b.db") as b:
            a.add_wellness_days([{**d, "source": "csv"} for d in days])
            b.add_wellness_days([{**d, "source": "csv"} for d in shuffled])
            assert b.add_wellness_days([{**d, "source": "csv"} for d in days]) == 0
            assert a.wellness_days() == b.wellness_days()
