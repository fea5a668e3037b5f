"""Service exports, each on a file shaped like the real export (header as the service
writes it; the source of each header is named at its fixture), the range checks on every
path, and the messages that tell the runner what to do."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest

from stridepod.store.database import Store

# intervals.icu wellness CSV: field names of intervals.icu's published API wellness model
INTERVALS_WELLNESS = (
    "date,weight,restingHR,hrv,hrvSDNN,sleepSecs,sleepScore,sleepQuality,avgSleepingHR,soreness,fatigue\n"
    "2024-03-01,71.2,48,72.5,81,27000,82,2,52,,\n"
    "2024-03-02,71.0,254,65.1,,2592000,75,2,53,,\n"  # resting HR 254 and 720 h of sleep
)
# intervals.icu activities CSV: field names of intervals.icu's API activity model
INTERVALS_ACTIVITIES = (
    "id,start_date_local,type,name,moving_time,elapsed_time,distance,average_heartrate,max_heartrate,"
    "average_cadence,icu_rpe,icu_training_load\n"
    "i1001,2024-03-01T06:45:10,Run,Morning Run,2712,2800,8012.5,148,171,86.2,4,55\n"
    "i1002,2024-03-01T17:00:00,Ride,Commute,1800,1900,12000,120,140,80,,20\n"
    "i1003,2024-03-02T07:00:00,Hike,Hill,4000001,7300,9000,110,130,,,40\n"  # 66,667 min
    "i1004,2024-03-03T07:00:00,Run,Tempo,1800,1850,6000,160,175,508,,40\n"  # cadence 508
)
# HRV4Training export: columns as read by GoldenCheetah's HRV4Training import ("-" = none)
HRV4TRAINING = (
    "date,time,HR,AVNN,SDNN,rMSSD,pNN50,LF,HF,HRV4T_Recovery_Points,sleep_time,sleep_quality,trainingRPE\n"
    "2024-03-01,06:58,52,1153,61.2,78.4,40,1200,900,8.1,7.5,7,5\n"
    "2024-03-02,07:05,-,-,-,74.0,-,-,-,7.9,-,-,-\n"
)
# Garmin Connect activities export: header of a real export quoted by public projects
GARMIN_ACTIVITIES = (
    "Activity Type,Date,Favorite,Title,Distance,Calories,Time,Avg HR,Max HR,Aerobic TE,Avg Run Cadence,"
    "Max Run Cadence,Avg Pace,Best Pace,Total Ascent,Total Descent,Avg Stride Length,Moving Time,Elapsed Time\n"
    'Running,2025-02-06 17:06:03,false,"Wellington Running","5.48","447","00:31:24","153","176","3.6",'
    '"153","173","5:44","4:06","215","200","1.15","00:31:00","00:32:10"\n'
    'Strength Training,2025-02-07 18:00:00,false,"Strength","0.00","250","00:55:00","110","140","1.2",'
    '"--","--","--","--","--","--","0.00","00:55:00","00:55:00"\n'
    'Walking,2025-02-08 12:00:00,false,"Walk","2,10","1,020","00:30:00","95","110","0.5","--","--",'
    '"14:17","--","--","--","--","00:30:00","00:30:00"\n'
)
# Garmin Connect sleep export (daily view): header of real exports quoted by public projects
GARMIN_SLEEP = (
    "Sleep Score 4 Weeks,Score,Resting Heart Rate,Body Battery,Pulse Ox,Respiration,Skin Temp Change,"
    "HRV Status,Quality,Duration,Sleep Need,Bedtime,Wake Time\n"
    '2025-11-07,88,53,72,96.18,14.63,+0.3°,34,Good,7h 55min,8h 0min,11:02 PM,6:57 AM\n'
    '"Nov 8, 2025",76,52,"+35",97,15,,48,Good,5h 8min,9h 0min,12:31 AM,6:04 AM\n'
)
# Oura trends export: header of a real export quoted by public projects (first columns)
OURA = (
    "date,Sleep Score,Total Sleep Score,REM Sleep Score,Deep Sleep Score,Total Bedtime,Total Sleep Time,"
    "Awake Time,Average Resting Heart Rate,Lowest Resting Heart Rate,Average HRV,Readiness Score\n"
    "2020-03-04,74,74,34,99,27300,24690,2610,55.1,49,61,80\n"
    "2020-03-04,80,80,40,99,27000,25000,2000,54.0,48,,82\n"  # the same date again
)
# Apple Health export.xml: element and attribute names of Apple's export (HealthKit identifiers)
APPLE_HEALTH = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
]>
<HealthData locale="en_GB">
 <ExportDate value="2024-03-05 08:00:00 +0100"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1990-01-01"/>
 <Record type="HKQuantityTypeIdentifierRestingHeartRate" sourceName="Watch" unit="count/min" creationDate="2024-03-02 09:00:00 +0100" startDate="2024-03-02 00:01:00 +0100" endDate="2024-03-02 23:59:00 +0100" value="50"/>
 <Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" sourceName="Watch" unit="ms" creationDate="2024-03-02 03:00:00 +0100" startDate="2024-03-02 03:00:00 +0100" endDate="2024-03-02 03:01:00 +0100" value="45"/>
 <Record type="HKCategoryTypeIdentifierSleepAnalysis" sourceName="Watch" creationDate="2024-03-02 07:00:00 +0100" startDate="2024-03-01 23:00:00 +0100" endDate="2024-03-02 03:00:00 +0100" value="HKCategoryValueSleepAnalysisAsleepCore"/>
 <Record type="HKCategoryTypeIdentifierSleepAnalysis" sourceName="Watch" creationDate="2024-03-02 07:00:00 +0100" startDate="2024-03-02 03:00:00 +0100" endDate="2024-03-02 06:30:00 +0100" value="HKCategoryValueSleepAnalysisAsleepDeep"/>
 <Record type="HKCategoryTypeIdentifierSleepAnalysis" sourceName="Phone" creationDate="2024-03-02 07:00:00 +0100" startDate="2024-03-02 02:00:00 +0100" endDate="2024-03-02 04:00:00 +0100" value="HKCategoryValueSleepAnalysisAsleepUnspecified"/>
 <Record type="HKCategoryTypeIdentifierSleepAnalysis" sourceName="Phone" creationDate="2024-03-02 07:00:00 +0100" startDate="2024-03-01 22:30:00 +0100" endDate="2024-03-02 07:00:00 +0100" value="HKCategoryValueSleepAnalysisInBed"/>
 <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="45.5" durationUnit="min" sourceName="Watch" creationDate="2024-03-02 08:00:00 +0100" startDate="2024-03-02 07:10:00 +0100" endDate="2024-03-02 07:55:30 +0100">
  <MetadataEntry key="HKIndoorWorkout" value="0"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" startDate="2024-03-02 07:10:00 +0100" endDate="2024-03-02 07:55:30 +0100" average="151" minimum="95" maximum="172" unit="count/min"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" startDate="2024-03-02 07:10:00 +0100" endDate="2024-03-02 07:55:30 +0100" sum="8.4" unit="km"/>
 </Workout>
 <Workout workoutActivityType="HKWorkoutActivityTypeCycling" duration="60" durationUnit="min" startDate="2024-03-03 07:10:00 +0100" endDate="2024-03-03 08:10:00 +0100"/>
</HealthData>
"""
# GPX 1.1 as Garmin Connect exports a run: <type>running</type>, Garmin TrackPointExtension v1 HR
GPX_RUN = """<?xml version="1.0" encoding="UTF-8"?>
<gpx creator="Garmin Connect" version="1.1" xmlns="http://www.topografix.com/GPX/1/1"
 xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
 <trk><name>Run</name><type>running</type><trkseg>
  <trkpt lat="46.0000" lon="14.0000"><time>2024-03-01T06:00:00Z</time>
   <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>120</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>
  <trkpt lat="46.0090" lon="14.0000"><time>2024-03-01T06:05:00Z</time>
   <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>140</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>
 </trkseg></trk>
</gpx>
"""


