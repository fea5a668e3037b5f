"""Morning readiness: HRV, resting HR and sleep, each against the runner's own baseline, and
the two-of-three verdict. Computed for every day of the grid at once (the LifeSnaps report
uses the whole series; `assess` reads the last day)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from stridepod.recovery import evidence
from stridepod.recovery.config import Config
from stridepod.recovery.model import Reason, WellnessDay
from stridepod.recovery.series import DailyGrid, field_by_day, rolling_stats, rolling_sum

CALIBRATING, OK, DRIFTING = "calibrating", "ok", "drifting"
SIGNALS = ("hrv", "rhr", "sleep")


@dataclass
class SignalSeries:
    """Per-day results for one signal (arrays over the grid)."""

    name: str
    values: np.ndarray  # cleaned daily values (NaN = none or dropped)
    dropped: np.ndarray  # bool: value present but implausible or a single-night glitch
    state: np.ndarray  # object array of CALIBRATING / OK / DRIFTING
    short_mean: np.ndarray
    short_count: np.ndarray
    base_mean: np.ndarray
    base_sd: np.ndarray  # after the floor
    base_count: np.ndarray
    extra: dict = field(default_factory=dict)


@dataclass
class ReadinessSeries:
    hrv: SignalSeries
    rhr: SignalSeries
    sleep: SignalSeries
    drifting_count: np.ndarray
    cut: np.ndarray  # bool: two of three drifting


@dataclass
class SignalVerdict:
    name: str
    state: str
    value_today: float | None
    short_mean: float | None
    short_count: int
    baseline_mean: float | None
    baseline_low: float | None
    baseline_high: float | None
    baseline_count: int
    dropped_last_60d: int
    reason: Reason


@dataclass
class Readiness:
    signals: dict[str, SignalVerdict]
    drifting: list[str]
    cut_next_week: bool
    reason: Reason


def _raw(grid: DailyGrid, wellness: list[WellnessDay], attr: str) -> tuple[np.ndarray, list[str | None]]:
    """Day-indexed values of one field and the source each came from."""
    x = grid.nan_array()
    sources: list[str | None] = [None] * grid.days
    for date, (value, source) in field_by_day(wellness, attr).items():
        if grid.start <= date <= grid.end:
            x[grid.index(date)] = value
            sources[grid.index(date)] = source
    return x, sources


def _source_starts(day_sources: list[str | None]) -> tuple[np.ndarray, list[str | None]]:
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


def _drop_glitches(x: np.ndarray, window: int, k: float, floor: float, starts: np.ndarray) -> np.ndarray:
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
    # the nearest present neighbour on each side
    idx = np.arange(n)
    present = ~np.isnan(x)
    prev_idx = np.maximum.accumulate(np.where(present, idx, -1))
    prev_idx = np.concatenate(([-1], prev_idx[:-1]))
    next_idx = np.minimum.accumulate(np.where(present, idx, n)[::-1])[::-1]
    next_idx = np.concatenate((next_idx[1:], [n]))
    d_ext = np.concatenate((direction, [0]))
    prev_dir = np.where(prev_idx >= 0, d_ext[prev_idx], 0)
    next_dir = d_ext[np.minimum(next_idx, n)]
    return (direction != 0) & (prev_dir != direction) & (next_dir != direction)


def _clean(x: np.ndarray, lo: float, hi: float, cfg: Config, floor: float, starts: np.ndarray, transform=None):
    with np.errstate(invalid="ignore"):
        implausible = ~np.isnan(x) & ((x < lo) | (x > hi))
    y = np.where(implausible, np.nan, x)
    if transform is not None:
        y = transform(y)
    glitch = _drop_glitches(y, cfg.baseline_window_days, cfg.glitch_mad, floor, starts)
    return np.where(glitch, np.nan, y), implausible | glitch


def _baseline_signal(name, y, dropped, cfg: Config, sd_floor: float, wrong_way: int,
                     starts: np.ndarray, sources: list[str | None]) -> SignalSeries:
    """7-day mean against the 60-day mean +/- 0.75 SD; wrong_way = -1 (falls) or +1 (rises).
    Both windows start no earlier than the current source's first day."""
    sc, sm, _ = rolling_stats(y, cfg.short_window_days, starts)
    bc, bm, bsd = rolling_stats(y, cfg.baseline_window_days, starts)
    bsd = np.maximum(np.nan_to_num(bsd), sd_floor)
    ready = (sc >= cfg.short_window_min_values) & (bc >= cfg.baseline_min_values)
    with np.errstate(invalid="ignore"):
        drift = wrong_way * (sm - bm) > cfg.normal_range_sd * bsd
    state = np.where(ready, np.where(drift, DRIFTING, OK), CALIBRATING).astype(object)
    series = SignalSeries(name, y, dropped, state, sm, sc, bm, bsd, bc)
    series.extra["source_start"] = starts
    series.extra["source"] = sources
    return series


