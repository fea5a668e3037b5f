"""Oura's CSV export (cloud.ouraring.com, "Export data", the daily trends CSV): one row per
day with `date`, `Lowest Resting Heart Rate` (bpm: what Oura calls resting heart rate),
`Average HRV` (the night's rMSSD, ms) and `Total Sleep Time` (s; `Total Sleep Duration`
in newer exports). Header as in real exports quoted by public projects that read them."""

from stridepod.importers.services.formats import WellnessFormat, seconds_to_hours

OURA_CSV = WellnessFormat(
    name="Oura CSV",
    based_on="Oura trends export header (date,...,Lowest Resting Heart Rate,Average HRV,...)",
    signature=("date", "Average HRV"),
    date=("date",), resting_hr=("Lowest Resting Heart Rate",), rmssd_ms=("Average HRV",),
    sleep=("Total Sleep Time", "Total Sleep Duration"), sleep_h=seconds_to_hours,
)
