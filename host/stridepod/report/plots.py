"""The report's figures, drawn with matplotlib's Agg renderer through `Figure` objects
(no pyplot, no display; matplotlib's settings only changed inside `_style`) and returned as PNG
bytes. Each figure answers one question a runner asks; a figure with no data says so inside
the image instead of being left out, so the report's layout is fixed. Figures are drawn for a
phone: `FIGURE_WIDTH_IN` wide, so that on a 390 px screen the text still reads at about
`FONT_PT` x 0.62 px."""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import matplotlib.dates as mdates
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

STRIKE_COLOURS = {"heel": "#c0504d", "mid": "#9bbb59", "fore": "#4f81bd"}
RULE_COLOUR = "#d62728"
RANGE_COLOUR = "#2ca02c"
FIGURE_WIDTH_IN = 5.0  # x DPI = 600 px: shown at ~360 px on a phone, at full size on a desktop
DPI = 120
FONT_PT = 12


def _style():
    """matplotlib's settings for the report's figures, for the time one is drawn."""
    return matplotlib.rc_context({"font.size": FONT_PT, "legend.frameon": False})


def _figure(**kwargs) -> Figure:
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def _empty(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} yet", ha="center", va="center", transform=ax.transAxes,
            color="grey")
    ax.set_xticks([])
    ax.set_yticks([])


def _dates_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(alpha=0.3)


@dataclass(frozen=True)
class GaitRun:
    """One stored run's form, as the gait figure shows it. `start` is None when the source
    gave only the day; `origin` says where the run came from (a pod, an imported file)."""

    date: dt.date
    start: dt.datetime | None
    origin: str
    cadence_spm: float | None = None
    impact_g_peak: float | None = None
    contact_ms: float | None = None
    strike_heel: float | None = None
    strike_mid: float | None = None
    strike_fore: float | None = None

    def label(self, number: int) -> str:
        when = f"{self.start:%d %b %H:%M}" if self.start else f"{self.date:%d %b}"
        return f"run {number}: {when}\n{self.origin}"


GAIT_PANELS = (
    ("cadence_spm", "cadence (steps/min)", "tab:blue"),
    ("impact_g_peak", "impact peak (g)", "tab:orange"),
    ("contact_ms", "ground contact (ms)", "tab:purple"),
)
LABELLED_RUNS = 6  # up to this many runs each gets its own label; more get date ticks


def _runs_axis(ax, runs: Sequence[GaitRun]) -> None:
    """x = run number in time order. A few runs are each labelled (when, where from); many
    get their date under the first run of a day, thinned to about eight labels."""
    half = max(len(runs), 3) / 2  # one or two runs are not drawn as page-wide bars
    ax.set_xlim((len(runs) - 1) / 2 - half, (len(runs) - 1) / 2 + half)
    ax.grid(alpha=0.3, axis="y")
    if len(runs) <= LABELLED_RUNS:
        ax.set_xticks(range(len(runs)), [r.label(i + 1) for i, r in enumerate(runs)],
                      fontsize="small")
        return
    firsts = [i for i, r in enumerate(runs) if i == 0 or r.date != runs[i - 1].date]
    shown = firsts[::max(1, math.ceil(len(firsts) / 8))]
    labels, year = [], None
    for i in shown:  # the year on the first label and where it changes
        day = runs[i].date
        labels.append(f"{day:%d %b}" if day.year == year else f"{day:%d %b %Y}")
        year = day.year
    ax.set_xticks(shown, labels)
    ax.set_xticks(range(len(runs)), minor=True)


def _value_notes(ax, values: np.ndarray, what: str) -> None:
    """Each labelled run's value written next to its marker, or that it has none."""
    known = values[~np.isnan(values)]
    middle = (known.min() + known.max()) / 2
    for i, value in enumerate(values):
        if np.isnan(value):
            ax.text(i, middle, f"no {what}\ndata", ha="center", va="center", color="grey",
                    fontsize="small")
        else:
            ax.annotate(f"{value:.3g}", (i, value), xytext=(8, 0), textcoords="offset points",
                        va="center", fontsize="small")


def draw_gait(fig: Figure, runs: Sequence[GaitRun]) -> None:
    """Cadence, impact and ground contact per run (a marker each; a line joins them in time
    order once the runs span several days), and the strike-pattern mix as one stacked bar
    per run, all on the same run axis."""
    runs = sorted(runs, key=lambda r: (r.date, r.start or dt.datetime.min))
    axes = fig.subplots(4, 1, sharex=True)
    x = np.arange(len(runs))
    several_days = len({r.date for r in runs}) > 1
    for ax, (field, label, colour) in zip(axes, GAIT_PANELS, strict=False):
        ax.set_title(f"{label} per run", loc="left")
        values = np.array([np.nan if getattr(r, field) is None else getattr(r, field)
                           for r in runs], dtype=float)
        if np.all(np.isnan(values)):
            _empty(ax, label.split(" (")[0] + " data")
            continue
        known = ~np.isnan(values)
        if several_days:
            ax.plot(x[known], values[known], "-", color=colour, linewidth=1, alpha=0.5)
        ax.plot(x[known], values[known], "o", color=colour, markersize=6 if len(runs) < 30 else 3)
        ax.margins(y=0.3)
        if len(runs) <= LABELLED_RUNS:
            _value_notes(ax, values, label.split(" (")[0])
    ax = axes[3]
    ax.set_title("strike pattern mix per run (share of strikes)", loc="left")
    mixed = np.array([r.strike_heel is not None for r in runs], dtype=bool)
    if not mixed.any():
        _empty(ax, "strike pattern data")
    else:
        if len(runs) <= LABELLED_RUNS:
            for i in np.flatnonzero(~mixed):
                ax.text(i, 0.5, "no strike\npattern data", ha="center", va="center",
                        color="grey", fontsize="small")
        with_mix = [r for r in runs if r.strike_heel is not None]
        bottom = np.zeros(len(with_mix))
        for name, colour in STRIKE_COLOURS.items():
            share = np.array([getattr(r, f"strike_{name}") or 0.0 for r in with_mix])
            ax.bar(x[mixed], share, bottom=bottom, width=0.6 if len(runs) < 30 else 0.9,
                   color=colour, label="heel" if name == "heel" else f"{name}foot")
            bottom += share
        ax.set_ylim(0, 1.25)  # room for the legend above the bars
        ax.set_yticks([0, 0.5, 1], ["0", "50 %", "100 %"])
        ax.legend(loc="upper left", ncols=3, fontsize="small")
    if runs:
        _runs_axis(axes[3], runs)
        axes[3].set_xlabel(f"{len(runs)} run{'s' * (len(runs) != 1)} with gait data, in time order"
                           + ("" if len(runs) <= LABELLED_RUNS else " (one minor tick per run)"))
    fig.tight_layout()


