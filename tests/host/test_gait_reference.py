"""The fixed-point firmware engine (on quantised samples) against its float reference
(stridepod.recordings.reference, on the recording's float samples): the same events within one
sample, impact peaks within 1 %, on every kind of shared recording."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stridepod.recordings import dumpfile
from stridepod.recordings.reference.engine import run as run_reference
from stridepod.recordings.replay import replay

DUMPS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "dumps"
RECORDINGS = ["gaitmap_walk_left", "gaitmap_walk_right", "adept_outdoor_run_left_ankle",
              "gaitpdb_GaCo02_01_right", "gaitpdb_SiCo03_01_left",
              # walks with U-turns, starts and stops; swing of either sign, a foot whose
              # push-off is as large as its swing (4-2 left)
              "ipol_1-1_left", "ipol_2-1_left", "ipol_4-2_left", "ipol_5-3_left"] + [
    f"alcantara_run_{k:02d}" for k in range(10)]


@pytest.mark.parametrize("name", RECORDINGS)
def test_firmware_matches_float_reference(name):
    rec = dumpfile.load(DUMPS / name)
    fw, ref = replay(rec), run_reference(rec)
    # firmware times are whole ms: one sample plus that rounding
    one_sample = 1.0 / rec.rate_hz + 0.001
    a, b = np.asarray(fw.initial_contacts_s), np.asarray(ref.initial_contacts_s)
    assert len(a) == len(b) and len(a) > 10
    assert np.max(np.abs(a - b)) <= one_sample, np.max(np.abs(a - b))
    fa, fb = np.asarray(fw.final_contacts_s), np.asarray(ref.final_contacts_s)
    assert len(fa) == len(fb)
    if len(fa):
        d = np.abs(fa - fb)
        # a toe-off is the peak of the push-off rotation: where that peak is flat, the
        # integer and the float signal may pick neighbouring samples
        assert np.mean(d <= one_sample) >= 0.95 and np.max(d) <= 3 * one_sample, d.max()
        ca, cb = np.asarray(fw.contact_ms, float), np.asarray(ref.contact_ms, float)
        known = (ca > 0) & (cb > 0)
        assert np.max(np.abs(ca[known] - cb[known])) <= 3000 * one_sample
    ia, ib = np.asarray(fw.impact_g), np.asarray(ref.impact_g)
    assert np.array_equal(ia > 0, ib > 0)
    measured = ia > 0
    if measured.any():
        assert np.max(np.abs(ia[measured] / ib[measured] - 1)) <= 0.01
    assert fw.steps == ref.steps
