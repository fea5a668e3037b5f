"""The runner's report: one self-contained HTML file (figures embedded as PNG data) plus
the same figures as PNG files next to it, so it opens anywhere, offline."""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stridepod.errors import StridepodError
from stridepod.recovery import Assessment, Config, Reason, assess
from stridepod.recovery.assess import Prepared, prepare
from stridepod.recovery.load import PMC_CONVENTION, daily_arrays, ewma
from stridepod.recovery.readiness import CALIBRATING, DRIFTING, SignalSeries
from stridepod.report import plots
from stridepod.report.summary import (
    SIGNAL_NAMES,
    plan_origin,
    plan_rows,
    unchanged_label,
    verdict,
)
from stridepod.store.database import Store
from stridepod.store.history import LOOKBACK_DAYS, load_history

SLEEP_UPPER_H = 10.0  # top of the shaded sleep band: the 8-10 h range advised at high volume


@dataclass
class Report:
    html: Path
    figures: dict[str, Path]  # name -> PNG file
    assessment: Assessment


def _normal_range(signal: SignalSeries, cfg: Config, transform=None) -> tuple[np.ndarray, ...]:
    """Per-day (low, high) of the normal range, NaN while the signal is calibrating."""
    spread = cfg.normal_range_sd * signal.base_sd
    low, high = signal.base_mean - spread, signal.base_mean + spread
    calibrating = signal.state == CALIBRATING
    low, high = np.where(calibrating, np.nan, low), np.where(calibrating, np.nan, high)
    if transform is not None:
        return transform(low), transform(high)
    return low, high


def _wellness_panels(p: Prepared, cfg: Config) -> list[dict]:
    rs = p.readiness
    hrv_low, hrv_high = _normal_range(rs.hrv, cfg, np.exp)  # the model works on ln(rMSSD)
    rhr_low, rhr_high = _normal_range(rs.rhr, cfg)
    nights = np.full(p.grid.days, cfg.sleep_short_h)
    return [
        {"title": "HRV, rMSSD (ms): normal range = 60-day mean of ln(rMSSD) ± "
                  f"{cfg.normal_range_sd} SD", "values": np.exp(rs.hrv.values),
         "short_mean": np.exp(rs.hrv.short_mean), "low": hrv_low, "high": hrv_high,
         "drifting": rs.hrv.state == DRIFTING},
        {"title": f"resting heart rate (bpm): normal range = 60-day mean ± {cfg.normal_range_sd} SD",
         "values": rs.rhr.values, "short_mean": rs.rhr.short_mean, "low": rhr_low, "high": rhr_high,
         "drifting": rs.rhr.state == DRIFTING},
        {"title": "sleep (h)", "range_label": f"{cfg.sleep_short_h:g}-{SLEEP_UPPER_H:g} h",
         "values": rs.sleep.values, "short_mean": rs.sleep.short_mean, "low": nights,
         "high": np.full(p.grid.days, SLEEP_UPPER_H), "drifting": rs.sleep.state == DRIFTING,
         "threshold": cfg.sleep_short_h,
         "threshold_label": f"{cfg.sleep_short_h:g} h"},
    ]


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
    return {
        "gait": plots.gait_figure(runs),
        "wellness": plots.wellness_figure(dates, _wellness_panels(p, cfg), rule_days),
        "load": plots.load_figure(dates, load, fitness, fatigue, PMC_CONVENTION),
    }


FIGURE_TITLES = {
    "gait": "Your running form per run",
    "wellness": "Mornings: HRV, resting heart rate and sleep",
    "load": "Fitness, fatigue and form",
}


def write_report(store: Store, out_dir: Path, as_of: dt.date,
                 config: Config | None = None) -> Report:
    cfg = config or Config()
    history = load_history(store, as_of, LOOKBACK_DAYS)
    a = assess(history, as_of, cfg)
    images = figures(prepare(history, as_of, cfg), gait_runs(store, as_of), cfg)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, png in images.items():
            paths[name] = out_dir / f"{name}.png"
            paths[name].write_bytes(png)
        page = out_dir / "report.html"
        page.write_text(render_html(a, images, history_summary(store)), encoding="utf-8")
    except OSError as exc:
        raise StridepodError(f"cannot write the report to {out_dir}: {exc.strerror}") from None
    return Report(page, paths, a)


def history_summary(store: Store) -> dict[str, int]:
    return {"runs": len(store.runs()), "mornings": len(store.wellness_days()),
            "pain entries": len(store.pain_entries()), "pod records": store.pod_record_count()}


