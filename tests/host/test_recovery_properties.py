"""Order, duplicated imports and explicit-but-empty days never change the assessment."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stridepod.recovery import History, PainEntry, PlannedSession, Run, WellnessDay, assess

TODAY = dt.date(2026, 11, 22)
days_ago = st.integers(min_value=0, max_value=120)
maybe = lambda s: st.none() | s  # noqa: E731

wellness_days = st.builds(
    lambda ago, rhr, rmssd, sleep: WellnessDay(TODAY - dt.timedelta(days=ago), rhr, rmssd, sleep, "watch"),
    days_ago, maybe(st.floats(40, 75)), maybe(st.floats(15, 150)), maybe(st.floats(4, 10)),
)
runs = st.builds(
    lambda ago, minutes, rpe, hr, cadence, kind: Run(
        TODAY - dt.timedelta(days=ago), minutes, distance_km=round(minutes / 5.5, 2), rpe=rpe, avg_hr=hr,
        max_hr=185.0 if hr else None, cadence_spm=cadence, pace_s_per_km=330.0, source="pod", kind=kind),
    days_ago, st.floats(10, 150), maybe(st.sampled_from([3.0, 5.0, 8.0])), maybe(st.floats(120, 170)),
    maybe(st.floats(150, 190)), st.sampled_from(["", "quality", "long"]),
)
pain = st.builds(lambda ago, site, d, m: PainEntry(TODAY - dt.timedelta(days=ago), site, d, m),
                 st.integers(0, 20), st.sampled_from(["knee", "shin"]), maybe(st.integers(0, 8)), maybe(st.integers(0, 8)))
sessions = st.builds(lambda ahead, kind, minutes: PlannedSession(TODAY + dt.timedelta(days=ahead), kind, minutes),
                     st.integers(1, 9), st.sampled_from(["easy", "quality", "long", "rest"]), st.floats(20, 120))
histories = st.tuples(st.lists(wellness_days, max_size=120), st.lists(runs, max_size=40), st.lists(pain, max_size=4),
                      st.lists(sessions, max_size=8, unique_by=lambda s: s.date))

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _result(w, r, p, plan):
    return assess(History(wellness=w, runs=r, pain=p, plan=plan), TODAY).to_dict()


@SETTINGS
@given(histories, st.randoms(use_true_random=False))
def test_reordered_input_gives_the_same_assessment(h, rnd):
    shuffled = [list(x) for x in h]
    for x in shuffled:
        rnd.shuffle(x)
    assert _result(*shuffled) == _result(*h)


@SETTINGS
@given(histories, st.data())
def test_duplicated_imports_give_the_same_assessment(h, data):
    w, r, p, plan = h
    again_w = data.draw(st.lists(st.sampled_from(w), max_size=20)) if w else []
    again_r = data.draw(st.lists(st.sampled_from(r), max_size=10)) if r else []
    assert _result(w + again_w, r + again_r, p + p, plan + plan) == _result(*h)


@SETTINGS
@given(histories, st.lists(st.integers(0, 400), max_size=30))
def test_days_recorded_without_values_change_nothing(h, empty_days):
    w, r, p, plan = h
    blanks = [WellnessDay(TODAY - dt.timedelta(days=ago), source="watch") for ago in empty_days]
    assert _result(w + blanks, r, p, plan) == _result(*h)
