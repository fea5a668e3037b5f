"""Properties of the firmware gait engine (run under CPython) on arbitrary input: it never
raises, windows tile the session without gaps, events come in time order and every value
it reports is a plausible, 31-bit integer."""

from __future__ import annotations

from array import array

from hypothesis import given, settings
from hypothesis import strategies as st

import podfw  # noqa: F401  (installs the CPython stand-in for `micropython`)
from podfw.gait.config import GaitConfig
from podfw.gait.engine import EV_INITIAL_CONTACT, GaitEngine
from podfw.gait.summary import FIELDS

int16 = st.integers(-32768, 32767)
imu_sample = st.tuples(int16, int16, int16, int16, int16, int16)
# runs of one sample (a held level, like a stuck or saturated sensor) or noise
segment = st.tuples(imu_sample, st.integers(1, 120), st.booleans())


@settings(max_examples=60, deadline=None)
@given(placement=st.sampled_from(["left_foot", "sacrum"]), gyro=st.booleans(),
       rate=st.sampled_from([100, 204.8, 500]), segments=st.lists(segment, max_size=40),
       gap_at=st.integers(0, 2000), gap=st.integers(0, 700))
def test_engine_never_fails_and_reports_sane_values(placement, gyro, rate, segments, gap_at,
                                                    gap):
    eng = GaitEngine(GaitConfig(imu_rate_hz=rate, placement=placement, has_gyro=gyro,
                                window_s=1))
    rec = array("i", [0, 0, 0, 0])
    events, windows = [], []
    pushed = 0
    for sample, count, alternate in segments:
        for k in range(count):
            s = sample if not (alternate and k % 2) else tuple(-v - 1 for v in sample)
            eng.push_imu(*s)
            pushed += 1
            if pushed == gap_at:
                eng.imu_gap(gap)
            while eng.events.pop_into(rec):
                events.append(tuple(rec))
            while (w := eng.poll_window()) is not None:
                windows.append(w.as_dict())
    last = eng.finish()
    if last is not None:
        windows.append(last.as_dict())
    while eng.events.pop_into(rec):
        events.append(tuple(rec))
    start = 0
    for w in windows:
        assert w["start_ms"] == start
        start += w["duration_ms"]
        assert 0 <= w["cadence_spm"] <= 600 and w["steps"] >= 0
        assert all(-(1 << 30) <= w[f] < (1 << 30) for f in FIELDS)
    strikes = [t for kind, t, _, _ in events if kind == EV_INITIAL_CONTACT]
    assert strikes == sorted(strikes)
    assert all(0 <= a < 10000 for kind, _, a, _ in events if kind == EV_INITIAL_CONTACT)
