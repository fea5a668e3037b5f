"""The report's figures, drawn with matplotlib's Agg renderer through `Figure` objects
(no pyplot, no display, no global state) and returned as PNG bytes. Each figure answers one question a runner asks; a figure with no
data says so inside the image instead of being left out, so the report's layout is fixed."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import matplotlib.dates as mdates
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from stridepod.recovery.model import Run

STRIKE_COLOURS = {"heel": "#c0504d", "mid": "#9bbb59", "fore": "#4f81bd"}
RULE_COLOUR = "#d62728"
RANGE_COLOUR = "#2ca02c"


def _figure(**kwargs) -> Figure:
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    return buffer.getvalue()


def _empty(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} yet", ha="center", va="center", transform=ax.transAxes,
            color="grey")
    ax.set_xticks([])
    ax.set_yticks([])


def _dates_axis(ax, dates: Sequence[dt.date] = ()) -> None:
    """Date ticks; with `dates`, the axis spans them with a margin (at least 3 days each
    side, so a single run does not get a range of years)."""
    if dates:
        first, last = min(dates), max(dates)
        pad = max(dt.timedelta(days=3), (last - first) / 20)
        ax.set_xlim(first - pad, last + pad)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(alpha=0.3)


def _series(runs: Sequence[Run], field: str) -> tuple[list[dt.date], list[float]]:
    pairs = [(r.date, getattr(r, field)) for r in runs if getattr(r, field) is not None]
    return [d for d, _ in pairs], [v for _, v in pairs]


def gait_figure(runs: Sequence[Run]) -> bytes:
    """Cadence, impact and ground contact per run over time, and the strike-pattern mix."""
    fig = _figure(figsize=(9, 10))
    axes = fig.subplots(4, 1)
    panels = (
        ("cadence_spm", "cadence (steps/min)", "tab:blue"),
        ("impact_g_peak", "impact peak (g)", "tab:orange"),
        ("contact_ms", "ground contact (ms)", "tab:purple"),
    )
    for ax, (field, label, colour) in zip(axes, panels, strict=False):
        dates, values = _series(runs, field)
        if not values:
            _empty(ax, label.split(" (")[0] + " data")
            ax.set_title(label, loc="left")
            continue
        ax.plot(dates, values, "o-", color=colour, markersize=4, linewidth=1)
        ax.set_title(f"{label} per run", loc="left")
        _dates_axis(ax, dates)
    ax = axes[3]
    mixed = [r for r in runs if r.strike_heel is not None]
    ax.set_title("strike pattern mix per run (share of strikes)", loc="left")
    if not mixed:
        _empty(ax, "strike pattern data")
    else:
        dates = [r.date for r in mixed]
        bottom = np.zeros(len(mixed))
        for name, colour in STRIKE_COLOURS.items():
            share = np.array([getattr(r, f"strike_{name}") or 0.0 for r in mixed])
            ax.bar(dates, share, bottom=bottom, width=0.8, color=colour,
                   label=f"{name}foot" if name != "heel" else "heel")
            bottom += share
        ax.set_ylim(0, 1)
        _dates_axis(ax, dates)
        ax.legend(loc="upper left", ncols=3, fontsize="small")
    fig.tight_layout()
    return _png(fig)


def wellness_figure(dates: Sequence[dt.date], panels: Sequence[dict],
                    rule_days: Sequence[dt.date]) -> bytes:
    """One panel per morning signal: daily values, the 7-day mean, the normal range shaded
    and the days a readiness rule fired marked: the signal's own rule on its panel, the
    two-of-three rule across all. Each panel dict has `title`, `values`, `short_mean`,
    `low`, `high` (arrays over `dates`, NaN = none), `drifting` (bool array: the signal's
    rule fired) and optional `range_label`, `threshold` (a fixed line, e.g. the sleep target)."""
    fig = _figure(figsize=(9, 2.8 * len(panels)))
    axes = np.atleast_1d(fig.subplots(len(panels), 1, sharex=True))
    days = np.array(dates, dtype="datetime64[D]")
    for ax, panel in zip(axes, panels, strict=True):
        ax.set_title(panel["title"], loc="left")
        values = np.asarray(panel["values"], dtype=float)
        if not len(days) or np.all(np.isnan(values)):
            _empty(ax, "measurements")
            continue
        low, high = np.asarray(panel["low"], float), np.asarray(panel["high"], float)
        ax.fill_between(days, low, high, color=RANGE_COLOUR, alpha=0.18, linewidth=0,
                        label=panel.get("range_label", "your normal range"))
        ax.plot(days, values, ".", color="grey", markersize=4, label="morning value")
        ax.plot(days, panel["short_mean"], "-", color="black", linewidth=1.4, label="7-day mean")
        fired = np.asarray(panel["drifting"], dtype=bool)
        if fired.any():
            ax.plot(days[fired], np.asarray(panel["short_mean"], float)[fired], "v",
                    color=RULE_COLOUR, markersize=5, label="signal drifting")
        if panel.get("threshold") is not None:
            ax.axhline(panel["threshold"], color=RANGE_COLOUR, linestyle="--", linewidth=1,
                       label=panel.get("threshold_label", "target"))
        for i, day in enumerate(rule_days):
            ax.axvline(np.datetime64(day, "D"), color=RULE_COLOUR, alpha=0.35, linewidth=2,
                       label="two-of-three rule fired" if i == 0 else None)
        _dates_axis(ax)
    for ax in axes:  # every panel explains its own marks
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", ncols=3, fontsize="x-small")
    fig.tight_layout()
    return _png(fig)


def load_figure(dates: Sequence[dt.date], load: np.ndarray, fitness: np.ndarray,
                fatigue: np.ndarray, convention: str) -> bytes:
    """Daily load as bars; fitness (CTL), fatigue (ATL) and form (CTL - ATL) as lines."""
    fig = _figure(figsize=(9, 5.5))
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
    fig.text(0.01, -0.02, convention, fontsize=7, color="grey", wrap=True)
    fig.tight_layout()
    return _png(fig)