def gait_figure(runs: Sequence[GaitRun]) -> bytes:
    with _style():
        fig = _figure(figsize=(FIGURE_WIDTH_IN, 10))
        draw_gait(fig, runs)
        return _png(fig)


def signal_figure(dates: Sequence[dt.date], panel: dict, rule_days: Sequence[dt.date]) -> bytes:
    """One morning signal: daily values, the 7-day mean, the normal range shaded and the
    days a readiness rule fired marked: the signal's own as triangles, the two-of-three
    rule as a band across. `panel` has `values`, `short_mean`, `low`, `high` (arrays over
    `dates`, NaN = none), `drifting` (bool array: the signal drifted), `unit`, and optional
    `range_label` and `threshold` (a fixed line, e.g. 7 h of sleep) with `threshold_label`."""
    with _style():
        fig = _figure(figsize=(FIGURE_WIDTH_IN, 3.4))
        ax = fig.subplots()
        _draw_signal(ax, np.array(dates, dtype="datetime64[D]"), panel, rule_days)
        ax.set_ylabel(panel["unit"])
        if ax.get_legend_handles_labels()[0]:  # under the axes: the curves keep the width
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, fontsize="medium")
        fig.tight_layout()
        return _png(fig)


def _draw_signal(ax, days: np.ndarray, panel: dict, rule_days: Sequence[dt.date]) -> None:
    values = np.asarray(panel["values"], dtype=float)
    if not len(days) or np.all(np.isnan(values)):
        _empty(ax, "measurements")
        return
    low, high = np.asarray(panel["low"], float), np.asarray(panel["high"], float)
    ax.fill_between(days, low, high, color=RANGE_COLOUR, alpha=0.18, linewidth=0,
                    label=panel.get("range_label", "your normal range"))
    ax.plot(days, values, ".", color="grey", markersize=4, label=panel.get("point_label", "morning value"))
    ax.plot(days, panel["short_mean"], "-", color="black", linewidth=1.4, label="7-day mean")
    fired = np.asarray(panel["drifting"], dtype=bool)
    if fired.any():
        ax.plot(days[fired], np.asarray(panel["short_mean"], float)[fired], "v",
                color=RULE_COLOUR, markersize=5, label="drifting")
    if panel.get("threshold") is not None:
        ax.axhline(panel["threshold"], color=RANGE_COLOUR, linestyle="--", linewidth=1,
                   label=panel.get("threshold_label", "target"))
    for i, day in enumerate(rule_days):
        ax.axvline(np.datetime64(day, "D"), color=RULE_COLOUR, alpha=0.35, linewidth=2,
                   label="two of three drifting" if i == 0 else None)
    _dates_axis(ax)


def load_figure(dates: Sequence[dt.date], load: np.ndarray, fitness: np.ndarray,
                fatigue: np.ndarray) -> bytes:
    """Daily load as bars; fitness (CTL), fatigue (ATL) and form (CTL - ATL) as lines (the
    page says which convention they follow)."""
    with _style():
        return _draw_load(dates, load, fitness, fatigue)


def _draw_load(dates, load, fitness, fatigue) -> bytes:
    fig = _figure(figsize=(FIGURE_WIDTH_IN, 5))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    days = np.array(dates, dtype="datetime64[D]")
    top.set_title("fitness and fatigue (load units per day)", loc="left")
    if not len(days) or not np.any(load):
        _empty(top, "training load")
        _empty(bottom, "form")
    else:
        top.bar(days, load, color="lightgrey", width=1.0, label="daily load")
        top.plot(days, fitness, color="tab:blue", linewidth=1.8, label="fitness (CTL, 42 d)")
        top.plot(days, fatigue, color="tab:pink", linewidth=1.4, label="fatigue (ATL, 7 d)")
        top.legend(loc="upper left", fontsize="small")
        form = np.asarray(fitness) - np.asarray(fatigue)
        bottom.fill_between(days, form, 0, where=form >= 0, color="tab:green", alpha=0.5,
                            interpolate=True)
        bottom.fill_between(days, form, 0, where=form < 0, color="tab:red", alpha=0.5,
                            interpolate=True)
        bottom.axhline(0, color="black", linewidth=0.8)
        _dates_axis(top)
        _dates_axis(bottom)
    bottom.set_title("form (fitness - fatigue)", loc="left")
    fig.tight_layout()
    return _png(fig)