def _import(stridepod_cli, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return stridepod_cli("import", path)


def _store(tmp_path) -> Store:
    return Store.open(tmp_path / "stridepod.db")


def test_intervals_icu_wellness_flags_impossible_values_with_file_and_record(stridepod_cli, tmp_path):
    result = _import(stridepod_cli, tmp_path, "wellness.csv", INTERVALS_WELLNESS)
    assert result.exit_code == 0, result.stderr
    assert "intervals.icu wellness CSV, 2 rows read, 2 added or changed (2 mornings)" in result.stdout
    assert "columns not used: weight, hrvSDNN, sleepScore" in result.stdout
    assert f"warning: {tmp_path / 'wellness.csv'}: line 3: resting_hr 254 is outside 25..130 bpm" in result.stderr
    assert "line 3: sleep_h 720 is outside 0..24 h: value not stored" in result.stderr
    with _store(tmp_path) as store:
        days = store.wellness_days()
    assert [(d["date"], d["resting_hr"], d["rmssd_ms"], d["sleep_h"]) for d in days] == [
        ("2024-03-01", 48.0, 72.5, 7.5), ("2024-03-02", None, 65.1, None)]


def test_intervals_icu_activities_runs_walks_and_refused_records(stridepod_cli, tmp_path):
    result = _import(stridepod_cli, tmp_path, "activities.csv", INTERVALS_ACTIVITIES)
    assert result.exit_code == 0, result.stderr
    assert "not runs or walks, skipped: 1 Ride" in result.stdout
    assert "line 4: duration_min 66666.7 is outside 0.1..2880 min: run refused" in result.stderr
    assert "line 5: cadence_spm 508 is outside 60..260 steps/min: value not stored" in result.stderr
    with _store(tmp_path) as store:
        runs = store.runs()
    assert [(r["start"], r["duration_min"], r["distance_km"], r["avg_hr"], r["cadence_spm"], r["rpe"])
            for r in runs] == [("2024-03-01T06:45:10", 45.2, 8.0125, 148.0, 172.4, 4.0),
                               ("2024-03-03T07:00:00", 30.0, 6.0, 160.0, None, None)]


def test_hrv4training_mornings(stridepod_cli, tmp_path):
    result = _import(stridepod_cli, tmp_path, "MyMeasurements.csv", HRV4TRAINING)
    assert result.exit_code == 0, result.stderr
    with _store(tmp_path) as store:
        days = store.wellness_days()
    assert [(d["date"], d["resting_hr"], d["rmssd_ms"], d["sleep_h"]) for d in days] == [
        ("2024-03-01", 52.0, 78.4, 7.5), ("2024-03-02", None, 74.0, None)]
    assert "HRV4Training CSV" in result.stdout


def test_garmin_connect_activities_and_sleep(stridepod_cli, tmp_path):
    result = _import(stridepod_cli, tmp_path, "Activities.csv", GARMIN_ACTIVITIES)
    assert result.exit_code == 0, result.stderr
    assert "1 Strength Training" in result.stdout
    sleep = _import(stridepod_cli, tmp_path, "Sleep.csv", GARMIN_SLEEP)
    assert sleep.exit_code == 0, sleep.stderr
    with _store(tmp_path) as store:
        runs, days = store.runs(), store.wellness_days()
    assert [(r["start"], r["duration_min"], r["distance_km"], r["avg_hr"], r["cadence_spm"], r["kind"])
            for r in runs] == [("2025-02-06T17:06:03", 31.4, 5.48, 153.0, 153.0, ""),
                               ("2025-02-08T12:00:00", 30.0, 2.1, 95.0, None, "walk_run")]
    assert [(d["date"], d["resting_hr"], d["rmssd_ms"], round(d["sleep_h"], 3)) for d in days] == [
        ("2025-11-07", 53.0, 34.0, 7.917), ("2025-11-08", 52.0, 48.0, 5.133)]


def test_oura_mornings_and_a_date_given_twice(stridepod_cli, tmp_path):
    result = _import(stridepod_cli, tmp_path, "oura_trends.csv", OURA)
    assert result.exit_code == 0, result.stderr
    assert "line 3: 2020-03-04 was already given by line 2; its values are merged" in result.stdout
    with _store(tmp_path) as store:
        [day] = store.wellness_days()
    assert (day["resting_hr"], day["rmssd_ms"], round(day["sleep_h"], 3)) == (48.0, 61.0, 6.944)


def test_apple_health_export_zip_streamed(stridepod_cli, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("apple_health_export/export.xml", APPLE_HEALTH)
        zf.writestr("apple_health_export/export_cda.xml", "<ClinicalDocument/>")
        zf.writestr("apple_health_export/workout-routes/route_1.gpx", "<gpx/>")
    result = stridepod_cli("import", archive)
    assert "export.zip:apple_health_export/export.xml: Apple Health export.xml" in result.stdout
    assert "1 HRV values are SDNN (Apple's measure), not rMSSD: not used" in result.stdout
    with _store(tmp_path) as store:
        [run], [day] = store.runs(), store.wellness_days()
    assert (run["start"], run["duration_min"], run["distance_km"], run["avg_hr"], run["max_hr"]) == (
        "2024-03-02T07:10:00", 45.5, 8.4, 151.0, 172.0)
    # 23:00-06:30 asleep (watch), the phone's 02:00-04:00 overlaps it; in bed is not sleep
    assert (day["date"], day["resting_hr"], day["sleep_h"]) == ("2024-03-02", 50.0, 7.5)
    # the CDA document is XML of another kind, the route a GPX without type: not runs
    assert result.exit_code == 2 and "export_cda.xml: an XML file that is not TCX" in result.stderr


def test_gpx_run_with_garmin_heart_rate_extension(stridepod_cli, tmp_path):
    result = _import(stridepod_cli, tmp_path, "run.gpx", GPX_RUN)
    assert result.exit_code == 0, result.stderr
    with _store(tmp_path) as store:
        [run] = store.runs()
    assert (run["duration_min"], run["avg_hr"], run["max_hr"]) == (5.0, 130.0, 140.0)
    assert run["distance_km"] == pytest.approx(1.0008, abs=1e-3)  # 0.009 deg of latitude
    assert dt.datetime.fromisoformat(run["start"]).astimezone(dt.UTC) == dt.datetime(2024, 3, 1, 6, tzinfo=dt.UTC)


def test_unknown_csv_names_its_header_and_the_columns_to_rename(stridepod_cli, tmp_path):
    result = _import(stridepod_cli, tmp_path, "mine.csv", "Day,RHR,HRV,Mood\n2024-03-01,50,70,good\n")
    assert result.exit_code == 2
    assert result.stderr == (f"error: {tmp_path / 'mine.csv'}: not a CSV stridepod knows; its header is "
                             "\"Day,RHR,HRV,Mood\"; closest: the wellness CSV (date,resting_hr,rmssd_ms,sleep_h): "
                             "rename \"Day\" -> date; \"RHR\" -> resting_hr; \"HRV\" -> rmssd_ms\n")


def test_stridepod_csv_lists_ignored_columns_and_reports_a_date_twice(stridepod_cli, tmp_path):
    result = _import(stridepod_cli, tmp_path, "w.csv",
                     "date,resting_hr,mood\n2024-03-01,50,ok\n2024-03-01,,tired\n2024-03-02,51,\n")
    assert result.exit_code == 0, result.stderr
    assert "w.csv:3: 2024-03-01 is also on line 2; the values of both lines are merged" in result.stdout
    assert "columns not used: mood" in result.stdout
    plan = _import(stridepod_cli, tmp_path, "p.csv", "date,kind,duration_min\n2024-03-04,easy,30\n2024-03-04,rest,\n")
    assert plan.exit_code == 2 and "p.csv:3: 2024-03-04 is already planned on line 2" in plan.stderr


def test_bulk_import_goes_on_after_a_failure_and_counts(stridepod_cli, tmp_path):
    folder = tmp_path / "export"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "wellness.csv").write_text(INTERVALS_WELLNESS)
    (folder / "broken.fit").write_bytes(b"\x0e\x10\x00\x00\x05\x00\x00\x00.FIT\x00\x00abc")
    (folder / "notes.txt").write_text("hello")
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("a/HRV4T.csv", HRV4TRAINING)
    with zipfile.ZipFile(folder / "bulk.zip", "w") as zf:
        zf.write(inner, "nested/inner.zip")
    result = stridepod_cli("--quiet", "import", folder)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: {folder / 'broken.fit'}: FIT file is damaged (truncated")
    loud = stridepod_cli("import", folder)
    assert f"{folder / 'bulk.zip'}:nested/inner.zip:a/HRV4T.csv: already imported" in loud.stdout
    assert f"{folder / 'notes.txt'}: skipped: not a data file (.txt)" in loud.stdout
    assert "0 files imported (0 runs, 0 walks, 0 mornings), 2 already imported, 1 skipped, 1 failed" in loud.stdout
