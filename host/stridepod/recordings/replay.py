"""Runs the pod's gait engine (the firmware code itself, under CPython) on a recording.

The recording is quantised to the pod's integer sensor units first, exactly as the pod's
drivers would deliver them (16-bit registers, saturating), then pushed sample by sample:
whole (`replay`) or part by part as it is read (`replay_stream`, memory independent of
the recording's length).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

import podfw  # noqa: F401  (installs the CPython stand-in for `micropython`)
from podfw.gait.config import GaitConfig
from podfw.gait.engine import EV_FINAL_CONTACT, EV_INITIAL_CONTACT, GaitEngine
from podfw.gait.pressure import MAX_ZONES
from stridepod.errors import StridepodError
from stridepod.recordings.dumpfile import PART_ROWS, DumpStream, Recording, SensorUnits, quantise

DEFAULT_UNITS = SensorUnits()

# Pressure units a recording may use, as pod units (0.1 N) per recording unit.
PRESSURE_UNITS = {"N": 10.0, "kgf": 98.0665, "lbf": 44.4822}


class ReplayError(StridepodError):
    pass


@dataclass
class GaitResult:
    """Events and windows of one run, times in seconds from the recording's start."""

    initial_contacts_s: list[float] = field(default_factory=list)
    impact_g: list[float] = field(default_factory=list)
    strike: list[int] = field(default_factory=list)
    final_contacts_s: list[float] = field(default_factory=list)
    contact_ms: list[float] = field(default_factory=list)  # whole ms from the firmware
    windows: list[dict] = field(default_factory=list)
    steps_per_contact: int = 2

    @property
    def steps(self) -> int:
        return sum(w["steps"] for w in self.windows)

    def contact_intervals_s(self) -> np.ndarray:
        """Intervals between consecutive initial contacts, pauses (> 2.5 s per step)
        left out: strides for a pod on one foot, steps for a pod on the body."""
        ic = np.asarray(self.initial_contacts_s)
        d = np.diff(ic) if len(ic) > 1 else np.zeros(0)
        return d[d <= 2.5 * self.steps_per_contact]

    @property
    def cadence_spm(self) -> float:
        """Whole-run cadence from the median interval between initial contacts (one
        foot: each interval is a stride of two steps)."""
        d = self.contact_intervals_s()
        return 60.0 * self.steps_per_contact / float(np.median(d)) if len(d) else 0.0

    def swing_ms(self) -> np.ndarray:
        """Per stride, toe-off to the next strike of the same foot (foot pods only)."""
        if self.steps_per_contact != 2 or not self.final_contacts_s:
            return np.zeros(0)
        fc = np.asarray(self.final_contacts_s)
        out = []
        for t in self.initial_contacts_s:
            k = np.searchsorted(fc, t) - 1
            if k >= 0 and t - fc[k] <= 1.5:
                out.append((t - fc[k]) * 1000.0)
        return np.asarray(out)

    def metrics(self) -> dict:
        """Whole-recording gait metrics: stride (or step) time and its variability over
        the steady intervals (within ±50 % of the median: turns, stops and restarts left
        out), swing and contact time, impact, strike pattern."""
        d = self.contact_intervals_s()
        if len(d):
            med = float(np.median(d))
            d = d[(d >= 0.5 * med) & (d <= 1.5 * med)]
        swing = self.swing_ms()
        contact = np.asarray([c for c in self.contact_ms if c > 0], dtype=float)
        impact = np.asarray([g for g in self.impact_g if g > 0])
        nan = float("nan")
        return {
            "steps": self.steps,
            "cadence_spm": self.cadence_spm,
            "interval_kind": "stride" if self.steps_per_contact == 2 else "step",
            "interval_ms_mean": float(d.mean() * 1000) if len(d) else nan,
            "interval_cv_pct": float(d.std(ddof=1) / d.mean() * 100) if len(d) > 1 else nan,
            "swing_ms_mean": float(swing.mean()) if len(swing) else nan,
            "contact_ms_mean": float(contact.mean()) if len(contact) else nan,
            "impact_g_mean": float(impact.mean()) if len(impact) else nan,
            "impact_g_peak": float(impact.max()) if len(impact) else nan,
            "strikes": {name: self.strike.count(code) for code, name in
                        ((1, "heel"), (2, "midfoot"), (3, "forefoot"))},
        }


