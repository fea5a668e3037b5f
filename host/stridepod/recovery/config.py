"""Every threshold of the recovery model, with the defaults from issue 7 and docs/recovery.md."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from stridepod.errors import StridepodError


@dataclass(frozen=True)
class Config:
    # --- readiness: baselines
    short_window_days: int = 7
    short_window_min_values: int = 3  # Plews 2014: 3 mornings a week make a usable weekly mean
    baseline_window_days: int = 60
    baseline_min_values: int = 9  # calibrated: 3 weeks of a device worn 3 nights a week ...
    baseline_min_span_days: int = 14  # ... spread over at least 2 weeks
    baseline_full_values: int = 20  # from here on the baseline's confidence is good, before low
    normal_range_sd: float = 0.75
    hrv_sd_floor_ln: float = 0.05  # ln(rMSSD) SD floor: a tiny spread cannot make huge z
    rhr_sd_floor_bpm: float = 1.0
    rhr_min_rise_bpm: float = 3.0  # a rise smaller than this never fires, whatever the SD
    hrv_drop_mornings: int = 3  # falling this many mornings in a row is its own trigger
    glitch_mad: float = 4.0  # single values this many robust SDs from the 60-day median are dropped
    # plausible ranges (outside = device artifact, dropped)
    rhr_range_bpm: tuple[float, float] = (30.0, 120.0)
    rmssd_range_ms: tuple[float, float] = (5.0, 250.0)
    sleep_range_h: tuple[float, float] = (2.0, 16.0)
    # --- sleep
    sleep_short_h: float = 7.0
    sleep_short_nights: int = 3  # of the last 7, and the 7-day mean under the person's usual:
    sleep_drop_min_h: float = 0.5  # at least this far (and normal_range_sd SD) under it
    sleep_sd_floor_h: float = 0.25
    sleep_target_high_volume_h: float = 8.0
    high_volume_min_per_week: float = 360.0  # running minutes in 7 days that count as high volume
    # --- two of three
    readiness_signals_needed: int = 2
    readiness_volume_cut: float = 0.30  # fraction of volume removed from the next 7 days
    # --- load
    ctl_days: int = 42
    atl_days: int = 7
    acwr_method: str = "coupled"  # coupled | uncoupled | ewma
    acwr_chronic_days: int = 28
    acwr_band: tuple[float, float] = (0.8, 1.3)
    acwr_danger: float = 1.5
    monotony_warn: float = 1.5
    monotony_critical: float = 2.0
    trimp_to_srpe: float = 3.0  # scales Banister TRIMP to session-RPE units when RPE is missing
    assumed_rpe: float = 4.0  # runs with neither RPE nor HR
    sex: str = "male"  # Banister TRIMP constant B: 1.92 male, 1.67 female (GoldenCheetah)
    hr_max: float | None = None  # None = highest max_hr seen in runs
    hr_rest: float | None = None  # None = median resting HR of the last 60 days
    spike_ratio: float = 1.10
    spike_lookback_days: int = 30
    weekly_growth_max: float = 0.10
    weekly_growth_min_base_min: float = 60.0  # below this the previous week is no base
    # --- block structure and deloads
    deload_every_weeks: int = 4  # 3..6
    deload_volume: float = 0.5
    deload_detect_ratio: float = 0.65  # a week under this share of the 3 before was a step-back
    quality_per_week: int = 2
    post_block_strength_days: int = 2
    hr_recheck_pace_band_s: float = 15.0  # same pace = within this many s/km
    hr_recheck_tolerance_bpm: float = 2.0
    # --- return to run
    layoff_days: int = 21
    rebuild_weeks_before_intensity: int = 3
    return_first_week_min: float = 60.0  # walk-run minutes in the first week back
    return_growth_max: float = 0.10
    # --- pain
    pain_ok_max: float = 3.0
    pain_step_back_volume: float = 0.8
    pain_progress_growth: float = 0.10
    # --- gait
    gait_baseline_days: int = 60
    gait_recent_days: int = 14
    gait_min_baseline_runs: int = 3
    gait_min_recent_runs: int = 2
    gait_pace_band_s: float = 20.0
    gait_effort_band_bpm: float = 6.0
    cadence_drop_spm: float = 3.0
    impact_rise_frac: float = 0.10
    asymmetry_rise_pct: float = 3.0
    strike_shift: float = 0.20

    def __post_init__(self) -> None:
        if not 3 <= self.deload_every_weeks <= 6:
            raise StridepodError(
                f"deload_every_weeks must be 3..6, got {self.deload_every_weeks}"
            )
        if self.acwr_method not in ("coupled", "uncoupled", "ewma"):
            raise StridepodError(f"acwr_method must be coupled, uncoupled or ewma, not {self.acwr_method!r}")
        if self.sex not in ("male", "female"):
            raise StridepodError(f"sex must be male or female, not {self.sex!r}")
        if not 0 < self.readiness_volume_cut < 1 or not 0 < self.deload_volume < 1:
            raise StridepodError("volume cuts must be fractions between 0 and 1")
        for short, long_, needed, name in (
            (self.short_window_days, self.baseline_window_days, self.short_window_min_values, "short window"),
            (self.baseline_window_days, self.baseline_window_days, self.baseline_min_values, "baseline window"),
            (self.baseline_window_days, self.baseline_window_days, self.baseline_full_values, "baseline window"),
            (self.baseline_min_span_days, self.baseline_window_days, 1, "baseline span"),
        ):
            if not 1 <= needed <= short <= long_:
                raise StridepodError(f"{name}: need 1 <= minimum values <= window days <= baseline days "
                                     f"(got {needed}, {short}, {long_})")
        if self.baseline_full_values < self.baseline_min_values:
            raise StridepodError("baseline_full_values must be at least baseline_min_values")
        if not 1 <= self.sleep_short_nights <= self.short_window_days:
            raise StridepodError(f"sleep_short_nights is out of the {self.short_window_days} nights of the short window")
        if self.spike_ratio <= 1 or self.weekly_growth_max < 0 or self.return_growth_max < 0:
            raise StridepodError("spike_ratio must be above 1 and growth limits not negative")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Config:
        """Overrides from a settings file; unknown names and wrong types are one-line errors."""
        unknown = sorted(set(values) - {f.name for f in fields(cls)})
        if unknown:
            raise StridepodError(f"unknown recovery setting(s): {', '.join(unknown)}")
        return cls(**{name: _convert(name, value, getattr(cls, name)) for name, value in values.items()})


def _convert(name: str, value: Any, default: Any) -> Any:
    """The value in the type of the setting's default (None defaults are optional floats)."""
    try:
        if isinstance(default, str):
            if not isinstance(value, str):
                raise TypeError
            return value
        if isinstance(default, tuple):
            converted = tuple(float(v) for v in value)
            if len(converted) != len(default):
                raise ValueError
            return converted
        if isinstance(default, int):
            if isinstance(value, bool) or float(value) != int(float(value)):
                raise ValueError
            return int(float(value))
        if default is None and value is None:
            return None
        if isinstance(value, bool):
            raise TypeError
        return float(value)
    except (TypeError, ValueError):
        raise StridepodError(f"recovery setting {name}: {value!r} is not valid") from None
