"""Morning readiness: HRV, resting HR and sleep, each against the runner's own baseline
(`recovery.baseline`), and the two-of-three verdict. Computed for every day of the grid at
once (the LifeSnaps report uses the whole series; `assess` reads the last day, and
`readiness_words` puts that day in words).

A signal drifts when it moves against the person's own baseline:
- HRV: the 7-day mean of ln(rMSSD) under the 60-day mean - 0.75 SD, or rMSSD falling
  `hrv_drop_mornings` mornings in a row to under the 60-day mean;
- resting HR: the 7-day mean over the 60-day mean + max(0.75 SD, 3 bpm);
- sleep: `sleep_short_nights` of the last 7 nights under 7 h *and* the 7-day mean under the
  person's usual (60-day mean) by max(0.75 SD, 0.5 h). A usual night under 7 h is standing
  advice (`sleep_habit`), not a daily drift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stridepod.recovery.baseline import (
    CALIBRATING,
    DRIFTING,
    SignalSeries,
    clean,
    personal_baseline,
    source_starts,
)
from stridepod.recovery.config import Config
from stridepod.recovery.model import WellnessDay
from stridepod.recovery.series import DailyGrid, field_by_day, rolling_sum

SIGNALS = ("hrv", "rhr", "sleep")
SIGNAL_NAMES = {"hrv": "HRV", "rhr": "resting HR", "sleep": "sleep"}  # as a runner reads them


@dataclass
class ReadinessSeries:
    hrv: SignalSeries
    rhr: SignalSeries
    sleep: SignalSeries
    drifting_count: np.ndarray
    judged_count: np.ndarray
    cut: np.ndarray  # bool: two of three drifting

    def signals(self) -> dict[str, SignalSeries]:
        return {"hrv": self.hrv, "rhr": self.rhr, "sleep": self.sleep}


def _raw(grid: DailyGrid, wellness: list[WellnessDay], attr: str) -> tuple[np.ndarray, list[str | None]]:
    """Day-indexed values of one field and the source each came from."""
    x = grid.nan_array()
    sources: list[str | None] = [None] * grid.days
    for date, (value, source) in field_by_day(wellness, attr).items():
        if grid.start <= date <= grid.end:
            x[grid.index(date)] = value
            sources[grid.index(date)] = source
    return x, sources


def _falling_streak(y: np.ndarray, mornings: int) -> np.ndarray:
    """True on days ending `mornings` consecutive daily falls (no gaps)."""
    n = len(y)
    falls = np.zeros(n, dtype=bool)
    with np.errstate(invalid="ignore"):
        falls[1:] = y[1:] < y[:-1]
    run = rolling_sum(falls.astype(float), mornings)
    return run >= mornings


def hrv_series(grid: DailyGrid, wellness: list[WellnessDay], cfg: Config) -> SignalSeries:
    """ln(rMSSD) against its baseline, plus the falling-mornings trigger (judged days only)."""
    raw, day_sources = _raw(grid, wellness, "rmssd_ms")
    starts, sources = source_starts(day_sources)
    ln, dropped = clean(raw, cfg.rmssd_range_ms, cfg, cfg.hrv_sd_floor_ln, starts, np.log)
    hrv = personal_baseline("hrv", ln, dropped, cfg, cfg.hrv_sd_floor_ln, -1, 0.0, starts, sources)
    streak = _falling_streak(ln, cfg.hrv_drop_mornings)
    streak &= np.arange(grid.days) - starts >= cfg.hrv_drop_mornings
    with np.errstate(invalid="ignore"):
        streak &= ln < hrv.base_mean
    streak &= hrv.judged
    hrv.state = np.where(streak, DRIFTING, hrv.state).astype(object)
    hrv.extra["falling_streak"] = streak
    return hrv


def rhr_series(grid: DailyGrid, wellness: list[WellnessDay], cfg: Config) -> SignalSeries:
    raw, day_sources = _raw(grid, wellness, "resting_hr")
    starts, sources = source_starts(day_sources)
    bpm, dropped = clean(raw, cfg.rhr_range_bpm, cfg, cfg.rhr_sd_floor_bpm, starts)
    return personal_baseline("rhr", bpm, dropped, cfg, cfg.rhr_sd_floor_bpm, +1, cfg.rhr_min_rise_bpm,
                             starts, sources)


def sleep_series(grid: DailyGrid, wellness: list[WellnessDay], week_minutes: np.ndarray,
                 cfg: Config) -> SignalSeries:
    """Hours asleep against the person's usual; drifting needs short nights as well. A short
    night is real, not a glitch: only implausible durations are dropped. The sleep device
    does not restart the baseline (hours asleep compare across devices)."""
    raw, day_sources = _raw(grid, wellness, "sleep_h")
    no_restart = np.zeros(grid.days, dtype=int)
    hours, dropped = clean(raw, cfg.sleep_range_h, cfg, cfg.sleep_sd_floor_h, no_restart, glitches=False)
    sleep = personal_baseline("sleep", hours, dropped, cfg, cfg.sleep_sd_floor_h, -1, cfg.sleep_drop_min_h,
                              no_restart, source_starts(day_sources)[1])
    target = np.where(week_minutes >= cfg.high_volume_min_per_week, cfg.sleep_target_high_volume_h,
                      cfg.sleep_short_h)
    with np.errstate(invalid="ignore"):
        short = ~np.isnan(hours) & (hours < cfg.sleep_short_h)
        under_target = ~np.isnan(hours) & (hours < target)
    short_nights = rolling_sum(short.astype(float), cfg.short_window_days).round().astype(int)
    repeated = short_nights >= cfg.sleep_short_nights
    sleep.state = np.where((sleep.state == DRIFTING) & ~repeated, "ok", sleep.state).astype(object)
    sleep.extra["short_nights"] = short_nights
    sleep.extra["target_h"] = target
    sleep.extra["under_target_nights"] = rolling_sum(under_target.astype(float),
                                                     cfg.short_window_days).round().astype(int)
    return sleep


def readiness_series(
    grid: DailyGrid, wellness: list[WellnessDay], week_minutes: np.ndarray, cfg: Config
) -> ReadinessSeries:
    hrv = hrv_series(grid, wellness, cfg)
    rhr = rhr_series(grid, wellness, cfg)
    sleep = sleep_series(grid, wellness, week_minutes, cfg)
    signals = (hrv, rhr, sleep)
    drifting = np.sum([s.state == DRIFTING for s in signals], axis=0)
    judged = np.sum([s.judged for s in signals], axis=0)
    return ReadinessSeries(hrv, rhr, sleep, drifting, judged, drifting >= cfg.readiness_signals_needed)


def usual_sleep_is_short(sleep: SignalSeries, t: int, cfg: Config) -> bool:
    """The person's usual night (the calibrated 60-day mean) is under `sleep_short_h`."""
    return bool(sleep.state[t] != CALIBRATING and sleep.base_mean[t] < cfg.sleep_short_h)
