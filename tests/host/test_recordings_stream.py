"""Recordings read part by part (`stridepod analyze`): the same result as read whole, on
real recordings cut into parts at awkward places; and sidecars or sample times that
would make the result wrong are one line naming the file, never a traceback or a silently
wrong cadence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stridepod.recordings import dumpfile
from stridepod.recordings.replay import replay, replay_stream

DUMPS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "dumps"
# a foot IMU with gyro, an 8-zone insole, a 2-axis sacrum accelerometer at 500 Hz, a
# 150,000-row ankle run (three parts of the default size)
RECORDINGS = ("gaitmap_walk_left", "gaitpdb_JuCo01_01_left", "alcantara_run_03",
              "adept_outdoor_run_left_ankle")


@pytest.mark.parametrize("name", RECORDINGS)
def test_read_in_parts_is_the_same_as_read_whole(name):
    whole = replay(dumpfile.load(DUMPS / name))
    rows = dumpfile.open_stream(DUMPS / name)
    for size in (977, dumpfile.PART_ROWS):  # a prime: parts end anywhere in a window
        stream = dumpfile.open_stream(DUMPS / name)
        parts = replay_stream(stream, rows=size)
        assert parts.windows == whole.windows and parts.initial_contacts_s == whole.initial_contacts_s
        assert parts.final_contacts_s == whole.final_contacts_s and parts.impact_g == whole.impact_g
        assert stream.samples == dumpfile.load(DUMPS / name).samples
    assert rows.gaps == 0


def recording(folder: Path, source: str, meta: dict | None = None,
              rows: list[str] | None = None) -> Path:
    """A copy of a real recording with its sidecar changed by `meta` (None values
    removed) or its data rows replaced."""
    csv = folder / f"{source}.csv"
    shutil.copy(DUMPS / f"{source}.csv", csv)
    if rows is not None:
        header = csv.read_text().splitlines()[0]
        csv.write_text("\n".join([header, *rows]) + "\n")
    side = json.loads((DUMPS / f"{source}.json").read_text())
    side.update(meta or {})
    (folder / f"{source}.json").write_text(json.dumps({k: v for k, v in side.items()
                                                       if v is not None}))
    return csv


INSOLE = "gaitpdb_JuCo01_01_left"


@pytest.mark.parametrize(("meta", "message"), [
    ({"pressure_zones": "heel, toes"}, "pressure_zones must be a list"),
    ({"pressure_zones": {"L1": [0, 0]}}, "pressure_zones must be a list"),
    ({"pressure_zones": [1, 2, 3, 4, 5, 6, 7, 8]}, "pressure zone 1 must be an object"),
    ({"pressure_zones": [{"name": "L1"}] * 8}, "pressure zone 1: x must be a number"),
    ({"pressure_zones": [{"x": "left", "y": 0}] * 8}, "x must be a number"),
    ({"pressure_zones": [{"x": 0, "y": float("nan")}] * 8}, "y must be a number"),
    ({"pressure_zones": [{"x": 1e300, "y": 0}] * 8}, "x must be a number within"),
    ({"pressure_zones": [{"x": True, "y": 0}] * 8}, "x must be a number"),
    ({"pressure_zones": [{"x": 0, "y": 0, "name": 7}] * 8}, "name must be text"),
    ({"pressure_zones": []}, "no pressure_zones in the sidecar"),
    ({"pressure_zones": None}, "no pressure_zones in the sidecar"),
    ({"pressure_zones": [{"x": 0, "y": 0}] * 7}, "declares 7 pressure zones, CSV has 8"),
    ({"units": ["N"]}, "units must be an object"),
    ({"units": {"p": "psi"}}, "pressure unit 'psi' unknown"),
    ({"rate_hz": 50}, "but the sidecar's rate_hz is 50"),
    ({"rate_hz": 101.5}, "(100 Hz) but the sidecar's rate_hz is 101.5"),
    ({"rate_hz": True}, "rate_hz must be a number"),
])
def test_a_bad_sidecar_is_one_line(stridepod_cli, tmp_path, meta, message):
    result = stridepod_cli("analyze", recording(tmp_path, INSOLE, meta))
    assert result.exit_code == 2, result.stdout[-300:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines


def test_more_zones_than_the_engine_takes_is_one_line(stridepod_cli, tmp_path):
    rows = [",".join(["%.2f" % (i / 100)] + ["1"] * 17) for i in range(300)]
    csv = recording(tmp_path, INSOLE, {"pressure_zones": [{"x": 0, "y": i} for i in range(17)]},
                    rows)
    csv.write_text(csv.read_text().replace(
        csv.read_text().splitlines()[0], "t," + ",".join(f"p{i}" for i in range(1, 18))))
    result = stridepod_cli("analyze", csv)
    assert result.exit_code == 2 and "17 pressure zones; the pod's engine takes up to 16" in result.stderr


def test_samples_at_another_rate_than_the_sidecar_says_are_refused(stridepod_cli, tmp_path):
    # the real walk's rows with every other one left out: t at 102.4 Hz, sidecar 204.8 Hz
    rows = (DUMPS / "gaitmap_walk_left.csv").read_text().splitlines()[1::2]
    result = stridepod_cli("analyze", recording(tmp_path, "gaitmap_walk_left", None, rows))
    assert result.exit_code == 2
    assert "samples are 0.00977 s apart (102.4 Hz) but the sidecar's rate_hz is 204.8" in result.stderr


def test_gaps_in_the_sample_times_are_a_note(stridepod_cli, tmp_path):
    rows = (DUMPS / "gaitmap_walk_left.csv").read_text().splitlines()[1:]
    del rows[2000:2205]  # a second of samples lost, as a recording over a lossy link
    del rows[5000:5010]
    result = stridepod_cli("analyze", recording(tmp_path, "gaitmap_walk_left", None, rows),
                           "--json")
    assert result.exit_code == 0, result.stderr
    (note,) = json.loads(result.stdout)["notes"]
    assert note.startswith("gaitmap_walk_left: 2 gaps in t (1.05 s without samples)"), note
    text = stridepod_cli("analyze", recording(tmp_path, "gaitmap_walk_left", None, rows))
    assert "note: gaitmap_walk_left: 2 gaps in t" in text.stdout
