"""The foot-IMU detector (FootGyroStrides) on every shared recording of a foot with a
gyroscope (ipol_*: XSens MTw on the dorsum, 100 Hz, stand - walk - U-turn - walk -
stand; gaitmap_*: 204.8 Hz, walking with turns), run through the firmware engine:

- mounting: every recording turned by random 3-D rotations, half of them mirrored (a
  left foot's pod as a right foot's), gives the same strikes within one sample;
- standing: a lone stride-like motion is not a strike, two make a walk and the first is
  then reported late, with its own time;
- no strikes while standing: outside a trial's walking bounds a strike is only where
  the reference marks the person's steps.
"""

from __future__ import annotations

import copy
from array import array
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from podfw.gait.engine import EV_INITIAL_CONTACT, GaitEngine
from stridepod.recordings import dumpfile
from stridepod.recordings import evaluation as E
from stridepod.recordings.reference.foot_gyro import LANDING_G
from stridepod.recordings.replay import engine_config, quantise_recording, replay

DUMPS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "dumps"
FOOT = sorted(p.name[: -len(".truth.json")] for p in DUMPS.glob("ipol_*.truth.json")) + [
    "gaitmap_walk_left", "gaitmap_walk_right"]
TURNS = 4  # random rotations per recording, every other one mirrored


def turned(rec: dumpfile.Recording, m: np.ndarray) -> dumpfile.Recording:
    """The recording as a pod mounted turned by m (a rotation, or a reflection: angular
    rate is a pseudovector, it turns with det(m) m)."""
    out = copy.copy(rec)
    out.acc = rec.acc @ m.T
    out.gyro = rec.gyro @ m.T * np.linalg.det(m)
    return out


@pytest.mark.parametrize("name", FOOT)
def test_turned_and_mirrored_pods_find_the_same_strikes(name):
    rec = dumpfile.load(DUMPS / name)
    base = replay(rec)
    one_sample = 1.0 / rec.rate_hz + 0.001  # firmware times are whole ms
    strikes = np.asarray(base.initial_contacts_s)
    assert len(strikes) > 10
    toe_offs = np.asarray(base.final_contacts_s)
    for j in range(TURNS):
        m = Rotation.random(random_state=np.random.default_rng([FOOT.index(name), j])).as_matrix()
        if j % 2:
            m = m @ np.diag([-1.0, 1.0, 1.0])
        other = replay(turned(rec, m))
        got = np.asarray(other.initial_contacts_s)
        assert len(got) == len(strikes), (j, len(got), len(strikes))
        assert np.max(np.abs(got - strikes)) <= one_sample, (j, np.max(np.abs(got - strikes)))
        # a toe-off is the peak of the push-off: where that peak is flat or double, the
        # two roundings may pick the other side of it; a push-off in a turn may touch
        # its swing in one and not the other. At most one toe-off differs.
        found = np.asarray(other.final_contacts_s)
        pairs, _, _ = E.match_events(found, toe_offs, 2 * one_sample)
        assert abs(len(found) - len(toe_offs)) <= 1, (j, len(found), len(toe_offs))
        assert len(pairs) >= len(toe_offs) - 1, (j, len(pairs), len(toe_offs))


def strides_in_standing(rec: dumpfile.Recording, strikes: int) -> dumpfile.Recording:
    """A real recording cut to: its first 3 s of standing, then the motion from before
    its first annotated toe-off to after its `strikes`-th annotated strike, then standing
    again (the first 3 s once more)."""
    rate = rec.rate_hz
    ic = rec.truth["initial_contacts_s"]
    fc = rec.truth["final_contacts_s"]
    a = int((fc[0] - 0.4) * rate)
    b = int((ic[strikes - 1] + 0.35) * rate)
    stand = slice(0, int(3 * rate))
    out = copy.copy(rec)
    out.acc = np.concatenate([rec.acc[stand], rec.acc[a:b], rec.acc[stand]])
    out.gyro = np.concatenate([rec.gyro[stand], rec.gyro[a:b], rec.gyro[stand]])
    out.t = np.arange(len(out.acc)) / rate
    out.truth = dict(rec.truth, initial_contacts_s=[t - a / rate + 3 for t in ic[:strikes]])
    return out


