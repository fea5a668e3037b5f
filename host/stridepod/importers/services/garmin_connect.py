"""Garmin Connect's CSV exports (connect.garmin.com, "Export CSV" on a list).

Activities ("All Activities"): `Activity Type` (Running, Treadmill Running, Trail Running,
Walking, Hiking, Cycling, ...), `Date` ("2025-02-06 17:06:03", local), `Distance` (km
for a metric account), `Time` (timer time "00:31:24"), `Moving Time`, `Elapsed Time`,
`Avg HR`, `Max HR`, `Avg Run Cadence` (steps/min); "--" for none, numbers may carry
thousands separators or decimal commas. Sleep (Health Stats > Sleep, daily view):
`Sleep Score 4 Weeks` (the date column), `Resting Heart Rate`, `HRV Status` (the night's
HRV, ms), `Duration` ("7h 55min"); `7 Day Average HRV` is a weekly average and not used.
Headers as found in real exports quoted by public projects that read them."""

from stridepod.importers.services.formats import ActivityFormat, WellnessFormat, duration_to_hours

GARMIN_ACTIVITIES_CSV = ActivityFormat(
    name="Garmin Connect activities CSV",
    based_on="Garmin Connect activities export header (Activity Type,Date,Favorite,Title,Distance,...)",
    signature=("Activity Type", "Date", "Distance"),
    start=("Date",), sport=("Activity Type",), duration_s=("Time", "Moving Time", "Elapsed Time"),
    distance=("Distance",), distance_km=lambda km: km,
    avg_hr=("Avg HR",), max_hr=("Max HR",), cadence=("Avg Run Cadence",),
)

GARMIN_SLEEP_CSV = WellnessFormat(
    name="Garmin Connect sleep CSV",
    based_on="Garmin Connect sleep export header (Sleep Score 4 Weeks,Score,Resting Heart Rate,...)",
    signature=("Sleep Score 4 Weeks",),
    date=("Sleep Score 4 Weeks",), resting_hr=("Resting Heart Rate",), rmssd_ms=("HRV Status",),
    sleep=("Duration",), sleep_h=duration_to_hours,
)
