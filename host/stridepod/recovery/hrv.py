"""HRV from beat-to-beat intervals, and the BLE Heart Rate Measurement (0x2A37) parser.

Conventions match pyhrv (the reference values in the shared data): SDNN with n-1, rMSSD and
pNN50 over the N-1 successive differences, no correction unless `clean_rr` is called."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from stridepod.errors import StridepodError

RR_UNITS_PER_S = 1024  # 0x2A37 RR intervals are in 1/1024 s


@dataclass(frozen=True)
class HrvMetrics:
    rmssd_ms: float
    sdnn_ms: float
    nn50: int
    pnn50_pct: float
    beats: int


def hrv_metrics(nn_ms) -> HrvMetrics:
    nn = np.asarray(nn_ms, dtype=float)
    if nn.ndim != 1 or len(nn) < 3:
        raise StridepodError(f"HRV needs at least 3 beat intervals, got {nn.size}")
    diff = np.diff(nn)
    nn50 = int(np.count_nonzero(np.abs(diff) > 50.0))
    return HrvMetrics(
        rmssd_ms=float(np.sqrt(np.mean(diff * diff))),
        sdnn_ms=float(np.std(nn, ddof=1)),
        nn50=nn50,
        pnn50_pct=100.0 * nn50 / len(diff),
        beats=len(nn),
    )


@dataclass(frozen=True)
class CleanedRR:
    nn_ms: np.ndarray
    artifacts: int  # outside the physiological range 300-2000 ms
    ectopic: int  # more than `max_change` away from the local median
    total: int

    @property
    def removed(self) -> int:
        return self.artifacts + self.ectopic


def clean_rr(rr_ms, *, lo_ms: float = 300.0, hi_ms: float = 2000.0, max_change: float = 0.2,
             window: int = 5) -> CleanedRR:
    """Drop artifacts (out-of-range intervals) and ectopic beats (an interval more than
    `max_change` away from the median of its `window` neighbours on each side: the
    Malik-style percentage filter used by Kubios' 'threshold' correction, but removing
    instead of interpolating so rMSSD only uses true successive pairs)."""
    rr = np.asarray(rr_ms, dtype=float)
    in_range = (rr >= lo_ms) & (rr <= hi_ms)
    kept = rr[in_range]
    ectopic_mask = np.zeros(len(kept), dtype=bool)
    for i in range(len(kept)):
        neighbours = np.concatenate((kept[max(0, i - window):i], kept[i + 1:i + 1 + window]))
        if len(neighbours):
            ref = np.median(neighbours)
            ectopic_mask[i] = abs(kept[i] - ref) > max_change * ref
    return CleanedRR(
        nn_ms=kept[~ectopic_mask],
        artifacts=int(np.count_nonzero(~in_range)),
        ectopic=int(np.count_nonzero(ectopic_mask)),
        total=len(rr),
    )


@dataclass(frozen=True)
class HeartRateMeasurement:
    heart_rate_bpm: int
    sensor_contact: bool | None  # None = not supported by the strap
    energy_kj: int | None
    rr_ms: tuple[float, ...]


def parse_heart_rate_measurement(data: bytes) -> HeartRateMeasurement:
    """Decode one 0x2A37 notification (Bluetooth SIG, little-endian)."""
    if len(data) < 2:
        raise StridepodError(f"heart rate measurement too short: {len(data)} bytes")
    flags = data[0]
    pos = 1
    if flags & 0x01:
        if len(data) < 3:
            raise StridepodError("heart rate measurement: 16-bit HR flag set but value missing")
        (hr,) = struct.unpack_from("<H", data, pos)
        pos += 2
    else:
        hr = data[pos]
        pos += 1
    contact_supported = bool(flags & 0x04)
    contact = bool(flags & 0x02) if contact_supported else None
    energy = None
    if flags & 0x08:
        if len(data) < pos + 2:
            raise StridepodError("heart rate measurement: energy flag set but value missing")
        (energy,) = struct.unpack_from("<H", data, pos)
        pos += 2
    rr: list[float] = []
    if flags & 0x10:
        rest = len(data) - pos
        if rest % 2:
            raise StridepodError(f"heart rate measurement: odd RR byte count {rest}")
        for (raw,) in struct.iter_unpack("<H", data[pos:]):
            rr.append(raw * 1000.0 / RR_UNITS_PER_S)
    return HeartRateMeasurement(hr, contact, energy, tuple(rr))


@dataclass(frozen=True)
class MorningHrv:
    rmssd_ms: float
    sdnn_ms: float
    pnn50_pct: float
    mean_hr_bpm: float
    beats_used: int
    beats_removed: int
    artifacts: int
    ectopic: int


def morning_hrv_from_notifications(packets, min_beats: int = 60) -> MorningHrv:
    """A morning measurement from a BLE strap: every 0x2A37 notification of the recording."""
    rr = [x for p in packets for x in parse_heart_rate_measurement(p).rr_ms]
    cleaned = clean_rr(rr)
    if len(cleaned.nn_ms) < min_beats:
        raise StridepodError(
            f"only {len(cleaned.nn_ms)} usable beats of {len(rr)} "
            f"({cleaned.artifacts} artifacts, {cleaned.ectopic} ectopic removed); need {min_beats}"
        )
    m = hrv_metrics(cleaned.nn_ms)
    return MorningHrv(
        rmssd_ms=m.rmssd_ms, sdnn_ms=m.sdnn_ms, pnn50_pct=m.pnn50_pct,
        mean_hr_bpm=60000.0 / float(np.mean(cleaned.nn_ms)),
        beats_used=len(cleaned.nn_ms), beats_removed=cleaned.removed,
        artifacts=cleaned.artifacts, ectopic=cleaned.ectopic,
    )