def _falling_streak(y: np.ndarray, mornings: int) -> np.ndarray:
    """True on days ending `mornings` consecutive daily falls (no gaps)."""
    n = len(y)
    falls = np.zeros(n, dtype=bool)
    with np.errstate(invalid="ignore"):
        falls[1:] = y[1:] < y[:-1]
    run = rolling_sum(falls.astype(float), mornings)
    return run >= mornings


def readiness_series(
    grid: DailyGrid, wellness: list[WellnessDay], week_minutes: np.ndarray, cfg: Config
) -> ReadinessSeries:
    # HRV on ln(rMSSD)
    raw, day_sources = _raw(grid, wellness, "rmssd_ms")
    starts, sources = _source_starts(day_sources)
    ln, dropped = _clean(raw, *cfg.rmssd_range_ms, cfg, cfg.hrv_sd_floor_ln, starts, np.log)
    hrv = _baseline_signal("hrv", ln, dropped, cfg, cfg.hrv_sd_floor_ln, -1, starts, sources)
    streak = _falling_streak(ln, cfg.hrv_drop_mornings)
    streak &= np.arange(grid.days) - hrv.extra["source_start"] >= cfg.hrv_drop_mornings
    with np.errstate(invalid="ignore"):
        streak &= ln < hrv.base_mean
    streak &= hrv.state != CALIBRATING
    hrv.state = np.where(streak, DRIFTING, hrv.state).astype(object)
    hrv.extra["falling_streak"] = streak

    raw, day_sources = _raw(grid, wellness, "resting_hr")
    starts, sources = _source_starts(day_sources)
    bpm, dropped = _clean(raw, *cfg.rhr_range_bpm, cfg, cfg.rhr_sd_floor_bpm, starts)
    rhr = _baseline_signal("rhr", bpm, dropped, cfg, cfg.rhr_sd_floor_bpm, +1, starts, sources)
    with np.errstate(invalid="ignore"):
        too_small = rhr.short_mean - rhr.base_mean < cfg.rhr_min_rise_bpm
    rhr.state = np.where((rhr.state == DRIFTING) & too_small, OK, rhr.state).astype(object)

    raw, _ = _raw(grid, wellness, "sleep_h")
    with np.errstate(invalid="ignore"):
        implausible = ~np.isnan(raw) & ((raw < cfg.sleep_range_h[0]) | (raw > cfg.sleep_range_h[1]))
    hours = np.where(implausible, np.nan, raw)
    target = np.where(week_minutes >= cfg.high_volume_min_per_week, cfg.sleep_target_high_volume_h,
                      cfg.sleep_short_h)
    nights = rolling_sum((~np.isnan(hours)).astype(float), 7).round().astype(int)
    with np.errstate(invalid="ignore"):
        short = ~np.isnan(hours) & (hours < cfg.sleep_short_h)
        under_target = ~np.isnan(hours) & (hours < target)
    short_nights = rolling_sum(short.astype(float), 7).round().astype(int)
    ready = nights >= cfg.sleep_min_nights
    state = np.where(ready, np.where(short_nights >= cfg.sleep_short_nights, DRIFTING, OK),
                     CALIBRATING).astype(object)
    _, mean7, _ = rolling_stats(hours, 7)
    sleep = SignalSeries("sleep", hours, implausible, state, mean7, nights, np.full(grid.days, cfg.sleep_short_h),
                         np.zeros(grid.days), nights)
    sleep.extra["short_nights"] = short_nights
    sleep.extra["target_h"] = target
    sleep.extra["under_target_nights"] = rolling_sum(under_target.astype(float), 7).round().astype(int)

    drifting = sum((s.state == DRIFTING).astype(int) for s in (hrv, rhr, sleep))
    return ReadinessSeries(hrv, rhr, sleep, drifting, drifting >= cfg.readiness_signals_needed)


