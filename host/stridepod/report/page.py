"""The report's HTML page: self-contained (figures as PNG data, no script, nothing fetched)
and readable on any screen: one column of cards on a phone (390 px), a grid of them on a
desktop, no element wider than the screen. What the runner reads is plain words; rule ids
stay in `data-rule` attributes for scripts and tests."""

from __future__ import annotations

import base64
import html

from stridepod.recovery import Assessment, Reason
from stridepod.report.summary import (
    SIGNAL_NAMES,
    STATE_LABELS,
    calibration_words,
    load_words,
    plan_origin,
    plan_reasons,
    plan_rows,
    reason_title,
    reason_titles,
    unchanged_label,
    verdict,
)

FIGURE_TITLES = {
    "hrv": "HRV (rMSSD) against your normal range",
    "rhr": "Resting heart rate against your normal range",
    "sleep": "Sleep against your usual",
    "gait": "Your running form per run",
    "load": "Fitness, fatigue and form",
}

CSS = """
*, *::before, *::after { box-sizing: border-box; }
body { font-family: system-ui, sans-serif; max-width: 64rem; margin: 0 auto; padding: 1rem;
       color: #222; line-height: 1.45; overflow-wrap: anywhere; }
h1 { margin: 0.5rem 0 0.2rem; font-size: 1.6rem; }
h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; font-size: 1.3rem; }
h3 { margin: 0 0 0.3rem; font-size: 1.05rem; }
.verdict { font-size: 1.3rem; padding: 0.6rem 1rem; border-radius: 6px; }
.go { background: #e6f4ea; } .watch, .unknown { background: #fff4d6; } .stop { background: #fde7e7; }
.reason { margin: 0.4rem 0 0.8rem; } .meta { color: #555; font-size: 0.85rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 18rem), 1fr));
         gap: 0.8rem; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: 0.7rem 0.9rem; min-width: 0; }
.card .session { font-weight: 600; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 28rem), 1fr));
           gap: 1rem; }
figure { margin: 0; min-width: 0; } figcaption { font-weight: 600; margin-bottom: 0.3rem; }
img { display: block; max-width: 100%; height: auto; }
.state-drifting { color: #b00; font-weight: bold; } .state-calibrating, .state-sparse { color: #a60; }
.state-ok { color: #070; }
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def reason_html(reason: Reason, title: str = "") -> str:
    lead = f"<strong>{_e(title)}</strong>: " if title else ""
    parts = [f'<div class="reason" data-rule="{_e(reason.rule)}">{lead}{_e(reason.message)}']
    if reason.changed:
        parts.append(f'<div class="meta">changed: {_e(reason.changed)}</div>')
    if reason.baseline:
        parts.append(f'<div class="meta">compared with: {_e(reason.baseline)}</div>')
    if reason.evidence:
        parts.append(f'<div class="meta">evidence: {_e(reason.evidence)}</div>')
    return "".join(parts) + "</div>"


def figure_html(name: str, png: bytes, caption: bool = False) -> str:
    """A figure as embedded PNG data; `caption` for a figure among others under one heading."""
    data = base64.b64encode(png).decode("ascii")
    title = f"<figcaption>{_e(FIGURE_TITLES[name])}</figcaption>" if caption else ""
    return (f'<figure id="fig-{name}">{title}<img alt="{_e(FIGURE_TITLES[name])}" '
            f'src="data:image/png;base64,{data}"></figure>')


def _readiness(a: Assessment, images: dict[str, bytes]) -> str:
    cards = "".join(
        f'<div class="card signal" id="signal-{_e(name)}"><h3>{_e(SIGNAL_NAMES[name])}: '
        f'<span class="state-{_e(s.state)}">{_e(STATE_LABELS[s.state])}</span></h3>'
        f"{reason_html(s.reason)}<div class=\"meta\">{_e(calibration_words(s))}</div></div>"
        for name, s in a.readiness.signals.items())
    figures = "".join(figure_html(name, images[name], caption=True) for name in a.readiness.signals)
    return (f'<h2>Readiness</h2><div class="cards">{cards}</div>{reason_html(a.readiness.reason)}'
            f'<h2>Your mornings</h2><div class="figures">{figures}</div>')


def _plan(a: Assessment) -> str:
    unchanged = unchanged_label(a)
    days = []
    for row in plan_rows(a):
        was = f'<div class="meta">was: {_e(row["was"])}</div>' if row["was"] else ""
        why = reason_titles(row["reasons"])
        why_html = (f"<div>why: {_e(why)}</div>" if why else f'<div class="meta">{_e(unchanged)}</div>')
        days.append(f'<div class="card day"><h3>{row["date"]:%a %d %b}</h3>'
                    f'<div class="session">{_e(row["session"])}</div>{was}{why_html}</div>')
    changed = plan_reasons(a)
    why = ("<h3>Why the plan changed</h3>" + "".join(reason_html(r, reason_title(r)) for r in changed)
           if changed else "")
    return (f'<h2>The next 7 days</h2><p class="meta">{_e(plan_origin(a))}</p>'
            + "".join(reason_html(r) for r in a.plan.state.reasons)
            + f'<div class="cards" id="plan">{"".join(days)}</div>' + why
            + "".join(reason_html(r) for r in a.plan.notes))


def _load(a: Assessment, images: dict[str, bytes]) -> str:
    load = a.load
    return (f"<h2>{FIGURE_TITLES['load']}</h2><p>{_e(load_words(a))}</p>"
            + figure_html("load", images["load"])
            + f'<p class="meta">{_e(load.convention)}; ratio: {_e(load.acwr_method)}</p>'
            + "".join(reason_html(r) for r in load.flags))


def render_html(a: Assessment, images: dict[str, bytes], counts: dict[str, int]) -> str:
    level, headline = verdict(a)
    pain = [] if a.pain.reason in a.plan.notes else [a.pain.reason]  # said once
    sections = [
        "<h1>stridepod report</h1><p class=\"meta\">for " + f"{a.today:%A %d %B %Y}; data: "
        + ", ".join(f"{n} {k}" for k, n in counts.items()) + "</p>",
        f'<p class="verdict {level}" id="verdict">{_e(headline)}</p>',
        _readiness(a, images),
        _plan(a),
        _load(a, images),
        f"<h2>{FIGURE_TITLES['gait']}</h2>" + figure_html("gait", images["gait"])
        + ("".join(reason_html(r) for r in a.gait) or '<p class="meta">No gait warnings.</p>'),
        "<h2>Advice</h2>" + "".join(reason_html(r) for r in a.advice + pain),
    ]
    if a.warnings:
        sections.append("<h2>Notes on your data</h2><ul>"
                        + "".join(f"<li>{_e(w)}</li>" for w in a.warnings) + "</ul>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>stridepod report {a.today}</title><style>{CSS}</style></head><body>"
            + "\n".join(sections) + "</body></html>\n")
