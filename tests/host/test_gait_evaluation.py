"""Event matching and scoring rules of stridepod.recordings.evaluation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from stridepod.recordings import dumpfile
from stridepod.recordings import evaluation as E
from stridepod.recordings.replay import GaitResult, replay

DUMPS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "dumps"


def test_matching_is_one_to_one_nearest_pair_first():
    # 1.02 is nearer to 1.00 than 0.97 is: it takes it, 0.97 stays unmatched
    pairs, extra, missed = E.match_events([0.97, 1.02, 2.0], [1.0, 3.0], 0.05)
    assert pairs == [(1, 0)]
    assert extra == [0, 2] and missed == [1]


def test_tolerance_is_inclusive_and_per_event_kind():
    pairs, _, _ = E.match_events([1.05], [1.0], E.IC_TOLERANCE_S + 1e-9)
    assert pairs == [(0, 0)]
    pairs, _, _ = E.match_events([1.051], [1.0], E.IC_TOLERANCE_S)
    assert pairs == []
    assert E.FC_TOLERANCE_S == 0.100


def test_scores_only_inside_bounds_and_outside_exclusions():
    truth = {"initial_contacts_s": [1.0, 2.0, 3.0, 4.0, 5.0], "walking_bounds_s": [1.5, 4.5],
             "exclude_s": [[2.9, 3.1]]}
    stretches = E.scored_stretches(truth, 0.05)
    assert stretches == [(1.5, 4.5)]
    s = E.score_events([1.0, 2.01, 3.0, 4.2, 5.0], truth["initial_contacts_s"], 0.05,
                       stretches, [(2.9, 3.1)])
    # inside: detected 2.01, 4.2 / reference 2.0, 4.0 -> one hit, one false, one missed
    assert (s.tp, s.fp, s.fn) == (1, 1, 1)
    assert np.allclose(s.errors_ms, [10.0])


def test_without_bounds_the_span_of_the_reference_is_scored():
    truth = {"initial_contacts_s": [3.2, 4.3], "final_contacts_s": [2.86, 3.9]}
    assert np.allclose(E.scored_stretches(truth, 0.1), [(2.76, 4.4)])


def test_contact_time_and_cadence_from_events():
    ic = np.array([0.0, 1.0, 2.0, 3.1])
    fc = np.array([0.6, 1.65, 2.7])
    assert np.allclose(E.contact_times(ic, fc)[:3], [0.6, 0.65, 0.7])
    assert np.isnan(E.contact_times(ic, fc)[3])
    # one foot: 2 steps per interval; a pause of 10 s is left out
    assert abs(E.cadence_from(np.array([0, 1, 2, 3, 13, 14]), 2) - 120.0) < 1e-9


def test_evaluates_a_recording_with_bounds_and_exclusions(tmp_path):
    for suffix in (".csv", ".json"):
        shutil.copy(DUMPS / ("gaitmap_walk_left" + suffix), tmp_path / ("walk" + suffix))
    truth = json.loads((DUMPS / "gaitmap_walk_left.truth.json").read_text())
    truth["walking_bounds_s"] = [[3.0, 16.5], [18.0, 34.0]]  # leaves out the turn
    truth["exclude_s"] = [[10.0, 12.0]]
    (tmp_path / "walk.truth.json").write_text(json.dumps(truth))
    scores = E.evaluate_folder(tmp_path, replay)
    assert [s.name for s in scores] == ["walk"]
    s = scores[0]
    assert s.ic.fp == 0 and s.ic.fn == 0  # the stride in the turn is outside the bounds
    assert s.ic.tp == 28 - 2  # two strikes fall in the excluded stretch
    assert s.fc.f1 == 1.0


def test_a_detector_that_finds_nothing_scores_zero(tmp_path):
    rec = dumpfile.load(DUMPS / "alcantara_run_04")
    s = E.score_recording(rec, GaitResult())
    assert s.ic.tp == 0 and s.ic.fn == len(rec.truth["initial_contacts_s"]) and s.ic.f1 == 0


def test_reference_chatter_is_merged_and_counted():
    ic = [1.0, 1.62, 2.0, 3.0]
    fc = [1.6, 1.7, 2.02, 3.6]
    # 1.60 off / 1.62 on: one contact 1.0-1.7; 2.00 on / 2.02 off: no contact
    kept_ic, kept_fc, removed = E.without_chatter(ic, fc)
    assert kept_ic == [1.0, 3.0] and kept_fc == [1.7, 3.6] and removed == 4
    assert E.without_chatter([1.0, 2.0], [1.5, 2.5]) == ([1.0, 2.0], [1.5, 2.5], 0)