# ipol_5-3_left: its first annotated strike (7.09 s, after its toe-off at 6.73 s) is the walk's
# first step, its second (8.21 s) the next
SOURCE = "ipol_5-3_left"


def test_one_stride_like_motion_while_standing_is_not_a_strike():
    rec = strides_in_standing(dumpfile.load(DUMPS / SOURCE), 1)
    result = replay(rec)
    assert result.initial_contacts_s == [] and result.final_contacts_s == []
    assert result.steps == 0


def test_two_strides_make_a_walk_and_its_first_strike_is_reported_late():
    rec = strides_in_standing(dumpfile.load(DUMPS / SOURCE), 2)
    truth = np.asarray(rec.truth["initial_contacts_s"])
    assert len(replay(rec).initial_contacts_s) == 2
    # sample by sample: when each strike is reported, and the time it carries
    q = quantise_recording(rec)
    eng = GaitEngine(engine_config(rec))
    event = array("i", bytes(16))
    reported = []  # (sample it came out at, its own time in s)
    for n in range(rec.samples):
        eng.push_imu(*(int(v) for v in q.imu[n]))
        while eng.events.pop_into(event):
            if event[0] == EV_INITIAL_CONTACT:
                reported.append((n / rec.rate_hz, event[1] / 1000))
    eng.finish()
    assert len(reported) == 2
    (first_out, first_t), (second_out, second_t) = reported
    assert np.allclose([first_t, second_t], truth, atol=0.1)  # the ipol annotation's window
    # the first strike waits for the second stride: reported after the second strike
    assert first_out >= second_t > first_t + 0.5
    assert second_out - second_t <= 0.3  # then the walk's strikes come as they happen


def test_a_walk_whose_swing_sign_comes_late_keeps_its_first_strides():
    # ipol_4-1_left: a brisk walk (0.95 s strides) reaches its first stance rest, where the
    # swing sign is decided, at 9.77 s, 3.4 s after it began; until then each stride gives
    # up to three candidates of either sign (12 by then), all held. The annotated strikes
    # from the second (6.69 s) to that rest are each reported, with their own times.
    rec = dumpfile.load(DUMPS / "ipol_4-1_left")
    found = np.asarray(replay(rec).initial_contacts_s)
    truth = [t for t in rec.truth["initial_contacts_s"] if 6.0 <= t <= 9.77]
    assert len(truth) == 4
    for t in truth:
        assert np.min(np.abs(found - t)) <= 0.1, f"the strike at {t:.2f} s was dropped"


@pytest.mark.parametrize("name", [n for n in FOOT if n.startswith("ipol_")])
def test_no_strike_outside_a_trial_but_where_the_reference_marks_steps(name):
    # ipol trials are stand - walk - stand; a few recordings go on after the trial and
    # their reference marks those steps too (outside walking_bounds_s)
    rec = dumpfile.load(DUMPS / name)
    start, end = rec.truth["walking_bounds_s"]
    steps = np.asarray(rec.truth["initial_contacts_s"] + rec.truth["final_contacts_s"])
    for t in replay(rec).initial_contacts_s:
        if start - 0.1 <= t <= end + 0.1:
            continue
        assert np.min(np.abs(steps - t)) <= 1.0, f"a strike at {t:.2f} s while standing"


def test_a_foot_still_in_the_air_when_the_swing_ends_strikes_where_it_lands():
    # ipol_2-3_right, a slow heel-to-flat: at these three strides the foot stops pitching
    # forward 80-90 ms before its acceleration first reaches LANDING_G (1.5 g; on the
    # ground a foot reads that within 5 ms of contact: gaitmap's motion capture). The
    # strike is the landing, not the zero crossing 100-110 ms before the annotated one.
    rec = dumpfile.load(DUMPS / "ipol_2-3_right")
    found = np.asarray(replay(rec).initial_contacts_s)
    acc_g = np.linalg.norm(rec.acc, axis=1)
    for t in (16.49, 28.64, 30.34):
        assert t in rec.truth["initial_contacts_s"]
        strike = found[np.argmin(np.abs(found - t))]
        assert abs(strike - t) <= 0.05, f"the strike at {t:.2f} s came at {strike:.2f} s"
        before = (rec.t >= strike - 0.1) & (rec.t < strike - 0.01)
        assert acc_g[before].max() < LANDING_G  # it was in the air until then
