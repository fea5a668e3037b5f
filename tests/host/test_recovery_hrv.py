"""HRV metrics against pyhrv's published values; 0x2A37 parsing; artifact removal."""

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from stridepod.errors import StridepodError
from stridepod.recovery.hrv import (
    clean_rr,
    hrv_metrics,
    morning_hrv_from_notifications,
    parse_heart_rate_measurement,
)

HRV_DIR = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "hrv"


@pytest.mark.parametrize("name", ["pyhrv_SampleNNISeriesLong", "pyhrv_SampleNNISeriesShort"])
def test_metrics_equal_pyhrv_published_values(name):
    nn = np.loadtxt(HRV_DIR / f"{name}.txt")
    ref = json.loads((HRV_DIR / f"{name}.json").read_text())["reference"]
    m = hrv_metrics(nn)
    decimals = 3 if name.endswith("Long") else 2
    assert round(m.rmssd_ms, decimals) == ref["rmssd_ms"]
    assert round(m.sdnn_ms, decimals) == ref["sdnn_ms"]
    assert round(m.pnn50_pct, decimals) == ref["pnn50_pct"]
    if "nn50" in ref:
        assert m.nn50 == ref["nn50"]


def _packet(hr, rr_ms, hr16=False, energy=None, contact=None):
    flags = 0x10 | (0x01 if hr16 else 0) | (0x08 if energy is not None else 0)
    if contact is not None:
        flags |= 0x04 | (0x02 if contact else 0)
    body = struct.pack("<H", hr) if hr16 else bytes([hr])
    if energy is not None:
        body += struct.pack("<H", energy)
    body += b"".join(struct.pack("<H", round(x * 1024 / 1000)) for x in rr_ms)
    return bytes([flags]) + body


def test_heart_rate_measurement_fields_and_rr_units():
    m = parse_heart_rate_measurement(_packet(300, [1000.0, 500.0], hr16=True, energy=12, contact=True))
    assert (m.heart_rate_bpm, m.energy_kj, m.sensor_contact) == (300, 12, True)
    assert m.rr_ms == (1000.0, 500.0)  # 1024 and 512 in 1/1024 s
    plain = parse_heart_rate_measurement(bytes([0x00, 72]))
    assert (plain.heart_rate_bpm, plain.rr_ms, plain.sensor_contact, plain.energy_kj) == (72, (), None, None)


@pytest.mark.parametrize("data", [b"", b"\x01\x48", b"\x10\x48\x00", b"\x08\x48\x01"])
def test_malformed_measurements_are_one_line_errors(data):
    with pytest.raises(StridepodError):
        parse_heart_rate_measurement(data)


def test_artifacts_and_ectopic_beats_are_removed_and_counted():
    rng = np.random.default_rng(3)
    rr = list(1000 + rng.normal(0, 20, 300))
    rr[50] = 3000.0  # missed beat (artifact)
    rr[100] = 150.0  # double-count (artifact)
    rr[200] = 620.0  # premature beat
    rr[201] = 1380.0  # compensatory pause
    cleaned = clean_rr(rr)
    assert (cleaned.artifacts, cleaned.ectopic, cleaned.total) == (2, 2, 300)
    true = hrv_metrics([x for i, x in enumerate(rr) if i not in (50, 100, 200, 201)]).rmssd_ms
    assert abs(hrv_metrics(cleaned.nn_ms).rmssd_ms - true) < 0.15 * true
    assert hrv_metrics(rr).rmssd_ms > 3 * true  # why cleaning matters


def test_morning_measurement_from_strap_notifications():
    rng = np.random.default_rng(5)
    rr = list(900 + rng.normal(0, 30, 240))
    rr[10] = 2500.0
    packets = [_packet(66, rr[i:i + 4]) for i in range(0, len(rr), 4)]
    m = morning_hrv_from_notifications(packets)
    assert (m.artifacts, m.beats_used + m.beats_removed) == (1, 240)
    assert 30 < m.rmssd_ms < 60 and 60 < m.mean_hr_bpm < 70
    with pytest.raises(StridepodError, match="usable beats"):
        morning_hrv_from_notifications(packets[:5])
