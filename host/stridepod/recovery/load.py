"""Training load: per-run load, fitness/fatigue/form, acute:chronic ratio, Foster monotony and
strain, the per-run spike rule and weekly volume growth. Vectorised over the day grid."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from stridepod.recovery import evidence
from stridepod.recovery.config import Config
from stridepod.recovery.model import Reason, Run
from stridepod.recovery.series import DailyGrid, rolling_stats, rolling_sum

PMC_CONVENTION = (
    "CTL/ATL: exponentially weighted, CTL_t = CTL_t-1 + (load_t - CTL_t-1)(1 - e^(-1/N)), "
    "N = 42 / 7 days (GoldenCheetah, intervals.icu); form = CTL - ATL after today's load"
)
ACWR_METHODS = {
    "coupled": "rolling coupled: 7-day mean / 28-day mean that includes the acute week",
    "uncoupled": "rolling uncoupled: 7-day mean / mean of the 28 days before the acute week",
    "ewma": "EWMA (Williams 2017): 7-day / 28-day exponentially weighted, lambda = 2/(N+1)",
}
TRIMP_CONSTANTS = {"male": (0.64, 1.92), "female": (0.64, 1.67)}  # GoldenCheetah TRIMPPoints


@dataclass(frozen=True)
class RunLoad:
    date: dt.date
    load: float  # session-RPE units (AU)
    method: str  # "session-RPE", "TRIMP (Banister) x k", "assumed RPE"
    impact_load: float | None  # steps x mean impact (g): the mechanical side, kept apart


def run_load(run: Run, cfg: Config, hr_max: float | None, hr_rest: float | None) -> RunLoad:
    impact = None
    if run.steps is not None and run.impact_g_mean is not None:
        impact = float(run.steps) * float(run.impact_g_mean)
    if run.rpe is not None:
        return RunLoad(run.date, run.rpe * run.duration_min, "session-RPE (RPE x min)", impact)
    if run.avg_hr is not None and hr_max and hr_rest and hr_max > hr_rest:
        a, b = TRIMP_CONSTANTS[cfg.sex]
        hrr = min(max((run.avg_hr - hr_rest) / (hr_max - hr_rest), 0.0), 1.0)
        trimp = run.duration_min * hrr * a * math.exp(b * hrr)
        return RunLoad(
            run.date,
            trimp * cfg.trimp_to_srpe,
            f"Banister TRIMP (A={a}, B={b}, session-average HR) x {cfg.trimp_to_srpe}",
            impact,
        )
    return RunLoad(run.date, cfg.assumed_rpe * run.duration_min, f"assumed RPE {cfg.assumed_rpe} x min", impact)


def ewma(x: np.ndarray, alpha: float) -> np.ndarray:
    """y_t = y_t-1 + alpha (x_t - y_t-1), y_-1 = 0. A plain loop (a few ms for years of
    days): importing scipy.signal for this would cost the commands ~0.8 s at start-up."""
    y = np.empty(len(x))
    level = 0.0
    for i, value in enumerate(np.asarray(x, dtype=float).tolist()):
        level += alpha * (value - level)
        y[i] = level
    return y


def rolling_mean_zero_filled(x: np.ndarray, window: int) -> np.ndarray:
    """Mean over the last `window` days, missing days (and days before the start) as 0."""
    return rolling_sum(x, window) / window


def foster(x: np.ndarray, window: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weekly sum, monotony = mean / population SD, strain = weekly sum x monotony).
    A week without load has monotony 0; identical non-zero loads every day have no SD
    and are reported as NaN (undefined) rather than infinite."""
    week = rolling_sum(x, window)
    _, mean, sd = rolling_stats(np.concatenate((np.zeros(window - 1), x)), window)
    mean, sd = mean[window - 1 :], sd[window - 1 :]
    sd = np.where(sd < 1e-9, 0.0, sd)
    with np.errstate(divide="ignore", invalid="ignore"):
        monotony = np.where(mean == 0, 0.0, np.where(sd > 0, mean / sd, np.nan))
    return week, monotony, week * monotony


