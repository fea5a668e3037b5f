"""Gait warnings from the pod: each recent run against the runner's own comparable runs
(same pace band, or same effort when pace is unknown)."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import statistics
from collections.abc import Callable

from stridepod.recovery import evidence
from stridepod.recovery.config import Config
from stridepod.recovery.model import Reason, Run


def _comparable(run: Run, base: list[Run], cfg: Config) -> list[Run]:
    if run.pace is not None:
        return [r for r in base if r.pace is not None and abs(r.pace - run.pace) <= cfg.gait_pace_band_s]
    if run.avg_hr is not None:
        return [r for r in base if r.avg_hr is not None and abs(r.avg_hr - run.avg_hr) <= cfg.gait_effort_band_bpm]
    return []


def _dominant_strike(r: Run) -> tuple[str, float] | None:
    heel, mid, fore = r.strike_heel, r.strike_mid, r.strike_fore
    if heel is None or mid is None or fore is None:
        return None
    shares = {"heel": heel, "mid": mid, "fore": fore}
    return max(shares.items(), key=lambda kv: (kv[1], kv[0]))


def _describe_strike(pattern: str, v: float, ref: float, n: int, m: int) -> str:
    return (f"{pattern.capitalize()} strikes {100 * v:.0f} % of steps over the last {n} runs "
            f"vs {100 * ref:.0f} % on comparable runs.")


def gait_warnings(runs: list[Run], today: dt.date, cfg: Config) -> list[Reason]:
    recent = [r for r in runs if 0 <= (today - r.date).days < cfg.gait_recent_days]
    base = [r for r in runs if cfg.gait_recent_days <= (today - r.date).days < cfg.gait_recent_days + cfg.gait_baseline_days]
    warnings: list[Reason] = []

    def check(rule: str, metric: Callable[[Run], float | None], fires: Callable[[float, float], bool],
              describe: Callable[[float, float, int, int], str], ev: str) -> None:
        now: list[float] = []
        ref_all: list[float] = []
        n_ref = 0
        for run in recent:
            v = metric(run)
            if v is None:
                continue
            refs = [x for r in _comparable(run, base, cfg) if (x := metric(r)) is not None]
            if len(refs) >= cfg.gait_min_baseline_runs:
                ref = statistics.median(refs)
                now.append(v)
                ref_all.append(ref)
                n_ref = max(n_ref, len(refs))
        if len(now) < cfg.gait_min_recent_runs:
            return
        v, ref = statistics.median(now), statistics.median(ref_all)
        if fires(v, ref) and all(fires(a, b) for a, b in zip(now, ref_all, strict=True)):
            warnings.append(Reason(
                rule, describe(v, ref, len(now), n_ref),
                {"recent": round(v, 2), "baseline": round(ref, 2), "recent_runs": len(now),
                 "baseline_runs": n_ref},
                baseline=(f"median of comparable runs (pace within {cfg.gait_pace_band_s:g} s/km or HR within "
                          f"{cfg.gait_effort_band_bpm:g} bpm) {cfg.gait_recent_days}-"
                          f"{cfg.gait_recent_days + cfg.gait_baseline_days} days ago"),
                evidence=ev))

    check("gait.cadence_drop", lambda r: r.cadence_spm,
          lambda v, ref: ref - v >= cfg.cadence_drop_spm,
          lambda v, ref, n, m: f"Cadence {v:.0f} spm over the last {n} runs, {ref - v:.0f} spm below "
                               f"{ref:.0f} spm at the same pace or effort.",
          evidence.CADENCE)
    check("gait.impact_rise", lambda r: r.impact_g_peak,
          lambda v, ref: ref > 0 and v / ref - 1 >= cfg.impact_rise_frac,
          lambda v, ref, n, m: f"Impact peaks {v:.1f} g over the last {n} runs, {100 * (v / ref - 1):.0f} % "
                               f"above {ref:.1f} g on comparable runs.",
          evidence.IMPACT)
    check("gait.asymmetry_rise", lambda r: r.asymmetry_pct,
          lambda v, ref: v - ref >= cfg.asymmetry_rise_pct,
          lambda v, ref, n, m: f"Left/right asymmetry {v:.1f} % over the last {n} runs, up from {ref:.1f} %.",
          evidence.ASYMMETRY)

    # strike pattern: the share of heel strikes (the pattern that shifts most with pain)
    for name in ("heel", "mid", "fore"):
        check(f"gait.strike_{name}", operator.attrgetter(f"strike_{name}"),
              lambda v, ref: abs(v - ref) >= cfg.strike_shift,
              functools.partial(_describe_strike, name), evidence.STRIKE)
    strike = [w for w in warnings if w.rule.startswith("gait.strike_")]
    if strike:  # one pattern change, shown with each share that moved
        warnings = [w for w in warnings if not w.rule.startswith("gait.strike_")]
        warnings.append(Reason(
            "gait.strike_pattern", " ".join(w.message for w in strike),
            {w.rule.removeprefix("gait.strike_"): w.numbers for w in strike},
            baseline=strike[0].baseline, evidence=evidence.STRIKE))
    return warnings
