"""Writes the insole fixture the MicroPython pressure test replays, and the contacts the
firmware's PressureContacts finds in it under CPython (the MicroPython run must give
exactly these).

    .venv/bin/python tools/make_pressure_fixture.py

Source: the first 15 s of the right insole of PhysioNet gaitpdb healthy control JuCo03_01
(Hausdorff et al., ODC-By 1.0), quantised to the pod's 0.1 N.
It starts with the foot loaded, has an 8 N zone offset and threshold chatter at toe-off.
tests/host/test_pressure_gaitpdb.py checks that both files are still what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import podfw  # noqa: F401  (installs the CPython stand-in for `micropython`)
from podfw.gait.pressure import EV_OFF, EV_ON, PressureContacts
from stridepod import dumps

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets" / "dumps"
SOURCE = "gaitpdb_JuCo03_01_right"
SECONDS = 15
FIXTURE = ROOT / "tests" / "firmware" / "data" / "pressure_gaitpdb_juco03_right.csv"
EXPECTED = ROOT / "tests" / "firmware" / "data" / "pressure_gaitpdb_juco03_right.expected.csv"

ON_FIELDS = ("on_index", "on_frac", "swing_ms")
OFF_FIELDS = ("on_index", "on_frac", "off_index", "off_frac", "contact_ms", "swing_ms",
              "flight_ms", "peak", "peak_index", "loading_rate", "strike", "strike_pos",
              "first_zone", "cop_y_start", "cop_y_end", "cop_ml_range")


def fixture_text() -> str:
    rec = dumps.load(DATASETS / f"{SOURCE}.csv")
    rows = dumps.quantise(rec.pressure, 10.0)[: int(SECONDS * rec.rate_hz)]
    zones = [(int(z["x"]), int(z["y"])) for z in rec.zones]
    lines = [
        f"# {SOURCE}, first {SECONDS} s, zone force in 0.1 N; PhysioNet gaitpdb (Hausdorff et al.), ODC-By 1.0",
        "# rate_hz " + str(int(rec.rate_hz)),
        "# zones " + " ".join(f"{x},{y}" for x, y in zones),
    ]
    lines += [",".join(str(int(v)) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def expected_text(fixture: str) -> str:
    """Runs the firmware class on the fixture text; one line per event."""
    lines = fixture.splitlines()
    rate = int(lines[1].split()[2])
    zones = [tuple(int(v) for v in xy.split(",")) for xy in lines[2].split()[2:]]
    pc = PressureContacts(zones, rate)
    out = ["# event,index," + ",".join(OFF_FIELDS) + ",share..."]
    for line in lines[3:]:
        ev = pc.push([int(v) for v in line.split(",")])
        if ev & EV_ON:
            vals = [str(getattr(pc, f)) for f in ON_FIELDS]
            out.append(f"on,{pc.index - 1}," + ",".join(vals))
        if ev & EV_OFF:
            vals = [str(getattr(pc, f)) for f in OFF_FIELDS] + [str(s) for s in pc.share]
            out.append(f"off,{pc.index - 1}," + ",".join(vals))
    out.append(f"flags,{pc.take_flags()}")
    return "\n".join(out) + "\n"


def main() -> int:
    fixture = fixture_text()
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(fixture)
    EXPECTED.write_text(expected_text(fixture))
    print(f"wrote {FIXTURE.relative_to(ROOT)} and {EXPECTED.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
