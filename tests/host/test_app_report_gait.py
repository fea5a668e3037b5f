"""The report's gait figure: one mark and one strike bar per run, labelled with the run, and a
line through time only when the runs span several days."""

import datetime as dt

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from stridepod.report.plots import GaitRun, draw_gait

DAY = dt.date(2026, 11, 22)


def gait_run(day: dt.date, hour: int, origin: str, cadence: float, **fields) -> GaitRun:
    values = {"impact_g_peak": 9.0, "contact_ms": 250.0, "strike_heel": 0.6, "strike_mid": 0.3,
              "strike_fore": 0.1} | fields
    return GaitRun(day, dt.datetime.combine(day, dt.time(hour)), origin, cadence, **values)


def drawn(runs: list[GaitRun]) -> list:
    fig = Figure()
    FigureCanvasAgg(fig)
    draw_gait(fig, runs)
    return fig.axes


def joined_points(ax) -> list[int]:
    """How many points each solid line through the markers joins."""
    return [len(line.get_xdata()) for line in ax.get_lines() if line.get_linestyle() == "-"]


def test_two_runs_on_one_day_sit_side_by_side_unjoined_with_a_bar_each():
    runs = [gait_run(DAY, 9, "pod B", 99.0, impact_g_peak=None),
            gait_run(DAY, 7, "pod A", 109.0, strike_heel=None, strike_mid=None, strike_fore=None)]
    cadence, impact, _, strikes = drawn(runs)
    assert joined_points(cadence) == []
    markers = [line for line in cadence.get_lines() if line.get_marker() == "o"]
    assert [list(m.get_xdata()) for m in markers] == [[0, 1]]
    assert list(markers[0].get_ydata()) == [109.0, 99.0]  # in time order
    assert [t.get_text() for t in strikes.get_xticklabels()] == [
        "run 1: 22 Nov 07:00\npod A", "run 2: 22 Nov 09:00\npod B"]
    heel_bars = strikes.containers[0]
    assert [bar.get_x() + bar.get_width() / 2 for bar in heel_bars] == [1.0]  # run 1 has none
    notes = {t.get_text() for ax in (impact, strikes) for t in ax.texts}
    assert {"no impact peak\ndata", "no strike\npattern data"} <= notes


def test_runs_on_several_days_are_joined_in_time_order():
    runs = [gait_run(DAY - dt.timedelta(days=d), 7, "CSV file", 160.0 + d) for d in range(3)]
    cadence, *_ = drawn(runs)
    assert joined_points(cadence) == [3]


def test_a_year_of_runs_gets_date_labels_not_one_per_run():
    runs = [gait_run(DAY - dt.timedelta(days=d), 7, "pod A", 165.0) for d in range(0, 365, 2)]
    *_, strikes = drawn(runs)
    labels = [t.get_text() for t in strikes.get_xticklabels()]
    assert 4 <= len(labels) <= 9
    assert labels[0] == f"{runs[-1].date:%d %b %Y}"
    assert len(strikes.containers[0]) == len(runs)