# -- HTML --------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
.verdict { font-size: 1.4rem; padding: 0.6rem 1rem; border-radius: 6px; }
.go { background: #e6f4ea; } .watch { background: #fff4d6; } .stop { background: #fde7e7; }
.reason { margin: 0.4rem 0 0.8rem; } .meta { color: #666; font-size: 0.85rem; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #ddd;
        padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
img { max-width: 100%; } .state-drifting { color: #b00; font-weight: bold; }
.state-calibrating { color: #a60; } .state-ok { color: #070; }
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _reason_html(reason: Reason) -> str:
    parts = [f'<div class="reason" data-rule="{_e(reason.rule)}">{_e(reason.message)}']
    if reason.changed:
        parts.append(f'<div class="meta">changed: {_e(reason.changed)}</div>')
    if reason.baseline:
        parts.append(f'<div class="meta">compared with: {_e(reason.baseline)}</div>')
    if reason.evidence:
        parts.append(f'<div class="meta">evidence: {_e(reason.evidence)}</div>')
    return "".join(parts) + "</div>"


def _figure_html(name: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure id="fig-{name}"><img alt="{_e(FIGURE_TITLES[name])}" '
            f'src="data:image/png;base64,{data}"></figure>')


def render_html(a: Assessment, images: dict[str, bytes], counts: dict[str, int]) -> str:
    level, headline = verdict(a)
    signals = "".join(
        f'<tr><td>{_e(SIGNAL_NAMES.get(name, name))}</td><td class="state-{_e(s.state)}">{_e(s.state)}</td>'
        f"<td>{_reason_html(s.reason)}</td></tr>"
        for name, s in a.readiness.signals.items()
    )
    unchanged = unchanged_label(a)
    plan = "".join(
        f"<tr><td>{row['date']:%a %d %b}</td><td>{_e(row['session'])}</td>"
        f"<td>{_e(row['was'])}</td><td>"
        + ("".join(_reason_html(r) for r in row["reasons"]) or f'<span class="meta">{unchanged}</span>')
        + "</td></tr>"
        for row in plan_rows(a)
    )
    load = a.load
    acwr = f"{load.acwr:.2f}" if load.acwr is not None else "not enough history"
    pain = [] if a.pain.reason in a.plan.notes else [a.pain.reason]  # said once
    sections = [
        f"<h1>stridepod report</h1><p class=\"meta\">for {a.today:%A %d %B %Y}; data: "
        + ", ".join(f"{n} {k}" for k, n in counts.items()) + "</p>",
        f'<p class="verdict {level}" id="verdict">{_e(headline)}</p>',
        "<h2>Readiness</h2><table><tr><th>signal</th><th>state</th><th>why</th></tr>"
        + signals + "</table>" + _reason_html(a.readiness.reason),
        f"<h2>{FIGURE_TITLES['wellness']}</h2>" + _figure_html("wellness", images["wellness"]),
        f'<h2>The next 7 days</h2><p class="meta">{_e(plan_origin(a))}</p>'
        '<table id="plan"><tr><th>day</th><th>session</th><th>changed from</th><th>why</th></tr>'
        + plan + "</table>"
        + "".join(_reason_html(r) for r in a.plan.state.reasons + a.plan.notes),
        f"<h2>{FIGURE_TITLES['load']}</h2>"
        f"<p>fitness {load.ctl:.0f}, fatigue {load.atl:.0f}, form {load.form:+.0f}; last 7 days "
        f"{load.week_minutes:.0f} min; acute:chronic {acwr} (advisory; {_e(load.acwr_method)})</p>"
        + _figure_html("load", images["load"])
        + "".join(_reason_html(r) for r in load.flags),
        f"<h2>{FIGURE_TITLES['gait']}</h2>" + _figure_html("gait", images["gait"])
        + ("".join(_reason_html(r) for r in a.gait) or '<p class="meta">No gait warnings.</p>'),
        "<h2>Advice</h2>" + "".join(_reason_html(r) for r in a.advice + pain),
    ]
    if a.warnings:
        sections.append("<h2>Notes on your data</h2><ul>"
                        + "".join(f"<li>{_e(w)}</li>" for w in a.warnings) + "</ul>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>stridepod report {a.today}</title><style>{CSS}</style></head><body>"
            + "\n".join(sections) + "</body></html>\n")
