"""One day's readiness in words: each signal's verdict with its numbers, whether its
baseline is calibrated and how confident it is, what is missing when it cannot be judged,
the two-of-three verdict, and the standing advice on a usual night under 7 h.
Messages are plain words for the runner: no rule ids, no internal names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from stridepod.recovery import evidence
from stridepod.recovery.baseline import CALIBRATING, DRIFTING, SPARSE, SignalSeries
from stridepod.recovery.config import Config
from stridepod.recovery.model import Reason
from stridepod.recovery.readiness import SIGNAL_NAMES, ReadinessSeries, usual_sleep_is_short
from stridepod.recovery.series import DailyGrid

UNITS = {"hrv": "mornings", "rhr": "mornings", "sleep": "nights"}


@dataclass
class SignalVerdict:
    name: str
    state: str  # calibrating, sparse, ok, drifting
    calibrated: bool  # the baseline exists
    confidence: str | None  # "low" or "good" once calibrated
    value_today: float | None
    short_mean: float | None
    short_count: int
    baseline_mean: float | None
    baseline_low: float | None
    baseline_high: float | None
    baseline_count: int
    dropped_last_60d: int
    last_date: dt.date | None  # the latest value up to the day
    missing: str  # what it lacks to be judged, in a few words ("" when judged)
    reason: Reason


@dataclass
class Readiness:
    signals: dict[str, SignalVerdict]
    drifting: list[str]
    judged: list[str]
    enough_data: bool  # enough signals judged for the two-of-three rule to speak
    cut_next_week: bool
    reason: Reason
    standing: list[Reason]  # advice that holds whatever today's verdict (a usual night under 7 h)


def _opt(v) -> float | None:
    return None if v is None or np.isnan(v) else float(v)


def _r(v, nd=1):
    return None if v is None else round(float(v), nd)


def _day(d: dt.date) -> str:
    return f"{d.day} {d:%B %Y}"


def _restart_note(s: SignalSeries, t: int) -> str:
    start = int(s.source_start[t])
    if start == 0:
        return ""
    return f"; baseline restarted {t - start} days ago when the source changed to {s.source[t]!r}"


def _last_date(s: SignalSeries, t: int, grid: DailyGrid) -> dt.date | None:
    last = int(s.last_index[t])
    return grid.date(last) if last >= 0 else None


def _confidence_words(s: SignalSeries, t: int, cfg: Config) -> str:
    unit = UNITS[s.name]
    if s.base_count[t] >= cfg.baseline_full_values:
        return f"your 60-day baseline, {s.base_count[t]} {unit} (confidence good)"
    return (f"your 60-day baseline, {s.base_count[t]} {unit} (confidence low until "
            f"{cfg.baseline_full_values}: a wider spread of values is still possible)")


def missing_words(s: SignalSeries, t: int, cfg: Config, grid: DailyGrid) -> str:
    """What a signal lacks to be judged on day t, short enough for a headline."""
    label, unit = SIGNAL_NAMES[s.name], UNITS[s.name]
    if s.state[t] == SPARSE:
        return f"{label} {s.short_count[t]} of {cfg.short_window_min_values} {unit} this week"
    if s.state[t] != CALIBRATING:
        return ""
    if s.base_count[t] == 0:
        last = _last_date(s, t, grid)
        return f"no {label} since {_day(last)}" if last else f"no {label} yet"
    if s.base_count[t] < cfg.baseline_min_values:
        return f"{label} {s.base_count[t]} of {cfg.baseline_min_values} {unit}"
    return f"{label} over {s.base_span_days[t]} of {cfg.baseline_min_span_days} days"


def _not_judged_message(s: SignalSeries, t: int, cfg: Config, grid: DailyGrid) -> str:
    label, unit = SIGNAL_NAMES[s.name], UNITS[s.name]
    label = label[0].upper() + label[1:]  # it starts the sentence
    if s.state[t] == SPARSE:
        return (f"{label} not judged this week: {s.short_count[t]} of the "
                f"{cfg.short_window_min_values} {unit} needed in the last {cfg.short_window_days} days "
                f"(baseline calibrated from {s.base_count[t]} {unit}){_restart_note(s, t)}.")
    last = _last_date(s, t, grid)
    window = cfg.baseline_window_days
    if s.base_count[t] == 0:
        when = f" (last: {_day(last)})" if last else ""
        return (f"{label} calibrating: no {unit} recorded in the last {window} days{when}; its "
                f"baseline needs {cfg.baseline_min_values} over at least {cfg.baseline_min_span_days} days"
                f"{_restart_note(s, t)}.")
    if s.base_count[t] < cfg.baseline_min_values:
        return (f"{label} calibrating: {s.base_count[t]} of the {cfg.baseline_min_values} {unit} its "
                f"baseline needs in the last {window} days (3 a week is enough){_restart_note(s, t)}.")
    return (f"{label} calibrating: {s.base_count[t]} {unit} over {s.base_span_days[t]} days; the baseline "
            f"needs them spread over at least {cfg.baseline_min_span_days} days{_restart_note(s, t)}.")


def _unjudged(s: SignalSeries, t: int, cfg: Config, grid: DailyGrid, today, mean7, evidence_ref: str,
              numbers_extra: dict | None = None) -> SignalVerdict:
    """The verdict of a signal that cannot be judged today: what is missing, no range."""
    calibrated = s.state[t] != CALIBRATING
    numbers = {f"{UNITS[s.name]}_7d": int(s.short_count[t]), f"{UNITS[s.name]}_60d": int(s.base_count[t]),
               **(numbers_extra or {})}
    reason = Reason(f"readiness.{s.name}", _not_judged_message(s, t, cfg, grid), numbers,
                    baseline=_confidence_words(s, t, cfg) if calibrated else "no baseline yet",
                    evidence=evidence_ref)
    return SignalVerdict(s.name, s.state[t], calibrated, s.confidence(t, cfg), today, mean7,
                         int(s.short_count[t]), _opt(s.base_mean[t]) if calibrated else None, None, None,
                         int(s.base_count[t]), _window_dropped(s, t, cfg), _last_date(s, t, grid),
                         missing_words(s, t, cfg, grid), reason)


def _window_dropped(s: SignalSeries, t: int, cfg: Config) -> int:
    return int(np.count_nonzero(s.dropped[max(0, t - cfg.baseline_window_days + 1): t + 1]))


def _judged(s: SignalSeries, t: int, cfg: Config, grid: DailyGrid, today, mean7, base, lo, hi,
            reason: Reason) -> SignalVerdict:
    return SignalVerdict(s.name, s.state[t], True, s.confidence(t, cfg), today, mean7, int(s.short_count[t]),
                         base, lo, hi, int(s.base_count[t]), _window_dropped(s, t, cfg),
                         _last_date(s, t, grid), "", reason)


def hrv_verdict(s: SignalSeries, t: int, cfg: Config, grid: DailyGrid) -> SignalVerdict:
    today = _opt(np.exp(s.values[t]))
    mean7 = _opt(np.exp(s.short_mean[t])) if s.short_count[t] else None
    if s.state[t] in (CALIBRATING, SPARSE):
        return _unjudged(s, t, cfg, grid, today, mean7, evidence.HRV_BASELINE)
    k = s.limit[t]
    base, lo, hi = np.exp(s.base_mean[t]), np.exp(s.base_mean[t] - k), np.exp(s.base_mean[t] + k)
    streak = bool(s.extra["falling_streak"][t])
    below = bool(s.short_mean[t] < s.base_mean[t] - k)
    fell = (f"HRV fell {cfg.hrv_drop_mornings} mornings in a row to {today:.0f} ms, under your "
            f"60-day mean {base:.0f} ms.") if streak else ""
    if below:
        msg = f"HRV 7-day mean {mean7:.0f} ms is below your normal range {lo:.0f}-{hi:.0f} ms." + (
            f" {fell}" if fell else "")
    elif streak:
        msg = fell
    else:
        msg = f"HRV 7-day mean {mean7:.0f} ms is within or above your normal range {lo:.0f}-{hi:.0f} ms."
    reason = Reason(
        "readiness.hrv_falling" if streak and not below else "readiness.hrv", msg,
        {"rmssd_today_ms": _r(today), "rmssd_7d_ms": _r(mean7), "baseline_ms": _r(base),
         "normal_low_ms": _r(lo), "normal_high_ms": _r(hi), "sd_ln": _r(s.base_sd[t], 4)},
        baseline=f"ln(rMSSD) 60-day mean +/- {cfg.normal_range_sd} SD (SD floor {cfg.hrv_sd_floor_ln}): "
                 + _confidence_words(s, t, cfg),
        evidence=evidence.HRV_BASELINE,
    )
    return _judged(s, t, cfg, grid, today, mean7, base, lo, hi, reason)


def rhr_verdict(s: SignalSeries, t: int, cfg: Config, grid: DailyGrid) -> SignalVerdict:
    today, mean7 = _opt(s.values[t]), _opt(s.short_mean[t])
    if s.state[t] in (CALIBRATING, SPARSE):
        return _unjudged(s, t, cfg, grid, today, mean7, evidence.RHR)
    mean7 = float(s.short_mean[t])
    base = float(s.base_mean[t])
    hi = base + float(s.limit[t])
    rise = mean7 - base
    word = "above" if s.state[t] == DRIFTING else "within"
    reason = Reason(
        "readiness.rhr",
        f"Resting HR 7-day mean {mean7:.1f} bpm is {rise:+.1f} bpm from your 60-day mean {base:.1f}, "
        f"{word} the limit {hi:.1f} bpm.",
        {"rhr_7d": _r(mean7), "baseline": _r(base), "limit": _r(hi), "rise": _r(rise)},
        baseline=f"60-day mean + max({cfg.normal_range_sd} SD, {cfg.rhr_min_rise_bpm:g} bpm): "
                 + _confidence_words(s, t, cfg),
        evidence=evidence.RHR,
    )
    return _judged(s, t, cfg, grid, today, mean7, base, base - float(s.limit[t]), hi, reason)


def sleep_verdict(s: SignalSeries, t: int, cfg: Config, grid: DailyGrid) -> SignalVerdict:
    nights, short = int(s.short_count[t]), int(s.extra["short_nights"][t])
    target = float(s.extra["target_h"][t])
    today, mean7 = _opt(s.values[t]), _opt(s.short_mean[t])
    counts = {"short_nights": short, "target_h": target}
    if s.state[t] in (CALIBRATING, SPARSE):
        return _unjudged(s, t, cfg, grid, today, mean7, evidence.SLEEP, counts)
    usual, low = float(s.base_mean[t]), float(s.base_mean[t] - s.limit[t])
    shorts = f"{short} of the last {nights} recorded nights under {cfg.sleep_short_h:g} h"
    if s.state[t] == DRIFTING:
        msg = (f"Sleep is short and under your usual: 7-day mean {mean7:.1f} h against your usual "
               f"{usual:.1f} h (the limit is {low:.1f} h), {shorts}.")
    else:
        msg = f"Sleep 7-day mean {mean7:.1f} h, your usual {usual:.1f} h; {shorts}."
    if target > cfg.sleep_short_h:
        msg += (f" Training volume is high: personal target {target:g} h, "
                f"missed on {int(s.extra['under_target_nights'][t])} nights.")
    reason = Reason(
        "readiness.sleep", msg,
        {"nights_recorded": nights, "mean_h": _r(mean7, 2), "usual_h": _r(usual, 2), "low_h": _r(low, 2),
         **counts},
        baseline=(f"{cfg.sleep_short_nights} of {cfg.short_window_days} nights under "
                  f"{cfg.sleep_short_h:g} h and the 7-day mean under your usual by max("
                  f"{cfg.normal_range_sd} SD, {cfg.sleep_drop_min_h:g} h): " + _confidence_words(s, t, cfg)),
        evidence=evidence.SLEEP,
    )
    return _judged(s, t, cfg, grid, today, mean7, usual, low, None, reason)


def sleep_habit(s: SignalSeries, t: int, cfg: Config) -> Reason | None:
    """Standing advice when the usual night is under `sleep_short_h`: said every day it holds,
    never a drift, never a cut."""
    if not usual_sleep_is_short(s, t, cfg):
        return None
    usual = float(s.base_mean[t])
    return Reason(
        "advice.sleep_habit",
        f"Your usual night is {usual:.1f} h (the last {cfg.baseline_window_days} days, {s.base_count[t]} "
        f"nights), under {cfg.sleep_short_h:g} h. Sleeping under {cfg.sleep_short_h:g} h night after night "
        "slows recovery and goes with more injuries; most adults need 7-9 h and runners in training "
        "often more. Try a fixed bedtime 30 minutes earlier for two weeks and see how you feel.",
        {"usual_h": round(usual, 2), "nights": int(s.base_count[t]), "threshold_h": cfg.sleep_short_h},
        baseline=f"your usual night over the last {cfg.baseline_window_days} days",
        evidence=evidence.SLEEP_NEED)


def _names(signals: list[str]) -> str:
    return ", ".join(SIGNAL_NAMES[n] for n in signals)


def two_of_three(signals: dict[str, SignalVerdict], cfg: Config) -> Readiness:
    drifting = [n for n, v in signals.items() if v.state == DRIFTING]
    judged = [n for n, v in signals.items() if v.state not in (CALIBRATING, SPARSE)]
    unjudged = [v for v in signals.values() if v.missing]
    needed = cfg.readiness_signals_needed
    cut = len(drifting) >= needed
    enough = len(judged) >= needed
    if cut:
        msg = (f"{len(drifting)} of 3 signals drifting the wrong way ({_names(drifting)}): "
               f"the next 7 days lose {100 * cfg.readiness_volume_cut:.0f} % of volume and their "
               "quality sessions (the goal race stays).")
    elif enough:
        msg = f"{len(drifting)} of 3 signals drifting" + (f" ({_names(drifting)})" if drifting else "")
        msg += f"; {needed} are needed to cut training."
        if unjudged:
            msg += " Not judged: " + "; ".join(v.missing for v in unjudged) + "."
    else:
        msg = (f"Not enough data to judge readiness: {len(judged)} of the 3 signals can be judged and "
               f"{needed} are needed (" + "; ".join(v.missing for v in unjudged) + "). What to do: wear "
               "your watch or ring at night, at least 3 nights a week; each signal needs "
               f"{cfg.baseline_min_values} mornings over {cfg.baseline_min_span_days} days for its "
               f"baseline, then {cfg.short_window_min_values} in any {cfg.short_window_days} days.")
    reason = Reason(
        "readiness.two_of_three", msg,
        {"drifting": drifting, "judged": judged, "needed": needed},
        baseline="each signal against its own baseline (see the signals)",
        changed="next 7 days reduced" if cut else "",
        evidence=evidence.TWO_OF_THREE,
    )
    return Readiness(signals, drifting, judged, enough, cut, reason, [])


def readiness_today(rs: ReadinessSeries, t: int, cfg: Config, grid: DailyGrid) -> Readiness:
    readiness = two_of_three({
        "hrv": hrv_verdict(rs.hrv, t, cfg, grid),
        "rhr": rhr_verdict(rs.rhr, t, cfg, grid),
        "sleep": sleep_verdict(rs.sleep, t, cfg, grid),
    }, cfg)
    habit = sleep_habit(rs.sleep, t, cfg)
    readiness.standing = [habit] if habit else []
    return readiness
