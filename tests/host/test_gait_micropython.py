"""The gait engine gives the same output under the real MicroPython unix port as under
CPython, on real recordings quantised exactly as the pod's sensors deliver them, with the
heap locked around every per-sample call and its state range-checked to 31 bits
(tests/firmware/gait_replay.py does the MicroPython side)."""

from __future__ import annotations

import pytest

from gait_replay_case import CASES, UNIX64, event_key, quantised, unix_replay, write_case
from podfw.gait.engine import EV_FINAL_CONTACT, EV_INITIAL_CONTACT
from podfw.gait.summary import FIELDS
from stridepod.recordings.replay import run_engine


def expected_lines(q) -> list[str]:
    result = run_engine(q)
    events = sorted(
        [(t, EV_INITIAL_CONTACT, round(g * 100), s) for t, g, s in
         zip(result.initial_contacts_s, result.impact_g, result.strike, strict=True)]
        + [(t, EV_FINAL_CONTACT, c, 0) for t, c in
           zip(result.final_contacts_s, result.contact_ms, strict=True)])
    return ([f"E {k} {round(t * 1000)} {a} {b}" for t, k, a, b in events],
            ["W " + " ".join(str(w[f]) for f in FIELDS) for w in result.windows])


@pytest.mark.parametrize(("name", "limit"), CASES)
def test_micropython_output_equals_cpython(name, limit, tmp_path):
    q = quantised(name, limit)
    want_events, want_windows = expected_lines(q)
    got_events, got_windows = unix_replay(UNIX64, write_case(q, tmp_path))
    assert len(want_events) > 10  # the comparison is about real strides
    assert got_events == sorted(want_events, key=event_key)
    assert got_windows == want_windows