def acwr(x: np.ndarray, method: str, chronic_days: int = 28, acute_days: int = 7) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "coupled":
            acute = rolling_mean_zero_filled(x, acute_days)
            chronic = rolling_mean_zero_filled(x, chronic_days)
        elif method == "uncoupled":
            acute = rolling_mean_zero_filled(x, acute_days)
            before_acute = np.concatenate((np.zeros(acute_days), x))[: len(x)]  # x shifted by a week
            chronic = rolling_mean_zero_filled(before_acute, chronic_days)
        elif method == "ewma":
            acute = ewma(x, 2.0 / (acute_days + 1))
            chronic = ewma(x, 2.0 / (chronic_days + 1))
        else:
            raise ValueError(method)
        return np.where(chronic > 0, acute / chronic, np.nan)


@dataclass
class LoadReport:
    convention: str
    acwr_method: str
    daily_load: float
    ctl: float
    atl: float
    form: float
    ramp_7d: float
    acwr: float | None
    acwr_by_method: dict[str, float | None]  # all three, for comparison
    monotony: float | None
    strain: float
    week_minutes: float
    impact_load_7d: float | None  # steps x mean impact (g) of the last 7 days' pod runs
    previous_week_minutes: float
    weekly_growth: float | None
    cadence_spm_7d: float | None = None  # median cadence of the last 7 days' runs that carry one
    cadence_runs_7d: int = 0  # how many of those runs carry a cadence
    runs: list[RunLoad] = field(default_factory=list)
    flags: list[Reason] = field(default_factory=list)


def daily_arrays(grid: DailyGrid, runs: list[Run], cfg: Config, hr_max, hr_rest):
    """(load per day, running minutes per day, per-run loads)."""
    load = np.zeros(grid.days)
    minutes = np.zeros(grid.days)
    loads = []
    for run in runs:
        if grid.start <= run.date <= grid.end:
            rl = run_load(run, cfg, hr_max, hr_rest)
            loads.append(rl)
            i = grid.index(run.date)
            load[i] += rl.load
            minutes[i] += run.duration_min
    return load, minutes, loads


def _run_size(run: Run, use_distance: bool) -> float:
    if not use_distance:
        return run.duration_min
    assert run.distance_km is not None, "use_distance only when every run has a distance"
    return float(run.distance_km)


def spike_check(run: Run, previous: list[Run], cfg: Config) -> Reason | None:
    """A run more than spike_ratio x the longest run of the previous 30 days."""
    window = [
        r for r in previous
        if run.date - dt.timedelta(days=cfg.spike_lookback_days) <= r.date < run.date
    ]
    if not window:
        return None
    use_distance = run.distance_km is not None and all(r.distance_km is not None for r in window)
    longest = max(window, key=lambda r: _run_size(r, use_distance))
    size, ref = _run_size(run, use_distance), _run_size(longest, use_distance)
    if ref <= 0 or size <= cfg.spike_ratio * ref:
        return None
    unit = "km" if use_distance else "min"
    return Reason(
        rule="load.run_spike",
        message=(
            f"Run on {run.date} was {size:.1f} {unit}, {100 * (size / ref - 1):.0f} % longer than "
            f"the longest of the previous {cfg.spike_lookback_days} days ({ref:.1f} {unit} on "
            f"{longest.date}); limit {100 * (cfg.spike_ratio - 1):.0f} %."
        ),
        numbers={"run": round(size, 2), "longest_30d": round(ref, 2), "unit": unit, "ratio": round(size / ref, 3)},
        baseline=f"longest run of the previous {cfg.spike_lookback_days} days",
        evidence=evidence.SPIKE,
    )


def growth_reason(week: float, previous: float, cfg: Config, when: str) -> Reason | None:
    if previous < cfg.weekly_growth_min_base_min:
        return None
    growth = week / previous - 1.0
    if growth <= cfg.weekly_growth_max:
        return None
    return Reason(
        rule="load.weekly_growth",
        message=(
            f"{when}: {week:.0f} min of running, {100 * growth:.0f} % more than the week before "
            f"({previous:.0f} min); flag above {100 * cfg.weekly_growth_max:.0f} %."
        ),
        numbers={"week_min": round(week, 1), "previous_week_min": round(previous, 1), "growth": round(growth, 3)},
        baseline="the previous 7 days",
        evidence=evidence.TEN_PERCENT,
    )


def _impact_7d(loads: list[RunLoad], today: dt.date) -> float | None:
    week = [rl.impact_load for rl in loads if (today - rl.date).days < 7 and rl.impact_load is not None]
    return float(sum(week)) if week else None


