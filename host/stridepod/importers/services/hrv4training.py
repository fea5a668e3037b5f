"""HRV4Training's CSV export (the app's "Export data" e-mail): one row per morning
measurement with `date`, `HR` (bpm, the morning measurement), `rMSSD` (ms), `AVNN`, `SDNN`,
`pNN50`, `LF`, `HF`, `HRV4T_Recovery_Points` and the day's tags (`sleep_time`,
`sleep_quality`, `trainingRPE`, ...); "-" marks a missing value. Header names as read by
GoldenCheetah's HRV4Training measures import (rMSSD, HR, AVNN, SDNN, pNN50, LF, HF,
HRV4T_Recovery_Points; also the `_lying` variants of older exports)."""

from stridepod.importers.services.formats import WellnessFormat

HRV4TRAINING_CSV = WellnessFormat(
    name="HRV4Training CSV",
    based_on="HRV4Training export columns as read by GoldenCheetah (date, HR, rMSSD, ...)",
    signature=("date", "HR", "rMSSD"),
    date=("date",), resting_hr=("HR", "HR_lying"), rmssd_ms=("rMSSD", "rMSSD_lying"),
    sleep=("sleep_time",),  # hours, as entered in the app
)
