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


def detect_contacts(
    forces: np.ndarray,
    zone_xy: list[tuple[float, float]],
    rate_hz: float,
    full_scale_n: float = 3276.7,
    initial_peak_n: float = INITIAL_PEAK_N,
) -> ContactsResult:
    forces = np.asarray(forces, dtype=np.float64)
    if forces.ndim != 2 or forces.shape[1] != len(zone_xy) or not len(zone_xy):
        raise ValueError("forces must be (samples, zones) with one position per zone")
    rate = float(rate_hz)
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
    start_samples = max(1, (per_s * 3 + 50) // 100)  # 30 ms of CoP for the strike
    max_ramp = (per_s * 3 + 5) // 10  # 300 ms from touch to confirm at most
    idle_samples = 2 * per_s  # 2 s without a contact: peak_track relaxes
    alpha = 1.0 / (1 << _floor_shift(per_s))

    peak_track = initial_peak_n
    floor = 0.0
    state = "standing" if len(total) and total[0] > _touch(floor, peak_track) else "off"
    idle = 0
    low_min = math.inf
    last_off: float | None = None
    contacts: list[Contact] = []
    onsets: list[float] = []
    c: dict = {}
    rise_start = 0

    def begin(n: int, prev: float, now: float, touch: float) -> dict:
        on = n - 1 + (touch - prev) / (now - prev) if prev < touch else n - 1.0
        swing = 0.0
        if last_off is not None and on - last_off < MAX_DURATION_SAMPLES:
            swing = max(0.0, (on - last_off) * 1000.0 / rate)
        return {"on": on, "swing": swing, "peak": 0.0, "peak_n": n, "loading": True,
                "max_rise": 0.0, "first_zone": int(np.argmax(f[n])), "start": [],
                "x_min": math.inf, "x_max": -math.inf, "y_end": 0.0,
                "impulse": np.zeros(f.shape[1])}

    for n in range(1, len(total)) if state == "standing" else range(len(total)):
        now = total[n]
        prev = total[n - 1] if n else now
        touch = _touch(floor, peak_track)
        if state == "standing":
            if now < _confirm(floor, peak_track):
                idle += 1
                low_min = min(low_min, now)
            if now <= touch or idle >= stuck_samples:
                if now > touch:
                    floor = low_min
                idle = 0
                state = "off"
            continue
        if state == "off":
            if now <= touch:
                floor += (now - floor) * alpha
                idle += 1
                if idle >= idle_samples:
                    idle = 0
                    peak_track = max(MIN_PEAK_N, peak_track * (1 - PEAK_RELAX))
                continue
            rise_start = n
            c = begin(n, prev, now, touch)
            state = "candidate"
        elif state == "candidate" and n - rise_start > max_ramp and now > touch:
            floor += (now - floor) * alpha
            c = begin(n, prev, now, touch)
        elif now <= touch:
            was = state
            state = "off"
            if was == "on":
                contact, last_off = _end(c, n, prev, now, touch, rate, lag, zy)
                contacts.append(contact)
                idle = 0
                peak_track = max(MIN_PEAK_N, peak_track + (contact.peak_n - peak_track) * PEAK_FOLLOW)
            continue
        # accumulate this sample into the contact
        if now > c["peak"]:
            c["peak"], c["peak_n"] = now, n
        if c["loading"]:
            if now < 0.9 * c["peak"]:
                c["loading"] = False
            else:
                c["max_rise"] = max(c["max_rise"], rise[n])
        c["x_min"] = min(c["x_min"], cop_x[n])
        c["x_max"] = max(c["x_max"], cop_x[n])
        c["y_end"] = cop_y[n]
        if len(c["start"]) < start_samples:
            c["start"].append(cop_y[n])
        c["impulse"] += f[n]
        if state == "candidate" and now >= _confirm(floor, peak_track):
            state = "on"
            onsets.append(c["on"] / rate)
    return ContactsResult(contacts=contacts, onsets_s=onsets, flags=flags)


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