@dataclass(frozen=True)
class QuantisedRecording:
    """A recording as the pod's sensors deliver it: int arrays in chip units."""

    imu: np.ndarray | None  # (n, 6) int32: ax ay az gx gy gz, missing axes 0
    pressure: np.ndarray | None  # (n, zones) int32, 0.1 N
    config: GaitConfig


def engine_config(rec: Recording | DumpStream, units: SensorUnits = DEFAULT_UNITS,
                  window_s: int = 5) -> GaitConfig:
    has_acc, has_gyro = bool(rec.acc_axes), bool(rec.gyro_axes)
    zones = None
    if rec.has_pressure:
        zone_meta = rec.zones
        if not zone_meta:
            raise ReplayError(f"{rec.path}: pressure columns but no pressure_zones in the sidecar")
        if len(zone_meta) > MAX_ZONES:
            raise ReplayError(f"{rec.path}: {len(zone_meta)} pressure zones; the pod's engine "
                              f"takes up to {MAX_ZONES}")
        zones = [(int(z.get("x", 0)), int(z.get("y", 0))) for z in zone_meta]
    if has_gyro and not has_acc:
        raise ReplayError(f"{rec.path}: a gyroscope without an accelerometer is not a pod")
    try:
        return GaitConfig(
            imu_rate_hz=rec.rate_hz if has_acc else 0,
            pressure_rate_hz=rec.rate_hz if zones else 100,
            placement=rec.placement,
            acc_lsb_per_g=units.acc_lsb_per_g,
            gyro_lsb_per_dps=units.gyro_lsb_per_dps,
            has_gyro=has_gyro,
            zone_xy=zones,
            pressure_lsb_per_newton=units.pressure_lsb_per_unit,
            window_s=window_s,
        )
    except ValueError as exc:
        raise ReplayError(f"{rec.path}: {exc}") from None


def _pressure_scale(rec: Recording | DumpStream, units: SensorUnits) -> float:
    unit = (rec.meta.get("units") or {}).get("p", "N")
    if unit not in PRESSURE_UNITS:
        raise ReplayError(
            f"{rec.path}: pressure unit {unit!r} unknown (one of {', '.join(PRESSURE_UNITS)})")
    return PRESSURE_UNITS[unit] * units.pressure_lsb_per_unit / 10.0


def _quantise_part(rec: Recording, units: SensorUnits, config: GaitConfig,
                   pressure_scale: float) -> tuple[np.ndarray | None, np.ndarray | None]:
    imu = None
    if config.has_imu:
        imu = np.zeros((rec.samples, 6), dtype=np.int32)
        acc = quantise(rec.acc, units.acc_lsb_per_g, units.full_scale)
        for k, axis in enumerate(rec.acc_axes):
            imu[:, "xyz".index(axis[1])] = acc[:, k]
        if rec.gyro is not None:
            gyro = quantise(rec.gyro, units.gyro_lsb_per_dps, units.full_scale)
            for k, axis in enumerate(rec.gyro_axes):
                imu[:, 3 + "xyz".index(axis[1])] = gyro[:, k]
    pressure = None
    if rec.pressure is not None:  # then engine_config gave the engine its zones
        pressure = quantise(np.clip(rec.pressure, 0, None), pressure_scale, units.full_scale)
    return imu, pressure


def quantise_recording(rec: Recording, units: SensorUnits = DEFAULT_UNITS,
                       window_s: int = 5) -> QuantisedRecording:
    config = engine_config(rec, units, window_s)
    scale = _pressure_scale(rec, units) if rec.has_pressure else 1.0
    imu, pressure = _quantise_part(rec, units, config, scale)
    return QuantisedRecording(imu=imu, pressure=pressure, config=config)


