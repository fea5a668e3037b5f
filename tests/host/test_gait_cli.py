"""`stridepod analyze` and `stridepod evaluate` on real and on broken recordings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

DUMPS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "dumps"


def copy_recording(name: str, dest: Path, truth: bool = True) -> Path:
    for suffix in (".csv", ".json") + ((".truth.json",) if truth else ()):
        shutil.copy(DUMPS / (name + suffix), dest / (name + suffix))
    return dest / (name + ".csv")


def test_analyze_json_has_the_documented_fields(stridepod_cli):
    res = stridepod_cli("analyze", DUMPS / "alcantara_run_02.csv", "--json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    for key in ("initial_contacts_s", "final_contacts_s", "impact_g", "contact_ms",
                "cadence_spm", "steps", "windows"):
        assert key in out
    truth = json.loads((DUMPS / "alcantara_run_02.truth.json").read_text())
    assert len(out["initial_contacts_s"]) == len(truth["initial_contacts_s"])
    assert len(out["impact_g"]) == len(out["initial_contacts_s"])
    assert 180 < out["cadence_spm"] < 192  # force plate: 185 steps/min
    assert out["steps"] == sum(w["steps"] for w in out["windows"])
    # 4.96 s of samples: one partial window
    assert [(w["start_ms"], w["duration_ms"]) for w in out["windows"]] == [(0, 4960)]


@pytest.mark.parametrize("engine", ["firmware", "reference"])
def test_analyze_prints_a_summary_for_a_foot_pod(stridepod_cli, engine):
    res = stridepod_cli("analyze", DUMPS / "gaitmap_walk_right", "--engine", engine)
    assert res.exit_code == 0, res.stderr
    assert "one foot: 2 per stride" in res.stdout
    assert "swing time" in res.stdout and "stride time" in res.stdout
    assert f"{engine} engine" in res.stdout


def test_evaluate_scores_a_folder_it_has_not_seen(stridepod_cli, tmp_path):
    copy_recording("gaitmap_walk_left", tmp_path)
    copy_recording("alcantara_run_07", tmp_path)
    copy_recording("adept_outdoor_run_left_ankle", tmp_path, truth=False)  # no truth: skipped
    res = stridepod_cli("evaluate", tmp_path, "--json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert sorted(out["recordings"]) == ["alcantara_run_07", "gaitmap_walk_left"]
    assert out["overall"]["recordings"] == 2
    assert out["families"]["gaitmap"]["initial_contacts"]["f1"] >= 0.98
    gaitmap = out["families"]["gaitmap"]
    assert set(gaitmap["initial_contacts_by_window"]) == {"50ms", "100ms"}
    assert gaitmap["initial_contacts_own_window"]["window_ms"] == [50]
    assert set(gaitmap["initial_contacts"]["missed_by_cause"]) == {"timing", "turn", "first_last",
                                                                   "other"}
    text = stridepod_cli("evaluate", tmp_path)
    assert "overall" in text.stdout and "gaitmap" in text.stdout
    assert "IC ±100 ms" in text.stdout and "while standing" in text.stdout


def test_evaluate_scores_a_foot_imu_annotation_in_its_own_window(stridepod_cli, tmp_path):
    copy_recording("ipol_1-1_left", tmp_path)
    out = json.loads(stridepod_cli("evaluate", tmp_path, "--json").stdout)
    ipol = out["families"]["ipol"]
    assert ipol["initial_contacts_own_window"]["window_ms"] == [100]
    assert (ipol["initial_contacts_own_window"]["f1"]
            == ipol["initial_contacts_by_window"]["100ms"]["f1"])
    assert out["recordings"]["ipol_1-1_left"]["own_window_ms"] == 100


def test_evaluate_a_truth_with_a_broken_stretch_is_one_line_with_exit_code_2(
        stridepod_cli, tmp_path):
    copy_recording("ipol_1-1_left", tmp_path)
    truth = json.loads((tmp_path / "ipol_1-1_left.truth.json").read_text())
    truth["turn_bounds_s"] = [14.74, 13.16]  # end before start
    (tmp_path / "ipol_1-1_left.truth.json").write_text(json.dumps(truth))
    res = stridepod_cli("evaluate", tmp_path)
    assert res.exit_code == 2
    assert res.stderr.strip().startswith("error:") and "ipol_1-1_left.truth.json" in res.stderr
    assert "turn_bounds_s" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def write_dump(folder: Path, csv_text: str, sidecar: dict | None) -> Path:
    path = folder / "bad.csv"
    path.write_text(csv_text)
    if sidecar is not None:
        (folder / "bad.json").write_text(json.dumps(sidecar))
    return path


SIDECAR = {"format": "stridepod-dump-csv/1", "rate_hz": 100, "placement": "left_foot"}


@pytest.mark.parametrize(("csv_text", "sidecar", "message"), [
    ("t,ax,ay,az,hr\n0,0,0,1,60\n0.01,0,0,1,61\n", SIDECAR, "unknown columns hr"),
    ("t,ax,ay,az\n0,0,0,1\n0.01,0,0,1\n", None, "missing sidecar"),
    ("t,ax,ay,az\n0,0,0,1\n0.02,0,0,1\n0.01,0,0,1\n", SIDECAR, "time does not increase"),
    ("t,ax,ay,az\n0,0,0,1\n0.01,nan,0,1\n", SIDECAR, "NaN"),
])
def test_analyze_bad_input_is_one_line_with_exit_code_2(stridepod_cli, tmp_path, csv_text,
                                                        sidecar, message):
    res = stridepod_cli("analyze", write_dump(tmp_path, csv_text, sidecar))
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], res.stderr


def test_evaluate_empty_folder_is_one_line_with_exit_code_2(stridepod_cli, tmp_path):
    res = stridepod_cli("evaluate", tmp_path)
    assert res.exit_code == 2
    assert res.stderr.strip().startswith("error:") and "no recordings" in res.stderr
    missing = stridepod_cli("analyze", tmp_path / "nothing.csv")
    assert missing.exit_code == 2 and "no such recording" in missing.stderr


def test_analyze_both_feet_counts_every_strike_as_a_step(stridepod_cli):
    left = json.loads(stridepod_cli("analyze", DUMPS / "gaitmap_walk_left", "--json").stdout)
    both = stridepod_cli("analyze", DUMPS / "gaitmap_walk_left", "--other-foot",
                         DUMPS / "gaitmap_walk_right", "--json")
    assert both.exit_code == 0, both.stderr
    out = json.loads(both.stdout)
    right = json.loads(stridepod_cli("analyze", DUMPS / "gaitmap_walk_right", "--json").stdout)
    assert len(out["initial_contacts_s"]) == (len(left["initial_contacts_s"])
                                              + len(right["initial_contacts_s"]))
    assert out["initial_contacts_s"] == sorted(out["initial_contacts_s"])
    # the feet alternate: the step cadence agrees with twice one foot's stride rate
    assert abs(out["cadence_spm"] - left["cadence_spm"]) < 0.03 * left["cadence_spm"]
    bad = stridepod_cli("analyze", DUMPS / "gaitmap_walk_left", "--other-foot",
                        DUMPS / "alcantara_run_00.csv")
    assert bad.exit_code == 2 and "not a left/right pair" in bad.stderr
