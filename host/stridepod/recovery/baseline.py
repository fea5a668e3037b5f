"""A signal against the person's own baseline, for every day of the grid at once: input
cleaning (implausible values, single-night glitches, a change of device), the rolling
7-day mean and the 60-day baseline, whether the baseline is calibrated and how confident
it is, and where the signal stands each day.

States (`state` per day):
- CALIBRATING: the 60-day window has no usable baseline yet (too few values, or values
  over too few days: a handful of nights says nothing about a person's normal). Data older
  than the window counts for nothing, so a stale history is calibrating too.
- SPARSE: the baseline is calibrated, but the last 7 days hold too few values to judge.
- OK / DRIFTING: judged; DRIFTING = the 7-day mean moved the wrong way by more than the
  normal range (and the signal's minimum shift).

Confidence of a calibrated baseline: LOW while it rests on fewer than `baseline_full_values`
values (the first weeks, or a device worn a few nights a week), GOOD from there on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from stridepod.recovery.config import Config
from stridepod.recovery.series import rolling_stats

CALIBRATING, SPARSE, OK, DRIFTING = "calibrating", "sparse", "ok", "drifting"
JUDGED_STATES = (OK, DRIFTING)
LOW, GOOD = "low", "good"


@dataclass
class SignalSeries:
    """Per-day results for one signal (arrays over the grid)."""

    name: str
    values: np.ndarray  # cleaned daily values (NaN = none or dropped)
    dropped: np.ndarray  # bool: value present but implausible or a single-night glitch
    state: np.ndarray  # object array of CALIBRATING / SPARSE / OK / DRIFTING
    short_mean: np.ndarray
    short_count: np.ndarray
    base_mean: np.ndarray
    base_sd: np.ndarray  # after the floor
    base_count: np.ndarray
    base_span_days: np.ndarray  # days from the baseline window's first value to the day
    last_index: np.ndarray  # index of the latest value up to the day (-1 = none yet)
    limit: np.ndarray  # how far the 7-day mean may move the wrong way before it drifts
    source_start: np.ndarray  # first day of the current device's stretch
    source: list[str | None]  # the current device, per day
    extra: dict = field(default_factory=dict)

    @property
    def calibrated(self) -> np.ndarray:
        return self.state != CALIBRATING

    @property
    def judged(self) -> np.ndarray:
        return (self.state == OK) | (self.state == DRIFTING)

    def confidence(self, t: int, cfg: Config) -> str | None:
        if self.state[t] == CALIBRATING:
            return None
        return GOOD if self.base_count[t] >= cfg.baseline_full_values else LOW


def source_starts(day_sources: list[str | None]) -> tuple[np.ndarray, list[str | None]]:
    """For each day, the first day of the current source's stretch (and that source): a new
    device or app restarts the baseline instead of raising an alarm from the step between
    devices."""
    starts = np.zeros(len(day_sources), dtype=int)
    current_sources: list[str | None] = []
    current, start = None, 0
    for i, src in enumerate(day_sources):
        if src is not None and src != current:
            if current is not None:
                start = i
            current = src
        starts[i] = start
        current_sources.append(current)
    return starts, current_sources


def row_nanmedian(a: np.ndarray) -> np.ndarray:
    """np.nanmedian(a, axis=1) for rows with at least one value, bit for bit, without
    numpy.ma (nanmedian's path for short rows: importing it costs every command ~10 ms)."""
    ordered = np.sort(a, axis=1)  # NaNs sort last
    count = np.sum(~np.isnan(a), axis=1)
    rows = np.arange(len(a))
    return (ordered[rows, (count - 1) // 2] + ordered[rows, count // 2]) / 2


def _neighbour_directions(direction: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The direction of the nearest present value before and after each day (0 = none)."""
    n = len(direction)
    idx = np.arange(n)
    prev_idx = np.maximum.accumulate(np.where(present, idx, -1))
    prev_idx = np.concatenate(([-1], prev_idx[:-1]))
    next_idx = np.minimum.accumulate(np.where(present, idx, n)[::-1])[::-1]
    next_idx = np.concatenate((next_idx[1:], [n]))
    d_ext = np.concatenate((direction, [0]))
    return np.where(prev_idx >= 0, d_ext[prev_idx], 0), d_ext[np.minimum(next_idx, n)]


def drop_glitches(x: np.ndarray, window: int, k: float, floor: float, starts: np.ndarray) -> np.ndarray:
    """Mask of isolated outliers: a value more than k robust SDs from the median of the
    previous `window` days (>= 10 values) whose neighbouring values are not off the same way.
    A sustained shift is kept (it is what the signals look for)."""
    n = len(x)
    padded = np.concatenate((np.full(window, np.nan), x))
    past = sliding_window_view(padded[:-1], window)[:n].copy()  # days t-window .. t-1
    day_of = np.arange(n)[:, None] - window + np.arange(window)[None, :]
    past[day_of < starts[:, None]] = np.nan  # another source's values are no reference
    counts = np.sum(~np.isnan(past), axis=1)
    enough = counts >= 10
    med = np.full(n, np.nan)
    mad = np.full(n, np.nan)
    if enough.any():
        med[enough] = row_nanmedian(past[enough])
        mad[enough] = row_nanmedian(np.abs(past[enough] - med[enough, None]))
    scale = np.maximum(1.4826 * np.nan_to_num(mad), floor)
    with np.errstate(invalid="ignore"):
        direction = np.where(enough & ~np.isnan(x), np.sign(x - med) * (np.abs(x - med) > k * scale), 0)
    prev_dir, next_dir = _neighbour_directions(direction, ~np.isnan(x))
    return (direction != 0) & (prev_dir != direction) & (next_dir != direction)


def clean(x: np.ndarray, plausible: tuple[float, float], cfg: Config, floor: float,
          starts: np.ndarray, transform=None, glitches: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(values with implausible readings and single-night glitches removed, dropped mask)."""
    with np.errstate(invalid="ignore"):
        implausible = ~np.isnan(x) & ((x < plausible[0]) | (x > plausible[1]))
    y = np.where(implausible, np.nan, x)
    if transform is not None:
        y = transform(y)
    if not glitches:
        return y, implausible
    glitch = drop_glitches(y, cfg.baseline_window_days, cfg.glitch_mad, floor, starts)
    return np.where(glitch, np.nan, y), implausible | glitch


def _first_in_window(present: np.ndarray, window: int, starts: np.ndarray) -> np.ndarray:
    """Per day t, the index of the first value in [max(t - window + 1, starts[t]), t]
    (len(present) when there is none)."""
    n = len(present)
    idx = np.arange(n)
    next_present = np.minimum.accumulate(np.where(present, idx, n)[::-1])[::-1]
    lo = np.maximum(idx - window + 1, starts)
    return next_present[lo]


def personal_baseline(name: str, y: np.ndarray, dropped: np.ndarray, cfg: Config, sd_floor: float,
                      wrong_way: int, min_shift: float, starts: np.ndarray,
                      sources: list[str | None]) -> SignalSeries:
    """The 7-day mean against the 60-day mean (both from the current device's first day):
    calibrated once the 60-day window holds `baseline_min_values` values spread over
    `baseline_min_span_days`; judged on days whose last 7 hold `short_window_min_values`;
    drifting when the 7-day mean moved the wrong way (`wrong_way` -1 = falls, +1 = rises)
    by more than max(normal_range_sd x SD, min_shift). The SD is the sample SD of the
    window's values, never under `sd_floor`."""
    n = len(y)
    present = ~np.isnan(y)
    sc, sm, _ = rolling_stats(y, cfg.short_window_days, starts)
    bc, bm, bsd_pop = rolling_stats(y, cfg.baseline_window_days, starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        bessel = np.sqrt(np.where(bc > 1, bc / np.maximum(bc - 1, 1), 1.0))
    bsd = np.maximum(np.nan_to_num(bsd_pop * bessel), sd_floor)
    idx = np.arange(n)
    span = idx - _first_in_window(present, cfg.baseline_window_days, starts) + 1
    calibrated = (bc >= cfg.baseline_min_values) & (span >= cfg.baseline_min_span_days)
    judged = calibrated & (sc >= cfg.short_window_min_values)
    limit = np.maximum(cfg.normal_range_sd * bsd, min_shift)
    with np.errstate(invalid="ignore"):
        drift = wrong_way * (sm - bm) > limit
    state = np.where(judged, np.where(drift, DRIFTING, OK),
                     np.where(calibrated, SPARSE, CALIBRATING)).astype(object)
    last = np.maximum.accumulate(np.where(present, idx, -1))
    return SignalSeries(name, y, dropped, state, sm, sc, bm, bsd, bc, np.maximum(span, 0), last,
                        limit, starts, sources)