def _opt(v) -> float | None:
    return None if v is None or np.isnan(v) else float(v)


def _restart_note(s: SignalSeries, t: int) -> str:
    start = int(s.extra["source_start"][t])
    if start == 0:
        return ""
    return f"; baseline restarted {t - start} days ago when the source changed to {s.extra['source'][t]!r}"


def _window_dropped(s: SignalSeries, t: int, cfg: Config) -> int:
    return int(np.count_nonzero(s.dropped[max(0, t - cfg.baseline_window_days + 1): t + 1]))


def _calibrating_verdict(signal: str, label: str, s: SignalSeries, t: int, cfg: Config,
                         today, mean7, evidence_ref) -> SignalVerdict:
    """The verdict of a signal whose baseline is not built yet: no range, what is missing."""
    reason = Reason(
        f"readiness.{signal}",
        f"{label} calibrating: {s.short_count[t]} of {cfg.short_window_min_values} mornings in 7 days, "
        f"{s.base_count[t]} of {cfg.baseline_min_values} in {cfg.baseline_window_days} days"
        f"{_restart_note(s, t)}.",
        {"mornings_7d": int(s.short_count[t]), "mornings_60d": int(s.base_count[t])},
        baseline="not enough data yet", evidence=evidence_ref,
    )
    return SignalVerdict(signal, CALIBRATING, today, mean7, int(s.short_count[t]), None, None, None,
                         int(s.base_count[t]), _window_dropped(s, t, cfg), reason)


def _hrv_verdict(s: SignalSeries, t: int, cfg: Config) -> SignalVerdict:
    exp = np.exp
    today = _opt(exp(s.values[t]))
    mean7 = _opt(exp(s.short_mean[t])) if s.short_count[t] else None
    if s.state[t] == CALIBRATING:
        return _calibrating_verdict("hrv", "HRV", s, t, cfg, today, mean7, evidence.HRV_BASELINE)
    k = cfg.normal_range_sd * s.base_sd[t]
    base, lo, hi = exp(s.base_mean[t]), exp(s.base_mean[t] - k), exp(s.base_mean[t] + k)
    streak = bool(s.extra["falling_streak"][t])
    below = bool(s.short_mean[t] < s.base_mean[t] - k)
    fell = (f"HRV fell {cfg.hrv_drop_mornings} mornings in a row to {today:.0f} ms, below the "
            f"60-day mean {base:.0f} ms.") if streak else ""
    if below:
        msg = f"HRV 7-day mean {mean7:.0f} ms is below the normal range {lo:.0f}-{hi:.0f} ms." + (
            f" {fell}" if fell else "")
    elif streak:
        msg = fell
    else:
        msg = f"HRV 7-day mean {mean7:.0f} ms is within or above the normal range {lo:.0f}-{hi:.0f} ms."
    reason = Reason(
        "readiness.hrv_falling" if streak and not below else "readiness.hrv", msg,
        {"rmssd_today_ms": _r(today), "rmssd_7d_ms": _r(mean7), "baseline_ms": _r(base),
         "normal_low_ms": _r(lo), "normal_high_ms": _r(hi), "sd_ln": _r(s.base_sd[t], 4)},
        baseline=f"ln(rMSSD) 60-day mean +/- {cfg.normal_range_sd} SD (SD floor {cfg.hrv_sd_floor_ln}) "
                 f"over {s.base_count[t]} mornings",
        evidence=evidence.HRV_BASELINE,
    )
    return SignalVerdict("hrv", s.state[t], today, mean7, int(s.short_count[t]), base, lo, hi,
                         int(s.base_count[t]), _window_dropped(s, t, cfg), reason)


def _r(v, nd=1):
    return None if v is None else round(float(v), nd)


