"""Runs the firmware's insole contact detector (PressureContacts, under CPython) and its
float reference on recordings, for the pressure tests."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np

import podfw  # noqa: F401  (installs the CPython stand-in for `micropython`)
from podfw.gait.pressure import EV_OFF, EV_ON, PressureContacts
from stridepod import dumps
from stridepod.replay import GaitResult

DUMPS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "dumps"
LSB_PER_NEWTON = 10

ON_FIELDS = ("on_index", "on_frac", "swing_ms")
OFF_FIELDS = ("on_index", "on_frac", "off_index", "off_frac", "contact_ms", "swing_ms",
              "flight_ms", "peak", "peak_index", "loading_rate", "strike", "strike_pos",
              "first_zone", "cop_y_start", "cop_y_end", "cop_ml_range")

# Reference contacts and airborne gaps shorter than this are chatter of the reference's
# own fixed 20 N threshold (the total force hovering around 20 N at toe-off), not steps:
# no foot touches down or lifts off for under 50 ms (sprint contacts last 80 ms or more).
CHATTER_S = 0.05


@functools.cache
def gaitpdb() -> tuple[dumps.Recording, ...]:
    return tuple(dumps.load(p) for p in sorted(DUMPS.glob("gaitpdb_*.csv")))


def zone_xy(rec: dumps.Recording) -> list[tuple[int, int]]:
    return [(int(z["x"]), int(z["y"])) for z in rec.zones]


def run_firmware(scans: np.ndarray, zones, rate_hz: float, detector=None):
    """Pushes integer scans through PressureContacts. Returns (GaitResult, contacts as
    dicts of the attributes the engine reads at EV_OFF, detector)."""
    pc = detector or PressureContacts(zones, rate_hz, LSB_PER_NEWTON)
    result = GaitResult()
    contacts = []
    for row in scans.tolist():
        ev = pc.push(row)
        if ev & EV_ON:
            result.initial_contacts_s.append((pc.on_index + pc.on_frac / 100) / rate_hz)
        if ev & EV_OFF:
            result.final_contacts_s.append((pc.off_index + pc.off_frac / 100) / rate_hz)
            result.contact_ms.append(pc.contact_ms)
            c = {k: getattr(pc, k) for k in OFF_FIELDS}
            c["share"] = list(pc.share)
            contacts.append(c)
    return result, contacts, pc


def event_lines(scans: np.ndarray, zones, rate_hz: float) -> list[str]:
    """What PressureContacts reports on the scans, as the text
    tests/firmware/pressure_replay.py prints under MicroPython: "on,<scan>,ON_FIELDS..."
    at a touch-down, "off,<scan>,OFF_FIELDS...,<share per zone>..." at a lift-off, then
    "flags,<flags>"."""
    pc = PressureContacts(zones, rate_hz, LSB_PER_NEWTON)
    lines = []
    for i, row in enumerate(scans.tolist()):
        ev = pc.push(row)
        if ev & EV_ON:
            lines.append(",".join(["on", str(i), *(str(getattr(pc, k)) for k in ON_FIELDS)]))
        if ev & EV_OFF:
            lines.append(",".join(["off", str(i), *(str(getattr(pc, k)) for k in OFF_FIELDS),
                                   *(str(s) for s in pc.share)]))
    lines.append(f"flags,{pc.take_flags()}")
    return lines


def run_recording(rec: dumps.Recording):
    return run_firmware(dumps.quantise(rec.pressure, LSB_PER_NEWTON), zone_xy(rec), rec.rate_hz)


def debounced(rec: dumps.Recording) -> dumps.Recording:
    """The recording with its reference events cleared of threshold chatter: an
    off-on pair less than CHATTER_S apart is merged into one contact, then a contact
    shorter than CHATTER_S is dropped."""
    truth = dict(rec.truth or {})
    events = sorted([(t, "ic") for t in dumps.truth_times(rec, "initial_contacts_s")]
                    + [(t, "fc") for t in dumps.truth_times(rec, "final_contacts_s")])
    merged: list[tuple[float, str]] = []
    for t, kind in events:
        if kind == "ic" and merged and merged[-1][1] == "fc" and t - merged[-1][0] < CHATTER_S:
            merged.pop()
            continue
        merged.append((t, kind))
    kept: list[tuple[float, str]] = []
    for t, kind in merged:
        if kind == "fc" and kept and kept[-1][1] == "ic" and t - kept[-1][0] < CHATTER_S:
            kept.pop()
            continue
        kept.append((t, kind))
    truth["initial_contacts_s"] = [t for t, k in kept if k == "ic"]
    truth["final_contacts_s"] = [t for t, k in kept if k == "fc"]
    return dataclasses.replace(rec, truth=truth)
