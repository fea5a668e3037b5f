"""intervals.icu: the wellness CSV (Settings, "Download wellness CSV"; the API's
/athlete/{id}/wellness.csv) and the activities CSV (/athlete/{id}/activities.csv).

Both use the field names of intervals.icu's published API model (its OpenAPI schema):
wellness `date` (`id` in the JSON), `restingHR` (bpm), `hrv` (rMSSD, ms; `hrvSDNN` is
SDNN and not used), `sleepSecs` (s); activities `start_date_local`, `type` (Run,
VirtualRun, TrailRun, Walk, Hike, Ride, ...), `moving_time` and `elapsed_time` (s),
`distance` (m), `average_heartrate`, `max_heartrate`, `average_cadence`, `icu_rpe`."""

from stridepod.importers.services.formats import ActivityFormat, WellnessFormat, seconds_to_hours

INTERVALS_WELLNESS_CSV = WellnessFormat(
    name="intervals.icu wellness CSV",
    based_on="intervals.icu API wellness model (restingHR, hrv, sleepSecs)",
    signature=("restingHR", "sleepSecs"),
    date=("date", "id"), resting_hr=("restingHR",), rmssd_ms=("hrv",), sleep=("sleepSecs",),
    sleep_h=seconds_to_hours,
)

INTERVALS_ACTIVITIES_CSV = ActivityFormat(
    name="intervals.icu activities CSV",
    based_on="intervals.icu API activity model (start_date_local, type, moving_time, distance)",
    signature=("start_date_local", "type", "moving_time"),
    start=("start_date_local",), sport=("type",), duration_s=("moving_time", "elapsed_time"),
    distance=("distance",), distance_km=lambda m: m / 1000.0,
    avg_hr=("average_heartrate",), max_hr=("max_heartrate",), cadence=("average_cadence",),
    rpe=("icu_rpe", "perceived_exertion"),
)