class EngineRun:
    """The firmware engine fed part by part; what it emits is collected in a GaitResult
    (events and windows: proportional to the strides, not to the samples)."""

    def __init__(self, config: GaitConfig):
        self.engine = GaitEngine(config)
        self.result = GaitResult(steps_per_contact=self.engine.steps_per_contact)
        self._event = array("i", [0, 0, 0, 0])

    def _drain(self) -> None:
        eng, result, rec = self.engine, self.result, self._event
        while eng.events.pop_into(rec):
            if rec[0] == EV_INITIAL_CONTACT:
                result.initial_contacts_s.append(rec[1] / 1000.0)
                result.impact_g.append(rec[2] / 100.0)
                result.strike.append(rec[3])
            elif rec[0] == EV_FINAL_CONTACT:
                result.final_contacts_s.append(rec[1] / 1000.0)
                result.contact_ms.append(rec[2])
        while (w := eng.poll_window()) is not None:
            result.windows.append(w.as_dict())

    def push(self, imu: np.ndarray | None, pressure: np.ndarray | None) -> EngineRun:
        """Pushes every sample of one part (int arrays in chip units, as quantised)."""
        eng, ring = self.engine, self.engine.events
        rows = imu.tolist() if imu is not None else None
        scans = [array("i", row) for row in pressure.tolist()] if pressure is not None else None
        n = len(rows) if rows is not None else len(scans or [])
        push_imu, push_pressure = eng.push_imu, eng.push_pressure
        for i in range(n):
            if rows is not None:
                push_imu(*rows[i])
            if scans is not None:
                push_pressure(scans[i])
            if ring.size or eng.ready_count:
                self._drain()
        return self

    def finish(self) -> GaitResult:
        last = self.engine.finish()
        if last is not None:
            self.result.windows.append(last.as_dict())
        self._drain()
        return self.result


def run_engine(q: QuantisedRecording) -> GaitResult:
    """Pushes every sample through the firmware engine and collects what it emits."""
    return EngineRun(q.config).push(q.imu, q.pressure).finish()


def replay(rec: Recording, units: SensorUnits = DEFAULT_UNITS, window_s: int = 5) -> GaitResult:
    return run_engine(quantise_recording(rec, units, window_s))


def replay_stream(stream: DumpStream, units: SensorUnits = DEFAULT_UNITS, window_s: int = 5,
                  rows: int = PART_ROWS) -> GaitResult:
    """`replay` on a recording read `rows` at a time: the same result, in memory bounded
    by `rows` and the events, whatever the recording's length."""
    config = engine_config(stream, units, window_s)
    scale = _pressure_scale(stream, units) if stream.has_pressure else 1.0
    run = EngineRun(config)
    for part in stream.parts(rows):
        run.push(*_quantise_part(part, units, config, scale))
    return run.finish()


def combine_feet(left: GaitResult, right: GaitResult) -> GaitResult:
    """One session seen by a pod on each foot: every initial contact of either foot is a
    step, so the cadence comes from the real step intervals instead of doubling one
    foot's stride rate. Windows (same index on both pods) add the strides of both feet."""
    if left.steps_per_contact != 2 or right.steps_per_contact != 2:
        raise ReplayError("combining feet needs two foot or insole pods")
    out = GaitResult(steps_per_contact=1)
    strikes = sorted(zip(left.initial_contacts_s + right.initial_contacts_s,
                         left.impact_g + right.impact_g, left.strike + right.strike,
                         strict=True))
    out.initial_contacts_s = [s[0] for s in strikes]
    out.impact_g = [s[1] for s in strikes]
    out.strike = [s[2] for s in strikes]
    offs = sorted(zip(left.final_contacts_s + right.final_contacts_s,
                      left.contact_ms + right.contact_ms, strict=True))
    out.final_contacts_s = [o[0] for o in offs]
    out.contact_ms = [o[1] for o in offs]
    by_index = {w["index"]: dict(w) for w in left.windows}
    for w in right.windows:
        mine = by_index.get(w["index"])
        if mine is None:
            by_index[w["index"]] = dict(w)
            continue
        # each pod counted 2 steps per stride of its foot: both feet's strides are the steps
        mine["steps"] = (mine["steps"] + w["steps"]) // 2
        rates = [c for c in (mine["cadence_spm"], w["cadence_spm"]) if c]
        mine["cadence_spm"] = sum(rates) / len(rates) if rates else 0
        mine["flags"] |= w["flags"]
    out.windows = [by_index[k] for k in sorted(by_index)]
    return out