def _rhr_verdict(s: SignalSeries, t: int, cfg: Config) -> SignalVerdict:
    today, mean7 = _opt(s.values[t]), _opt(s.short_mean[t])
    if s.state[t] == CALIBRATING:
        return _calibrating_verdict("rhr", "Resting HR", s, t, cfg, today, mean7, evidence.RHR)
    mean7 = float(s.short_mean[t])  # past calibration the 7-day window holds enough mornings
    base = float(s.base_mean[t])
    k = cfg.normal_range_sd * s.base_sd[t]
    hi = base + max(k, cfg.rhr_min_rise_bpm)
    rise = mean7 - base
    word = "above" if s.state[t] == DRIFTING else "within"
    reason = Reason(
        "readiness.rhr",
        f"Resting HR 7-day mean {mean7:.1f} bpm is {rise:+.1f} bpm from the 60-day mean {base:.1f}, "
        f"{word} the limit {hi:.1f} bpm.",
        {"rhr_7d": _r(mean7), "baseline": _r(base), "limit": _r(hi), "rise": _r(rise)},
        baseline=f"60-day mean + max({cfg.normal_range_sd} SD, {cfg.rhr_min_rise_bpm} bpm) "
                 f"over {s.base_count[t]} mornings",
        evidence=evidence.RHR,
    )
    return SignalVerdict("rhr", s.state[t], today, mean7, int(s.short_count[t]), base, base - k, hi,
                         int(s.base_count[t]), _window_dropped(s, t, cfg), reason)


def _sleep_verdict(s: SignalSeries, t: int, cfg: Config) -> SignalVerdict:
    nights = int(s.short_count[t])
    short = int(s.extra["short_nights"][t])
    target = float(s.extra["target_h"][t])
    if s.state[t] == CALIBRATING:
        msg = f"Sleep calibrating: {nights} of {cfg.sleep_min_nights} nights recorded in the last 7."
    else:
        msg = (f"{short} of the last {nights} recorded nights under {cfg.sleep_short_h:g} h "
               f"(mean {s.short_mean[t]:.1f} h); fires at {cfg.sleep_short_nights}.")
        if target > cfg.sleep_short_h:
            under = int(s.extra["under_target_nights"][t])
            msg += (f" Training volume is high: personal target {target:g} h, "
                    f"missed on {under} nights.")
    reason = Reason(
        "readiness.sleep", msg,
        {"nights_recorded": nights, "short_nights": short, "mean_h": _r(_opt(s.short_mean[t]), 2),
         "target_h": target},
        baseline=f"fixed threshold {cfg.sleep_short_h:g} h, {cfg.sleep_short_nights} of 7 nights",
        evidence=evidence.SLEEP,
    )
    return SignalVerdict("sleep", s.state[t], _opt(s.values[t]), _opt(s.short_mean[t]), nights,
                         cfg.sleep_short_h, None, None, nights, _window_dropped(s, t, cfg), reason)


def readiness_today(rs: ReadinessSeries, t: int, cfg: Config) -> Readiness:
    signals = {
        "hrv": _hrv_verdict(rs.hrv, t, cfg),
        "rhr": _rhr_verdict(rs.rhr, t, cfg),
        "sleep": _sleep_verdict(rs.sleep, t, cfg),
    }
    drifting = [n for n, v in signals.items() if v.state == DRIFTING]
    calibrating = [n for n, v in signals.items() if v.state == CALIBRATING]
    cut = len(drifting) >= cfg.readiness_signals_needed
    if cut:
        msg = (f"{len(drifting)} of 3 signals drifting the wrong way ({', '.join(drifting)}): "
               f"the next 7 days lose {100 * cfg.readiness_volume_cut:.0f} % of volume and their "
               "quality sessions (the goal race stays).")
    else:
        msg = f"{len(drifting)} of 3 signals drifting" + (f" ({', '.join(drifting)})" if drifting else "")
        if calibrating:
            msg += f"; calibrating: {', '.join(calibrating)}"
        msg += f"; {cfg.readiness_signals_needed} are needed to cut training."
    reason = Reason(
        "readiness.two_of_three", msg,
        {"drifting": drifting, "calibrating": calibrating},
        baseline="each signal against its own baseline (see the signals)",
        changed="next 7 days reduced" if cut else "",
        evidence=evidence.TWO_OF_THREE,
    )
    return Readiness(signals, drifting, cut, reason)
