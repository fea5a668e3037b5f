"""Float reference of the pod's insole contact detector (`podfw.gait.pressure`).

The same algorithm in float arithmetic on numpy arrays, used to cross-check the
fixed-point firmware class: the same contacts within one sample, the same values within
1 % (or one unit of the firmware's integer representation). See the firmware module for
the method; the constants below are the firmware's, imported from it and expressed as
fractions.

Input is zone force in newtons, shape (samples, zones); zone positions (x, y) with y
pointing to the toes, in any unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from podfw.gait import pressure as firmware
from podfw.gait.pressure import (
    PFLAG_NEGATIVE,
    PFLAG_STUCK,
    STRIKE_FORE,
    STRIKE_HEEL,
    STRIKE_MID,
)

# of the tracked peak: the foot is on the ground above this
TOUCH_FRACTION = 1 / firmware._TOUCH_DIV
CONFIRM_FRACTION = 1 / firmware._CONFIRM_DIV  # of the tracked peak: a contact must reach this
MIN_TOUCH_N = float(firmware._MIN_TOUCH_N)
MIN_CONFIRM_N = float(firmware._MIN_CONFIRM_N)
MIN_PEAK_N = float(firmware._MIN_PEAK_N)
INITIAL_PEAK_N = float(firmware._INITIAL_PEAK_N)
PEAK_FOLLOW = 1 / (1 << firmware._PEAK_FOLLOW_SHIFT)  # per contact
PEAK_RELAX = 1 / (1 << firmware._PEAK_RELAX_SHIFT)  # per idle period
MAX_DURATION_SAMPLES = firmware._MAX_DURATION_SAMPLES


@dataclass
class Contact:
    on_s: float  # start: the total force rose above the touch level
    off_s: float  # end: it fell to the touch level again
    contact_ms: float
    swing_ms: float  # this foot in the air before the contact; 0 = unknown
    flight_ms: float  # both feet airborne, (swing - contact) / 2, 0 when walking
    peak_n: float
    peak_s: float
    loading_rate_n_s: float  # steepest 20 ms rise before the first peak
    strike: int  # STRIKE_HEEL / STRIKE_MID / STRIKE_FORE
    strike_pos: float  # per mille of foot length, heel 0, toes 1000
    first_zone: int
    cop_y_start: float  # per mille of foot length
    cop_y_end: float
    cop_ml_range: float  # per mille of the zone width
    share: list[float] = field(default_factory=list)  # per mille of the force-time integral


@dataclass
class ContactsResult:
    contacts: list[Contact]  # complete contacts (start and end seen)
    onsets_s: list[float]  # every confirmed contact start, also one still open at the end
    flags: int


def _span_per_mille(values: np.ndarray) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    if hi == lo:
        return np.full(len(values), 500.0)
    return (values - lo) * 1000.0 / (hi - lo)


def _floor_shift(rate: int) -> int:
    shift = 0
    while (2 << shift) <= rate // 5:
        shift += 1
    return shift


def _zone_forces(forces: np.ndarray, full_scale_n: float, stuck_samples: int):
    """Clamps negative readings, leaves out zones stuck at full scale; returns flags."""
    flags = 0
    f = np.array(forces, dtype=np.float64)
    if (f < 0).any():
        flags |= PFLAG_NEGATIVE
        f[f < 0] = 0.0
    at_fs = f >= full_scale_n
    if at_fs.any():
        # a zone is left out once it has read full scale for stuck_samples in a row
        idx = np.arange(len(f))[:, None]
        last_below = np.maximum.accumulate(np.where(at_fs, -1, idx), axis=0)
        stuck = at_fs & (idx - last_below > stuck_samples)
        if stuck.any():
            flags |= PFLAG_STUCK
            f[stuck] = 0.0
    return f, flags


@dataclass
class _PressureSignals:
    """The per-sample signals detect_contacts reads, and the counts it derives from the rate."""

    f: np.ndarray  # zone forces, N: negatives clamped, stuck zones left out
    flags: int  # PFLAG_*
    total: np.ndarray  # total force, N
    cop_x: np.ndarray  # centre of pressure, per mille of the zone width / foot length
    cop_y: np.ndarray
    zy: np.ndarray  # zone positions along the foot, per mille
    lag: int  # samples in 20 ms, for the loading rate
    rise: np.ndarray  # total force minus the total lag samples before, N
    per_s: int  # scans per second for the counts, rounded as the firmware does


def _pressure_signals(forces: np.ndarray, zone_xy: list[tuple[float, float]], rate_hz: float,
                      full_scale_n: float) -> _PressureSignals:
    """Zone forces cleaned up, their total, centre of pressure and 20 ms rise."""
    per_s = int(rate_hz)  # scans per second for the counts, rounded as the firmware does
    zx = _span_per_mille(np.array([xy[0] for xy in zone_xy], dtype=np.float64))
    zy = _span_per_mille(np.array([xy[1] for xy in zone_xy], dtype=np.float64))
    stuck_samples = per_s  # 1 s at full scale: a stuck zone
    f, flags = _zone_forces(forces, full_scale_n, stuck_samples)
    total = f.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cop_x = np.where(total > 0, f @ zx / total, 0.0)
        cop_y = np.where(total > 0, f @ zy / total, 0.0)
    lag = max(1, (per_s + 25) // 50)  # 20 ms for the loading rate
    back = np.concatenate([np.zeros(lag), total[:-lag]]) if len(total) > lag else np.zeros(len(total))
    rise = total - back
    return _PressureSignals(f, flags, total, cop_x, cop_y, zy, lag, rise, per_s)


class _ContactStates:
    """detect_contacts' state machine, one sample at a time: "standing" (loaded from the
    first sample: waits for it to lift), "off", "candidate" (above the touch level, not yet
    the confirm level), "on". Tracks the floor and the peak the levels are relative to."""

    def __init__(self, sig: _PressureSignals, rate: float, initial_peak_n: float):
        self.sig = sig
        self.rate = rate
        per_s = sig.per_s
        self.stuck_samples = per_s  # 1 s at full scale: a stuck zone
        self.start_samples = max(1, (per_s * 3 + 50) // 100)  # 30 ms of CoP for the strike
        self.max_ramp = (per_s * 3 + 5) // 10  # 300 ms from touch to confirm at most
        self.idle_samples = 2 * per_s  # 2 s without a contact: peak_track relaxes
        self.alpha = 1.0 / (1 << _floor_shift(per_s))
        self.peak_track = initial_peak_n
        self.floor = 0.0
        total = sig.total
        self.state = "standing" if len(total) and total[0] > _touch(self.floor, self.peak_track) else "off"
        self.idle = 0
        self.low_min = math.inf
        self.last_off: float | None = None
        self.contacts: list[Contact] = []
        self.onsets: list[float] = []
        self.c: dict = {}
        self.rise_start = 0

    def step(self, n: int) -> None:
        """Sample n through the states; a sample of a contact is added to it."""
        total = self.sig.total
        now = total[n]
        prev = total[n - 1] if n else now
        touch = _touch(self.floor, self.peak_track)
        if self.state == "standing":
            self.standing(now, touch)
            return
        if self.state == "off":
            if now <= touch:
                self.off(now)
                return
            self.rise_start = n
            self.c = self.begin(n, prev, now, touch)
            self.state = "candidate"
        elif (self.state == "candidate" and n - self.rise_start > self.max_ramp and now > touch
              and (self.c["peak"] <= 2 * touch - self.floor
                   or n - self.rise_start > self.stuck_samples)):
            # a low or over-long hover is floor (PressureContacts.push)
            self.floor += (now - self.floor) * self.alpha
            self.c = self.begin(n, prev, now, touch)
        elif now <= touch:
            was = self.state
            self.state = "off"
            if was == "on":
                self.end(n, prev, now, touch)
            return
        self.accumulate(n, now)

    def standing(self, now: float, touch: float) -> None:
        """Loaded from the start: off once the force falls to the touch level (or stays
        under the confirm level for a second: then its minimum is the floor)."""
        if now < _confirm(self.floor, self.peak_track):
            self.idle += 1
            self.low_min = min(self.low_min, now)
        if now <= touch or self.idle >= self.stuck_samples:
            if now > touch:
                self.floor = self.low_min
            self.idle = 0
            self.state = "off"

    def off(self, now: float) -> None:
        """In the air: the floor follows the force; long idle relaxes the tracked peak."""
        self.floor += (now - self.floor) * self.alpha
        self.idle += 1
        if self.idle >= self.idle_samples:
            self.idle = 0
            self.peak_track = max(MIN_PEAK_N, self.peak_track * (1 - PEAK_RELAX))

    def begin(self, n: int, prev: float, now: float, touch: float) -> dict:
        """A contact starting where the force rose through the touch level."""
        f, last_off, rate = self.sig.f, self.last_off, self.rate
        on = n - 1 + (touch - prev) / (now - prev) if prev < touch else n - 1.0
        swing = 0.0
        if last_off is not None and on - last_off < MAX_DURATION_SAMPLES:
            swing = max(0.0, (on - last_off) * 1000.0 / rate)
        return {"on": on, "swing": swing, "peak": 0.0, "peak_n": n, "loading": True,
                "max_rise": 0.0, "first_zone": int(np.argmax(f[n])), "start": [],
                "x_min": math.inf, "x_max": -math.inf, "y_end": 0.0,
                "impulse": np.zeros(f.shape[1])}

    def end(self, n: int, prev: float, now: float, touch: float) -> None:
        """A confirmed contact ended: kept, and the tracked peak follows its peak."""
        sig = self.sig
        contact, self.last_off = _end(self.c, n, prev, now, touch, self.rate, sig.lag, sig.zy)
        self.contacts.append(contact)
        self.idle = 0
        self.peak_track = max(MIN_PEAK_N, self.peak_track + (contact.peak_n - self.peak_track) * PEAK_FOLLOW)

    def accumulate(self, n: int, now: float) -> None:
        """Sample n into the contact: peak, loading rise, CoP, impulse; a candidate
        reaching the confirm level is a contact (its onset counted)."""
        c, sig = self.c, self.sig
        if now > c["peak"]:
            c["peak"], c["peak_n"] = now, n
        if c["loading"]:
            if now < 0.9 * c["peak"]:
                c["loading"] = False
            else:
                c["max_rise"] = max(c["max_rise"], sig.rise[n])
        c["x_min"] = min(c["x_min"], sig.cop_x[n])
        c["x_max"] = max(c["x_max"], sig.cop_x[n])
        c["y_end"] = sig.cop_y[n]
        if len(c["start"]) < self.start_samples:
            c["start"].append(sig.cop_y[n])
        c["impulse"] += sig.f[n]
        if self.state == "candidate" and now >= _confirm(self.floor, self.peak_track):
            self.state = "on"
            self.onsets.append(c["on"] / self.rate)


def detect_contacts(
    forces: np.ndarray,
    zone_xy: list[tuple[float, float]],
    rate_hz: float,
    full_scale_n: float = 3276.7,
    initial_peak_n: float = INITIAL_PEAK_N,
) -> ContactsResult:
    """Foot contacts in zone forces (N, shape (samples, zones)): each sample through
    _ContactStates, the levels relative to a tracked floor and peak."""
    forces = np.asarray(forces, dtype=np.float64)
    if forces.ndim != 2 or forces.shape[1] != len(zone_xy) or not len(zone_xy):
        raise ValueError("forces must be (samples, zones) with one position per zone")
    sig = _pressure_signals(forces, zone_xy, rate_hz, full_scale_n)
    states = _ContactStates(sig, float(rate_hz), initial_peak_n)
    for n in range(1, len(sig.total)) if states.state == "standing" else range(len(sig.total)):
        states.step(n)
    return ContactsResult(contacts=states.contacts, onsets_s=states.onsets, flags=sig.flags)


def _touch(floor: float, peak_track: float) -> float:
    return floor + max(peak_track * TOUCH_FRACTION, MIN_TOUCH_N)


def _confirm(floor: float, peak_track: float) -> float:
    return floor + max(peak_track * CONFIRM_FRACTION, MIN_CONFIRM_N)


def _end(c: dict, n: int, prev: float, now: float, touch: float, rate: float, lag: int,
         zy: np.ndarray) -> tuple[Contact, float]:
    off = n - 1 + ((prev - touch) / (prev - now) if now < touch else 1.0)
    contact_ms = min(off - c["on"], MAX_DURATION_SAMPLES) * 1000.0 / rate
    flight = (c["swing"] - contact_ms) / 2 if c["swing"] > contact_ms else 0.0
    cop0 = float(np.mean(c["start"])) if c["start"] else c["y_end"]
    pos = (cop0 + zy[c["first_zone"]]) / 2
    strike = STRIKE_HEEL if pos < 1000 / 3 else STRIKE_FORE if pos > 2000 / 3 else STRIKE_MID
    imp = c["impulse"]
    share = list(imp * 1000.0 / imp.sum()) if imp.sum() > 0 else [0.0] * len(imp)
    contact = Contact(
        on_s=c["on"] / rate,
        off_s=off / rate,
        contact_ms=contact_ms,
        swing_ms=c["swing"],
        flight_ms=flight,
        peak_n=c["peak"],
        peak_s=c["peak_n"] / rate,
        loading_rate_n_s=c["max_rise"] * rate / lag,
        strike=strike,
        strike_pos=pos,
        first_zone=c["first_zone"],
        cop_y_start=cop0,
        cop_y_end=c["y_end"],
        cop_ml_range=c["x_max"] - c["x_min"],
        share=share,
    )
    return contact, off
