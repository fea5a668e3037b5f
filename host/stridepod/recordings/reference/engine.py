"""Float reference of the firmware's GaitEngine: the same detectors (reference.foot_gyro,
reference.imu, reference.pressure), the same fusion and window summaries, in physical units on the
recording's float samples (no quantisation). Returns the same GaitResult as
`stridepod.recordings.replay.replay`, so the two can be compared event by event."""

from __future__ import annotations

import numpy as np

from podfw.gait import engine as firmware
from podfw.gait.summary import FLAG_IMU_DEGRADED, FLAG_NO_IMU, FLAG_NO_PRESSURE, FLAG_WALKING
from stridepod.recordings.dumpfile import Recording
from stridepod.recordings.reference import foot_gyro, imu
from stridepod.recordings.reference import pressure as pressure_ref
from stridepod.recordings.replay import PRESSURE_UNITS, GaitResult, ReplayError, engine_config

MAX_STEP_INTERVAL_S = firmware._MAX_STEP_INTERVAL_MS / 1000


def axes3(values: np.ndarray | None, axes: tuple[str, ...], n: int) -> np.ndarray:
    out = np.zeros((n, 3))
    if values is not None:
        for k, axis in enumerate(axes):
            out[:, "xyz".index(axis[1])] = values[:, k]
    return out


def run(rec: Recording, window_s: int = 5) -> GaitResult:
    cfg = engine_config(rec, window_s=window_s)  # same validation as the firmware run
    n, rate = rec.samples, rec.rate_hz
    result = GaitResult(steps_per_contact=2 if cfg.foot else 1)
    strikes: list[imu.Strike] = []
    toe_offs: list[imu.ToeOff] = []
    silent = np.zeros(n, dtype=bool)  # accelerometer under 0.25 g: dead or loose sensor
    if cfg.has_imu:
        acc = axes3(rec.acc, rec.acc_axes, n)
        silent = np.einsum("ij,ij->i", acc, acc) < 0.25 ** 2
        if cfg.has_gyro and cfg.foot:
            strikes, toe_offs = foot_gyro.foot_gyro_strides(
                acc, axes3(rec.gyro, rec.gyro_axes, n), rate)
        elif cfg.foot:
            strikes = imu.foot_acc_strides(acc, rate)
        else:
            strikes = imu.sacrum_steps(acc, rate)
    flights: list[tuple[float, float]] = []
    if rec.pressure is not None:  # then engine_config gave the engine its zones
        unit = (rec.meta.get("units") or {}).get("p", "N")
        if unit not in PRESSURE_UNITS:
            raise ReplayError(f"{rec.path}: pressure unit {unit!r} unknown")
        newtons = np.clip(rec.pressure, 0, None) * PRESSURE_UNITS[unit] / 10.0
        found = pressure_ref.detect_contacts(newtons, cfg.zone_xy, cfg.pressure_rate_hz)
        # contact timing from the insole; the impact of the IMU strikes since the last one
        strike_t = np.array([s.at / rate for s in strikes])
        previous_off = -np.inf
        for c in found.contacts:
            near = [s.impact_g for s, t in zip(strikes, strike_t, strict=True)
                    if previous_off < t <= c.off_s]
            result.initial_contacts_s.append(c.on_s)
            result.impact_g.append(max(near) if near else 0.0)
            result.strike.append(c.strike)
            result.final_contacts_s.append(c.off_s)
            result.contact_ms.append(c.contact_ms)
            if c.swing_ms > 0:
                flights.append((c.off_s, c.flight_ms))
            previous_off = c.off_s
        if found.onsets_s and (not found.contacts or found.onsets_s[-1] > found.contacts[-1].on_s):
            # a contact still on the ground at the end: its strike, no toe-off
            near = [s.impact_g for s, t in zip(strikes, strike_t, strict=True) if t > previous_off]
            result.initial_contacts_s.append(found.onsets_s[-1])
            result.impact_g.append(max(near) if near else 0.0)
            result.strike.append(0)
    else:
        result.initial_contacts_s = [s.at / rate for s in strikes]
        result.impact_g = [s.impact_g for s in strikes]
        result.strike = [0] * len(strikes)
        result.final_contacts_s = [t.n / rate for t in toe_offs]
        result.contact_ms = [t.contact_s * 1000.0 for t in toe_offs]
    result.windows = windows(result, flights, silent, rate, window_s, cfg)
    return result


def interquartile_mean(values: np.ndarray | list[float]) -> float:
    d = np.sort(values)
    lo = len(d) // 4
    return float(np.mean(d[lo:len(d) - lo]))


def windows(result: GaitResult, flights, silent: np.ndarray, rate: float, window_s: int,
            cfg) -> list[dict]:
    """Window summaries by event time (the firmware closes a window when its last
    sample arrives, so an event detected just after a boundary may fall in the next)."""
    per = result.steps_per_contact
    duration = len(silent) / rate
    ic = np.asarray(result.initial_contacts_s)
    fc = np.asarray(result.final_contacts_s)
    contact = np.asarray(result.contact_ms, dtype=float)
    impact = np.asarray(result.impact_g)
    strike = np.asarray(result.strike)
    intervals = np.diff(ic) if len(ic) > 1 else np.zeros(0)
    out = []
    k = 0
    while k * window_s < duration:
        a, b = k * window_s, min((k + 1) * window_s, duration)
        inside = (ic >= a) & (ic < b)
        ints = intervals[inside[1:]] if len(intervals) else intervals
        ints = ints[(ints > 0) & (ints <= MAX_STEP_INTERVAL_S * per)]
        cadence = 60.0 * per / interquartile_mean(ints) if len(ints) else 0.0
        hits = impact[inside & (impact > 0)]
        ct = contact[(fc >= a) & (fc < b) & (contact > 0)]
        mean_contact = float(ct.mean()) if len(ct) else 0.0
        fl = [f for t, f in flights if a <= t < b]
        if fl:
            flight = float(np.mean(fl))
        elif mean_contact and cadence:
            flight = max(0.0, 60000.0 / cadence - mean_contact)
        else:
            flight = 0.0
        flags = (0 if cfg.has_imu else FLAG_NO_IMU) | (0 if cfg.has_pressure else FLAG_NO_PRESSURE)
        quiet = silent[int(np.ceil(a * rate - 1e-9)):int(np.ceil(b * rate - 1e-9))]
        if len(quiet) and 2 * quiet.sum() > len(quiet):
            flags |= FLAG_IMU_DEGRADED
        if inside.any():
            walking = mean_contact * cadence > 60000 if mean_contact and cadence else 0 < cadence < 140
            flags |= FLAG_WALKING if walking else 0
        out.append({
            "index": k, "start_ms": round(a * 1000), "duration_ms": round((b - a) * 1000),
            "steps": int(inside.sum()) * per, "cadence_spm": cadence,
            "impact_mean_cg": float(hits.mean() * 100) if len(hits) else 0.0,
            "impact_peak_cg": float(hits.max() * 100) if len(hits) else 0.0,
            "contact_ms": mean_contact, "flight_ms": flight,
            "strike_heel": int((strike[inside] == 1).sum()),
            "strike_mid": int((strike[inside] == 2).sum()),
            "strike_fore": int((strike[inside] == 3).sum()), "flags": flags,
        })
        k += 1
    return out
