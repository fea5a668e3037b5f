"""Event matching and scoring rules of stridepod.recordings.evaluation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

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
    where = E.scoring(truth, 0.05)
    assert where.excluded == [(2.9, 3.1)] and where.walking_bounds
    s = E.score_events([0.5, 2.01, 3.0, 4.2, 5.0], truth["initial_contacts_s"], 0.05, where)
    # inside: detected 2.01, 4.2 / reference 2.0, 4.0 -> one hit, one false, one missed;
    # 0.5 and 5.0 are outside the walking bounds: not errors; 5.0 is a step the
    # reference marks, 0.5 a strike while standing
    assert (s.tp, s.fp, s.fn, s.standing) == (1, 1, 1, 1)
    assert np.allclose(s.errors_ms, [10.0])


def test_a_walks_last_strike_at_its_bound_matches_a_detection_just_after_it():
    # ipol truths end the walking bounds at the last annotated strike (ipol_1-1_right:
    # last strike 24.64 s, bounds [4.59, 24.64])
    truth = {"kind": "expert-annotated", "initial_contacts_s": [5.07, 6.28, 24.64],
             "walking_bounds_s": [4.59, 24.64]}
    where = E.scoring(truth, 0.1)
    s = E.score_events([5.1, 6.25, 24.70, 26.0], truth["initial_contacts_s"], 0.1, where)
    assert (s.tp, s.fp, s.fn, s.standing) == (3, 0, 0, 1)
    assert E.own_ic_window_s(truth) == 0.1 and E.own_ic_window_s({"kind": "force-plate"}) == 0.05


def test_missed_and_extra_strikes_are_counted_by_cause():
    # the layout of an ipol trial: stand, walk, U-turn, walk back, stand (ipol_1-1_left)
    truth = {"initial_contacts_s": [5.74, 6.87, 7.97, 13.55, 15.04, 23.0, 24.17],
             "walking_bounds_s": [4.59, 24.64], "turn_bounds_s": [13.16, 14.74]}
    where = E.scoring(truth, 0.1)
    detected = [2.0,  # standing
                5.2,  # before the first reference strike: first/last
                6.87, 7.97, 10.0,  # 10.0: extra, other
                14.0,  # extra in the turn
                15.04, 23.0]  # 5.74 and 24.17 missed: first/last; 13.55: turn
    s = E.score_events(detected, truth["initial_contacts_s"], 0.1, where)
    assert (s.tp, s.fp, s.fn, s.standing) == (4, 3, 3, 1)
    # a step the reference marks after the trial (ipol_1-3_left: 32.38 s, bounds end
    # 27.32 s) is not scored, and a detection there is not a strike while standing
    after = E.score_events(detected + [32.36], truth["initial_contacts_s"] + [32.38], 0.1, where)
    assert (after.tp, after.fp, after.fn, after.standing) == (4, 3, 3, 1)
    assert s.missed_by_cause == {"timing": 0, "turn": 1, "first_last": 2, "other": 0}
    assert s.extra_by_cause == {"timing": 0, "turn": 1, "first_last": 1, "other": 1}
    # a strike found 150 ms early (ipol_2-1_left at 16.36 s): one missed and one extra,
    # both timing
    late = E.score_events([6.87, 7.82], [6.87, 7.97], 0.1, where)
    assert late.missed_by_cause["timing"] == late.extra_by_cause["timing"] == 1
    assert (late.tp, late.fp, late.fn) == (1, 1, 1)


def test_a_malformed_stretch_in_a_truth_is_one_clear_error():
    with pytest.raises(E.EvaluationError, match="turn_bounds_s"):
        E.scoring({"initial_contacts_s": [1.0], "turn_bounds_s": [3.0, "x"]}, 0.05)
    with pytest.raises(E.EvaluationError, match="walking_bounds_s"):
        E.scoring({"walking_bounds_s": [[5.0, 1.0]]}, 0.05)


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
