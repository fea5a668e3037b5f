"""Exports of the services runners use, one module per service: intervals.icu,
HRV4Training, Garmin Connect, Oura (CSV, described as data in `formats`) and Apple Health
(`apple_health`, streamed XML). `CSV_FORMATS` lists the CSV ones in the order they are
tried against a file's header."""

from stridepod.importers.services import garmin_connect, hrv4training, intervals_icu, oura
from stridepod.importers.services.formats import ActivityFormat, WellnessFormat

CSV_FORMATS: tuple[WellnessFormat | ActivityFormat, ...] = (
    intervals_icu.INTERVALS_WELLNESS_CSV, intervals_icu.INTERVALS_ACTIVITIES_CSV, hrv4training.HRV4TRAINING_CSV,
    garmin_connect.GARMIN_ACTIVITIES_CSV, garmin_connect.GARMIN_SLEEP_CSV, oura.OURA_CSV,
)