def load_report(grid: DailyGrid, runs: list[Run], cfg: Config, hr_max, hr_rest) -> LoadReport:
    """Load, fitness and fatigue, ratios and weekly minutes on the grid's last day, with the
    flags they raise (ratio band, monotony, weekly growth, single-run spikes)."""
    load, minutes, loads = daily_arrays(grid, runs, cfg, hr_max, hr_rest)
    ctl = ewma(load, 1 - math.exp(-1 / cfg.ctl_days))
    atl = ewma(load, 1 - math.exp(-1 / cfg.atl_days))
    ratios = {m: acwr(load, m, cfg.acwr_chronic_days) for m in ACWR_METHODS}
    ratio = ratios[cfg.acwr_method]
    _, monotony, strain = foster(load)
    week_min = rolling_sum(minutes, 7)
    t = grid.days - 1
    prev_week = float(week_min[t - 7]) if t >= 7 else 0.0
    growth = float(week_min[t]) / prev_week - 1 if prev_week > 0 else None

    def opt(v):
        return None if np.isnan(v) else float(v)

    report = LoadReport(
        convention=PMC_CONVENTION,
        acwr_method=ACWR_METHODS[cfg.acwr_method],
        daily_load=float(load[t]),
        ctl=float(ctl[t]),
        atl=float(atl[t]),
        form=float(ctl[t] - atl[t]),
        ramp_7d=float(ctl[t] - (ctl[t - 7] if t >= 7 else 0.0)),
        acwr=opt(ratio[t]),
        acwr_by_method={m: opt(r[t]) for m, r in ratios.items()},
        monotony=opt(monotony[t]),
        strain=float(strain[t]) if not np.isnan(strain[t]) else 0.0,
        week_minutes=float(week_min[t]),
        impact_load_7d=_impact_7d(loads, grid.end),
        previous_week_minutes=prev_week,
        weekly_growth=growth,
        runs=[rl for rl in loads if (grid.end - rl.date).days < 7],
    )
    cadences = [r.cadence_spm for r in runs if r.cadence_spm and 0 <= (grid.end - r.date).days < 7]
    if cadences:
        report.cadence_spm_7d, report.cadence_runs_7d = float(np.median(cadences)), len(cadences)
    report.flags.extend(_load_flags(report, cfg))
    growth_flag = growth_reason(report.week_minutes, prev_week, cfg, "Last 7 days")
    if growth_flag:
        report.flags.append(growth_flag)
    report.flags.extend(_spike_flags(runs, grid.end, cfg))
    return report


def _load_flags(report: LoadReport, cfg: Config) -> list[Reason]:
    """The acute:chronic ratio outside its band, training monotony at or over its warning."""
    flags: list[Reason] = []
    if report.acwr is not None:
        lo, hi = cfg.acwr_band
        if report.acwr > cfg.acwr_danger or report.acwr < lo or report.acwr > hi:
            flags.append(Reason(
                rule="load.acwr",
                message=(
                    f"Acute:chronic ratio {report.acwr:.2f} is outside {lo}-{hi}"
                    + (f" and above {cfg.acwr_danger}" if report.acwr > cfg.acwr_danger else "")
                    + " (advisory)."
                ),
                numbers={"acwr": round(report.acwr, 3), "method": cfg.acwr_method},
                baseline=report.acwr_method,
                evidence=evidence.ACWR,
            ))
    if report.monotony is not None and report.monotony >= cfg.monotony_warn:
        level = "critical" if report.monotony >= cfg.monotony_critical else "high"
        flags.append(Reason(
            rule="load.monotony",
            message=(
                f"Training monotony {report.monotony:.2f} is {level} (warn {cfg.monotony_warn}, "
                f"critical {cfg.monotony_critical}); strain {report.strain:.0f}."
            ),
            numbers={"monotony": round(report.monotony, 3), "strain": round(report.strain, 1)},
            baseline="the last 7 days: mean load / population SD",
            evidence=evidence.MONOTONY,
        ))
    return flags


def _spike_flags(runs: list[Run], end: dt.date, cfg: Config) -> list[Reason]:
    """Each run of the last 7 days longer than spike_ratio x the longest run before it."""
    flags: list[Reason] = []
    recent = [r for r in runs if (end - r.date).days < 7 and r.date <= end]
    for run in recent:
        spike = spike_check(run, [r for r in runs if r.date < run.date], cfg)
        if spike:
            flags.append(spike)
    return flags
