"""Runs the firmware's insole contact detector (PressureContacts, under CPython) and its
float reference on recordings, for the pressure tests."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np

import podfw  # noqa: F401  (installs the CPython stand-in for `micropython`)
from podfw.gait.pressure import EV_OFF, EV_ON, PressureContacts
from stridepod.recordings import dumpfile
from stridepod.recordings.evaluation import without_chatter
from stridepod.recordings.replay import GaitResult

DUMPS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "dumps"
LSB_PER_NEWTON = 10

ON_FIELDS = ("on_index", "on_frac", "swing_ms")
OFF_FIELDS = ("on_index", "on_frac", "off_index", "off_frac", "contact_ms", "swing_ms",
              "flight_ms", "peak", "peak_index", "loading_rate", "strike", "strike_pos",
              "first_zone", "cop_y_start", "cop_y_end", "cop_ml_range")


@functools.cache
def gaitpdb() -> tuple[dumpfile.Recording, ...]:
    return tuple(dumpfile.load(p) for p in sorted(DUMPS.glob("gaitpdb_*.csv")))


def zone_xy(rec: dumpfile.Recording) -> list[tuple[int, int]]:
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


def run_recording(rec: dumpfile.Recording):
    return run_firmware(dumpfile.quantise(rec.pressure, LSB_PER_NEWTON), zone_xy(rec), rec.rate_hz)


def debounced(rec: dumpfile.Recording) -> dumpfile.Recording:
    """The recording with its reference events cleared of the chatter of the reference's
    own fixed 20 N threshold (evaluation.without_chatter)."""
    ic, fc, _ = without_chatter(dumpfile.truth_times(rec, "initial_contacts_s"),
                                dumpfile.truth_times(rec, "final_contacts_s"))
    truth = dict(rec.truth or {})
    truth["initial_contacts_s"] = ic
    truth["final_contacts_s"] = fc
    return dataclasses.replace(rec, truth=truth)
