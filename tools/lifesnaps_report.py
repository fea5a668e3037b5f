"""Readiness rules on real, messy wellness data (LifeSnaps, 35 Fitbit users).

Prints, per person: days with data, days each signal drifted, days the two-of-three rule
fired, and the days each signal was still calibrating.

    .venv/bin/python tools/lifesnaps_report.py [path/to/lifesnaps_daily.csv]
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stridepod.recovery import Config, History, WellnessDay
from stridepod.recovery.assess import prepare
from stridepod.recovery.readiness import CALIBRATING, DRIFTING, SIGNALS

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "daily" / "lifesnaps_daily.csv"


@dataclass
class PersonReport:
    person: str
    days: int
    fired: dict[str, int]  # hrv, rhr, sleep, two_of_three
    calibrating: dict[str, int]
    dropped: dict[str, int]


def _num(text: str) -> float | None:
    try:
        return float(text) if text not in ("", "nan") else None
    except ValueError:
        return None


def load_lifesnaps(path: Path) -> dict[str, list[WellnessDay]]:
    import datetime as dt

    people: dict[str, list[WellnessDay]] = defaultdict(list)
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            minutes = _num(row["minutesAsleep"])
            people[row["id"]].append(WellnessDay(
                dt.date.fromisoformat(row["date"]), _num(row["resting_hr"]), _num(row["rmssd"]),
                None if minutes is None else minutes / 60.0, "lifesnaps"))
    return people


def person_report(person: str, days: list[WellnessDay], cfg: Config) -> PersonReport:
    today = max(d.date for d in days)
    p = prepare(History(wellness=days), today, cfg)
    rs = p.readiness
    series = {"hrv": rs.hrv, "rhr": rs.rhr, "sleep": rs.sleep}
    # only days with at least one value count: gaps are neither "fired" nor "calibrating"
    recorded = np.zeros(p.grid.days, dtype=bool)
    for d in days:
        if any(v is not None for v in (d.resting_hr, d.rmssd_ms, d.sleep_h)):
            recorded[p.grid.index(d.date)] = True
    fired = {n: int(np.count_nonzero((series[n].state == DRIFTING) & recorded)) for n in SIGNALS}
    fired["two_of_three"] = int(np.count_nonzero(rs.cut & recorded))
    calibrating = {n: int(np.count_nonzero((series[n].state == CALIBRATING) & recorded)) for n in SIGNALS}
    dropped = {n: int(np.count_nonzero(series[n].dropped)) for n in SIGNALS}
    return PersonReport(person, int(recorded.sum()), fired, calibrating, dropped)


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT
    cfg = Config()
    people = load_lifesnaps(path)
    header = (f"{'person':>6} {'days':>5} | fired: {'hrv':>4} {'rhr':>4} {'sleep':>5} {'2of3':>5} | "
              f"calibrating: {'hrv':>4} {'rhr':>4} {'sleep':>5} | dropped: {'hrv':>3} {'rhr':>3} {'slp':>3}")
    print(header)
    totals = defaultdict(int)
    for person in sorted(people, key=lambda p: int(p) if p.isdigit() else p):
        r = person_report(person, people[person], cfg)
        print(f"{r.person:>6} {r.days:>5} |        {r.fired['hrv']:>4} {r.fired['rhr']:>4} {r.fired['sleep']:>5} "
              f"{r.fired['two_of_three']:>5} |              {r.calibrating['hrv']:>4} {r.calibrating['rhr']:>4} "
              f"{r.calibrating['sleep']:>5} |          {r.dropped['hrv']:>3} {r.dropped['rhr']:>3} {r.dropped['sleep']:>3}")
        totals["days"] += r.days
        for k, v in r.fired.items():
            totals["fired_" + k] += v
        for k, v in r.calibrating.items():
            totals["cal_" + k] += v
        for k, v in r.dropped.items():
            totals["drop_" + k] += v
    print(f"{'total':>6} {totals['days']:>5} |        {totals['fired_hrv']:>4} {totals['fired_rhr']:>4} "
          f"{totals['fired_sleep']:>5} {totals['fired_two_of_three']:>5} |              {totals['cal_hrv']:>4} "
          f"{totals['cal_rhr']:>4} {totals['cal_sleep']:>5} |          {totals['drop_hrv']:>3} "
          f"{totals['drop_rhr']:>3} {totals['drop_sleep']:>3}")
    print(f"{len(people)} people; thresholds: Config() defaults (docs/recovery.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
