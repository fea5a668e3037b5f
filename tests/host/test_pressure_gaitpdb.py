"""The insole contact detector on every gaitpdb recording (8-zone force insoles, 100 Hz):
accuracy against the reference events, the float reference against the fixed-point
firmware, strike pattern sanity, faulty zones, other scan rates.

The reference events are the dataset's total force crossing a fixed 20 N. On several
insoles the total hovers around 20 N during swing (zone offsets) and at toe-off, so the
reference itself chatters (off-on pairs a few ms apart). A detector with hysteresis
rightly reports one event there; scored against the raw reference that costs ~1.5 %
recall. The targets are therefore asserted on the reference with that chatter merged
(pressure_runs.debounced: gaps and contacts under 50 ms), and the raw-reference score is
asserted too, at the level the chatter allows.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from pressure_runs import (
    LSB_PER_NEWTON,
    debounced,
    gaitpdb,
    run_firmware,
    run_recording,
    zone_xy,
)
from stridepod.recordings import dumpfile, evaluation
from stridepod.recordings.reference import pressure as ref


@pytest.fixture(scope="module")
def runs():
    return [(rec, run_recording(rec)) for rec in gaitpdb()]


def table(scores) -> str:
    families, overall = evaluation.group(scores)
    lines = [f"{'recording':28} {'IC P':>6} {'IC R':>6} {'IC F1':>6} {'IC ms':>6} "
             f"{'FC P':>6} {'FC R':>6} {'FC F1':>6} {'FC ms':>6} {'CT ms':>6}"]
    for s in [*scores, overall]:
        ct = float(np.median(np.abs(s.contact_errors_ms))) if s.contact_errors_ms else math.nan
        name = getattr(s, "name", "overall")
        lines.append(f"{name:28} {s.ic.precision:6.3f} {s.ic.recall:6.3f} {s.ic.f1:6.3f} "
                     f"{s.ic.median_ms:6.1f} {s.fc.precision:6.3f} {s.fc.recall:6.3f} "
                     f"{s.fc.f1:6.3f} {s.fc.median_ms:6.1f} {ct:6.1f}")
    return "\n".join(lines)


def test_there_are_gaitpdb_recordings():
    assert len(gaitpdb()) >= 20


def test_contacts_match_the_reference_on_every_gaitpdb_recording(runs):
    clean = [evaluation.score_recording(debounced(rec), result) for rec, (result, _, _) in runs]
    raw = [evaluation.score_recording(rec, result) for rec, (result, _, _) in runs]
    print("reference with threshold chatter merged\n" + table(clean))
    print("raw reference\n" + table(raw))
    _, overall = evaluation.group(clean)
    assert overall.ic.f1 >= 0.99
    assert overall.fc.f1 >= 0.99
    assert overall.contact_median_ms <= 10
    assert overall.ic.median_ms <= 10 and overall.fc.median_ms <= 10
    for s in clean:  # no recording is carried by the others
        assert s.ic.f1 >= 0.95 and s.fc.f1 >= 0.95, s.name
    _, overall_raw = evaluation.group(raw)
    assert overall_raw.ic.f1 >= 0.98
    assert overall_raw.fc.f1 >= 0.98
    assert overall_raw.contact_median_ms <= 10


def test_healthy_walkers_strike_with_the_heel(runs):
    strikes = np.array([c["strike"] for _, (_, contacts, _) in runs for c in contacts])
    assert np.mean(strikes == ref.STRIKE_HEEL) >= 0.9
    for rec, (_, contacts, _) in runs:
        s = np.array([c["strike"] for c in contacts])
        assert np.mean(s == ref.STRIKE_HEEL) >= 0.85, rec.name
        # the centre of pressure travels from the heel towards the toes in every step
        assert np.median([c["cop_y_end"] - c["cop_y_start"] for c in contacts]) > 400


def test_metrics_are_physical(runs):
    for rec, (_, contacts, _) in runs:
        totals = rec.pressure.sum(axis=1)
        for c in contacts:
            assert 300 <= c["contact_ms"] <= 3000  # walking stance
            assert c["flight_ms"] == 0  # walking: never both feet in the air
            assert abs(c["peak"] / LSB_PER_NEWTON - totals[c["peak_index"]]) <= 1
            assert c["loading_rate"] > 0
            assert abs(sum(c["share"]) - 1000) <= len(c["share"])
            assert 0 <= c["cop_ml_range"] <= 1000


def test_float_reference_agrees_with_the_firmware(runs):
    same = near = 0
    for rec, (result, contacts, _) in runs:
        q = dumpfile.quantise(rec.pressure, LSB_PER_NEWTON)
        r = ref.detect_contacts(q / LSB_PER_NEWTON, zone_xy(rec), rec.rate_hz)
        assert len(r.contacts) == len(contacts), rec.name
        assert len(r.onsets_s) == len(result.initial_contacts_s), rec.name
        rate = rec.rate_hz
        np.testing.assert_allclose(result.initial_contacts_s, r.onsets_s, atol=1 / rate)
        prev_near = False
        for c, f in zip(contacts, r.contacts, strict=True):
            on_index = math.floor(f.on_s * rate + 1e-9)
            off_index = math.ceil(f.off_s * rate - 1e-9) - 1
            if c["on_index"] != on_index or c["off_index"] != off_index:
                # the total sat within the thresholds' rounding (0.1-0.2 N) of the touch
                # level for a sample or two: the end moves by those samples
                assert abs(c["on_index"] - on_index) <= 1 and abs(c["off_index"] - off_index) <= 2
                near += 1
                prev_near = True
                continue
            same += 1
            values = [("contact_ms", f.contact_ms, 1), ("peak", f.peak_n * LSB_PER_NEWTON, 1),
                ("loading_rate", f.loading_rate_n_s, 1), ("strike_pos", f.strike_pos, 1),
                ("cop_y_start", f.cop_y_start, 1), ("cop_y_end", f.cop_y_end, 1),
                ("cop_ml_range", f.cop_ml_range, 2)]
            if not prev_near:  # swing starts at the previous contact's end
                values += [("swing_ms", f.swing_ms, 1), ("flight_ms", f.flight_ms, 1)]
            prev_near = False
            for key, value, unit in values:
                assert abs(c[key] - value) <= max(0.01 * abs(value), unit), (rec.name, key)
            assert c["strike"] == f.strike and c["first_zone"] == f.first_zone
            for mine, theirs in zip(c["share"], f.share, strict=True):
                assert abs(mine - theirs) <= max(0.01 * theirs, 1)
    print(f"{same} contacts on the same samples, {near} one or two samples apart")
    assert near <= 0.005 * (same + near)


def test_faulty_zones_are_flagged_and_steps_still_found():
    rec = next(r for r in gaitpdb() if r.name == "gaitpdb_GaCo02_01_left")
    q = dumpfile.quantise(rec.pressure, LSB_PER_NEWTON)
    half = len(q) // 2
    q[half:, 1] = 32767  # zone 2 stuck at full scale for the second half
    q[: half // 2, 4] -= 30  # zone 5 reads up to -3 N in the first quarter
    result, _, pc = run_firmware(q, zone_xy(rec), rec.rate_hz)
    assert pc.take_flags() == ref.PFLAG_NEGATIVE | ref.PFLAG_STUCK
    score = evaluation.score_recording(debounced(rec), result)
    assert score.ic.f1 >= 0.97 and score.fc.f1 >= 0.97
    r = ref.detect_contacts(q / LSB_PER_NEWTON, zone_xy(rec), rec.rate_hz)
    assert r.flags == ref.PFLAG_NEGATIVE | ref.PFLAG_STUCK
    assert len(r.onsets_s) == len(result.initial_contacts_s)


@pytest.mark.parametrize("factor", [0.5, 2.0])
def test_other_scan_rates_give_the_same_contacts(factor):
    # the same walks resampled to 50 Hz and 200 Hz: every time constant is in seconds
    scores = []
    for rec in gaitpdb():
        rate = rec.rate_hz * factor
        t = np.arange(0, rec.t[-1], 1 / rate)
        forces = np.stack([np.interp(t, rec.t, z) for z in rec.pressure.T], axis=1)
        result, _, _ = run_firmware(dumpfile.quantise(forces, LSB_PER_NEWTON), zone_xy(rec), rate)
        scores.append(evaluation.score_recording(debounced(rec), result))
    _, overall = evaluation.group(scores)
    assert overall.ic.f1 >= 0.99 and overall.fc.f1 >= 0.99
    assert overall.contact_median_ms <= 10


def test_a_heel_that_loads_late_is_not_a_late_strike():
    # every gaitpdb insole with its heel zones (the rear quarter of the foot) read at a
    # tenth: a weak heel sensor or a light heel strike. The total then sits between the
    # touch and confirm levels for up to half a second before the forefoot loads: that
    # is the contact's start, not an offset to learn, and its strike must not move to
    # where the force finally rose (found up to 0.67 s late before: SiCo01_01_right).
    latest = 0.0
    scores = []
    for rec in gaitpdb():
        ys = np.array([z["y"] for z in rec.zones])
        weak = rec.pressure.copy()
        weak[:, ys <= ys.min() + (ys.max() - ys.min()) / 4] *= 0.1
        result, _, _ = run_recording(dataclasses.replace(rec, pressure=weak))
        clean = debounced(rec)
        scores.append(evaluation.score_recording(clean, result))
        truth = np.asarray(clean.truth["initial_contacts_s"])
        for t in result.initial_contacts_s:
            late = t - truth[np.searchsorted(truth, t, side="right") - 1]
            if late < 0.8:  # (a later one is a contact the reference does not have)
                latest = max(latest, late)
    _, overall = evaluation.group(scores)
    assert latest <= 0.25, latest
    assert overall.ic.f1 >= 0.985, overall.ic.as_dict()
