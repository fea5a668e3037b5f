"""The runner's report: one self-contained HTML file (figures embedded as PNG data) plus
the same figures as PNG files next to it, so it opens anywhere, offline."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stridepod.privatefiles import private_dir, write_private
from stridepod.recovery import Assessment, Config, assess
from stridepod.recovery.assess import Prepared, prepare
from stridepod.recovery.baseline import CALIBRATING, DRIFTING, SignalSeries
from stridepod.recovery.load import daily_arrays, ewma
from stridepod.report import plots
from stridepod.report.page import render_html
from stridepod.store.database import Store
from stridepod.store.history import LOOKBACK_DAYS, load_history

SLEEP_UPPER_H = 10.0  # top of the shaded sleep band: the 8-10 h range advised at high volume


@dataclass
class Report:
    html: Path
    figures: dict[str, Path]  # name -> PNG file
    assessment: Assessment


def _normal_range(signal: SignalSeries, transform=None) -> tuple[np.ndarray, ...]:
    """Per-day (low, high) of the range the 7-day mean stays in while the signal does not
    drift, NaN while its baseline is calibrating."""
    calibrating = signal.state == CALIBRATING
    low = np.where(calibrating, np.nan, signal.base_mean - signal.limit)
    high = np.where(calibrating, np.nan, signal.base_mean + signal.limit)
    if transform is not None:
        return transform(low), transform(high)
    return low, high


def signal_panels(p: Prepared, cfg: Config) -> dict[str, dict]:
    """Per morning signal, what its figure draws (see `plots.signal_figure`)."""
    rs = p.readiness
    hrv_low, hrv_high = _normal_range(rs.hrv, np.exp)  # the model works on ln(rMSSD)
    rhr_low, rhr_high = _normal_range(rs.rhr)
    sleep_low, _ = _normal_range(rs.sleep)
    return {
        "hrv": {"unit": "rMSSD (ms)", "values": np.exp(rs.hrv.values), "short_mean": np.exp(rs.hrv.short_mean),
                "low": hrv_low, "high": hrv_high, "drifting": rs.hrv.state == DRIFTING},
        "rhr": {"unit": "bpm", "values": rs.rhr.values, "short_mean": rs.rhr.short_mean, "low": rhr_low,
                "high": rhr_high, "drifting": rs.rhr.state == DRIFTING},
        "sleep": {"unit": "hours asleep", "range_label": "your usual and above", "point_label": "night",
                  "values": rs.sleep.values,
                  "short_mean": rs.sleep.short_mean, "low": sleep_low,
                  "high": np.maximum(sleep_low, SLEEP_UPPER_H), "drifting": rs.sleep.state == DRIFTING,
                  "threshold": cfg.sleep_short_h, "threshold_label": f"{cfg.sleep_short_h:g} h"},
    }


GAIT_FIELDS = ("cadence_spm", "impact_g_peak", "contact_ms", "strike_heel", "strike_mid",
               "strike_fore")


def run_origin(row: dict) -> str:
    """Where a stored run came from, as its label says it: the pod, or the kind of file."""
    if row["source"] == "pod":
        return "pod " + row["source_key"].split(":")[1]
    return f"{row['source'].upper()} file"


def gait_runs(store: Store, as_of: dt.date) -> list[plots.GaitRun]:
    """The stored runs up to `as_of` with any gait value, one per pod session or file row
    (the model merges runs it takes for the same one; the figure must not). Only a pod
    knows a run's start time; files give the day."""
    since = (as_of - dt.timedelta(days=LOOKBACK_DAYS)).isoformat()
    runs = []
    for row in store.runs(since):
        day = dt.date.fromisoformat(row["date"])
        if day > as_of or all(row[f] is None for f in GAIT_FIELDS):
            continue
        start = dt.datetime.fromisoformat(row["start"]) if row["source"] == "pod" else None
        runs.append(plots.GaitRun(day, start, run_origin(row), **{f: row[f] for f in GAIT_FIELDS}))
    return runs


def figures(p: Prepared, runs: list[plots.GaitRun], cfg: Config) -> dict[str, bytes]:
    """The report's figures; `runs` are the stored runs with gait data (`gait_runs`)."""
    dates = [p.grid.date(i) for i in range(p.grid.days)]
    rule_days = [d for d, cut in zip(dates, p.readiness.cut, strict=True) if cut]
    load, _, _ = daily_arrays(p.grid, p.history.runs, cfg, p.hr_max, p.hr_rest)
    fitness = ewma(load, 1 - math.exp(-1 / cfg.ctl_days))
    fatigue = ewma(load, 1 - math.exp(-1 / cfg.atl_days))
    images = {name: plots.signal_figure(dates, panel, rule_days)
              for name, panel in signal_panels(p, cfg).items()}
    images["load"] = plots.load_figure(dates, load, fitness, fatigue)
    images["gait"] = plots.gait_figure(runs)
    return images


def write_report(store: Store, out_dir: Path, as_of: dt.date,
                 config: Config | None = None) -> Report:
    cfg = config or Config()
    history = load_history(store, as_of, LOOKBACK_DAYS)
    a = assess(history, as_of, cfg)
    images = figures(prepare(history, as_of, cfg), gait_runs(store, as_of), cfg)
    # owner-only, each file whole (a full disk leaves the earlier report's file or none)
    private_dir(out_dir)
    paths = {name: write_private(out_dir / f"{name}.png", png) for name, png in images.items()}
    page = write_private(out_dir / "report.html", render_html(a, images, history_summary(store)))
    return Report(page, paths, a)


def history_summary(store: Store) -> dict[str, int]:
    return {"runs": len(store.runs()), "mornings": len(store.wellness_days()),
            "pain entries": len(store.pain_entries()), "pod records": store.pod_record_count()}
