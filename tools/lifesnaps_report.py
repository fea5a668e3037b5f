"""How the readiness rules behave on real, messy wellness data: the LifeSnaps Fitbit days of
the people in ../shared/datasets/daily/lifesnaps_daily.csv (35 people; more are held back).

For each person and signal (HRV, resting HR, sleep): nights recorded per week, the days the
signal could be judged, the share of those days it drifted, and the day its baseline was
calibrated (counted from the signal's first night); for the two-of-three rule: the days two
signals could be judged and the share of those days two drifted together. Then, over all
people: the pooled rates, the typical person's rate (median over the people with at least
14 judged days), the spread, the share of people calibrated within 3 weeks (among those who
wear the device at least 3 nights a week), each against the aim of issue 17.

    .venv/bin/python tools/lifesnaps_report.py [--csv PATH] [--summary]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stridepod.recovery import Config, History, WellnessDay
from stridepod.recovery.assess import prepare
from stridepod.recovery.baseline import CALIBRATING, DRIFTING, SignalSeries
from stridepod.recovery.readiness import SIGNAL_NAMES, SIGNALS

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "daily" / "lifesnaps_daily.csv"
MIN_JUDGED_DAYS = 14  # a person's rate counts towards the typical person from two weeks judged
CALIBRATE_WITHIN_DAYS = 21
REGULAR_NIGHTS_PER_WEEK = 3.0
AIM_SIGNAL, AIM_TWO = 0.20, 0.10  # issue 17: drifting days of a typical person


@dataclass
class SignalFigures:
    nights: int  # values kept after cleaning
    nights_per_week: float  # over the signal's own span (first to last value)
    first_weeks_nights: int  # in the first 3 weeks from the signal's first night
    judged: int  # days judged (ok or drifting; a day without a record is judged on the days before)
    drifting: int
    calibrated_day: int | None  # 1 = the first night; None = never calibrated

    @property
    def rate(self) -> float | None:
        return self.drifting / self.judged if self.judged else None

    @property
    def regular_start(self) -> bool:
        """Worn at least 3 nights a week in the first 3 weeks: the aim's people."""
        return self.first_weeks_nights >= REGULAR_NIGHTS_PER_WEEK * CALIBRATE_WITHIN_DAYS / 7

    @property
    def regular(self) -> bool:
        """Worn at least 3 nights a week on average over the record (3 weeks or more)."""
        return self.nights_per_week >= REGULAR_NIGHTS_PER_WEEK and self.nights >= 9


@dataclass
class PersonReport:
    person: str
    days: int  # days with any value
    calendar_days: int  # first to last record: a verdict is given on days without a record too
    signals: dict[str, SignalFigures]
    two_judged: int  # days with at least two signals judged
    two_fired: int

    @property
    def two_rate(self) -> float | None:
        return self.two_fired / self.two_judged if self.two_judged else None


def _num(text: str) -> float | None:
    try:
        return float(text) if text not in ("", "nan") else None
    except ValueError:
        return None


def load_lifesnaps(path: Path) -> dict[str, list[WellnessDay]]:
    """One WellnessDay per row: resting HR, nightly rMSSD, minutes asleep as hours."""
    people: dict[str, list[WellnessDay]] = defaultdict(list)
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            minutes = _num(row["minutesAsleep"])
            people[row["id"]].append(WellnessDay(
                dt.date.fromisoformat(row["date"]), _num(row["resting_hr"]), _num(row["rmssd"]),
                None if minutes is None else minutes / 60.0, "lifesnaps"))
    return people


def thin(days: list[WellnessDay], nights_a_week: int, seed: int) -> list[WellnessDay]:
    """The person as if the device were worn `nights_a_week` nights of each calendar week
    (which nights: drawn at random, seeded): sparse wear, as many Fitbit users have."""
    import random

    rng = random.Random(seed)
    worn: dict[tuple[int, int], set[int]] = {}
    out = []
    for d in sorted(days, key=lambda d: d.date):
        week = d.date.isocalendar()[:2]
        if week not in worn:
            worn[week] = set(rng.sample(range(7), nights_a_week))
        if d.date.weekday() in worn[week]:
            out.append(d)
    return out


def signal_figures(s: SignalSeries) -> SignalFigures:
    present = np.flatnonzero(~np.isnan(s.values))
    if not len(present):
        return SignalFigures(0, 0.0, 0, 0, 0, None)
    first, last = int(present[0]), int(present[-1])
    per_week = 7.0 * len(present) / (last - first + 1)
    calibrated = np.flatnonzero(s.state[first:] != CALIBRATING)
    first_weeks = int(np.count_nonzero(present < first + CALIBRATE_WITHIN_DAYS))
    return SignalFigures(len(present), per_week, first_weeks, int(np.count_nonzero(s.judged)),
                         int(np.count_nonzero(s.state == DRIFTING)),
                         int(calibrated[0]) + 1 if len(calibrated) else None)


def person_report(person: str, days: list[WellnessDay], cfg: Config) -> PersonReport:
    today = max(d.date for d in days)
    rs = prepare(History(wellness=days), today, cfg).readiness
    recorded = sum(1 for d in {d.date for d in days if any(
        v is not None for v in (d.resting_hr, d.rmssd_ms, d.sleep_h))})
    two_judged = rs.judged_count >= cfg.readiness_signals_needed
    return PersonReport(person, recorded, len(rs.cut), {n: signal_figures(s) for n, s in rs.signals().items()},
                        int(np.count_nonzero(two_judged)), int(np.count_nonzero(rs.cut)))


def _pct(x: float | None) -> str:
    return "   -" if x is None else f"{100 * x:3.0f}%"


def _cal(f: SignalFigures) -> str:
    return "never" if f.calibrated_day is None else f"day {f.calibrated_day}"


def print_people(reports: list[PersonReport]) -> None:
    print("per person: nights a week | days judged, % of them drifting | baseline calibrated on")
    print(f"{'person':>6} {'days':>4} | " + " | ".join(f"{SIGNAL_NAMES[n]:<24}" for n in SIGNALS)
          + " | two of three")
    for r in reports:
        cells = []
        for n in SIGNALS:
            f = r.signals[n]
            cells.append(f"{f.nights_per_week:3.1f}/wk {f.judged:3d} {_pct(f.rate)} {_cal(f):>8}"
                         if f.nights else f"{'no data':<24}")
        print(f"{r.person:>6} {r.days:>4} | " + " | ".join(cells)
              + f" | {r.two_judged:3d} {_pct(r.two_rate)}")


def _rate_row(label: str, judged: int, fired: int, rates: list[float], aim: float) -> tuple[str, bool]:
    """One line of the drift table; whether the typical person meets the aim."""
    typical = statistics.median(rates) if rates else 0.0
    ok = typical <= aim
    if rates:
        q = 100 * np.percentile(rates, [0, 25, 75, 90, 100])
        spread = f"{q[1]:4.0f}-{q[2]:<3.0f} {q[3]:5.0f} {q[0]:6.0f}-{q[4]:<3.0f}"
    else:
        spread = f"{'-':>22}"
    line = (f"{label:<12} {_pct(fired / judged if judged else None):>6} {judged:>6} {100 * typical:6.0f}% "
            f"{spread} {len(rates):>6}   <= {100 * aim:.0f}%  {'met' if ok else 'NOT MET'}")
    return line, ok


def summary(reports: list[PersonReport]) -> tuple[list[str], bool]:
    """The overall lines and whether every aim is met."""
    lines = [f"drifting, % of judged days (typical = median over people with >= {MIN_JUDGED_DAYS} judged days)",
             f"{'signal':<12} {'pooled':>6} {'days':>6} {'typical':>7} {'quartiles':>9} {'90th':>5} "
             f"{'range':>10} {'people':>6}   aim"]
    met = True
    for n in SIGNALS:
        figures = [r.signals[n] for r in reports]
        rates = [f.rate for f in figures if f.judged >= MIN_JUDGED_DAYS and f.rate is not None]
        line, ok = _rate_row(SIGNAL_NAMES[n], sum(f.judged for f in figures), sum(f.drifting for f in figures),
                             rates, AIM_SIGNAL)
        lines.append(line)
        met &= ok
    rates = [r.two_rate for r in reports if r.two_judged >= MIN_JUDGED_DAYS and r.two_rate is not None]
    line, ok = _rate_row("two of three", sum(r.two_judged for r in reports), sum(r.two_fired for r in reports),
                         rates, AIM_TWO)
    lines.append(line)
    met &= ok
    lines += ["", f"baseline calibrated within {CALIBRATE_WITHIN_DAYS} days of the first night (aim: all of "
              f"the people", f"with >= {REGULAR_NIGHTS_PER_WEEK:g} nights a week in those weeks)",
              f"{'signal':<12} {'calibrated':>12} {'on day':>13} {'of those averaging 3/wk':>24} "
              f"{'ever':>10}"]
    for n in SIGNALS:
        line, ok = _calibration_row(n, reports)
        lines.append(line)
        met &= ok
    return lines, met


def _calibrated_in_time(reports: list[PersonReport], n: str) -> list[PersonReport]:
    return [r for r in reports if (r.signals[n].calibrated_day or 10**6) <= CALIBRATE_WITHIN_DAYS]


def _calibration_row(n: str, reports: list[PersonReport]) -> tuple[str, bool]:
    """Calibrated within 3 weeks: of the people who wore the device 3 nights a week in those
    3 weeks (the aim), and, for comparison, of those who did on average over their record."""
    start = [r for r in reports if r.signals[n].regular_start]
    average = [r for r in reports if r.signals[n].regular]
    fast = _calibrated_in_time(start, n)
    days = sorted(r.signals[n].calibrated_day or 0 for r in fast)
    on_day = f"{days[0]}-{days[-1]} ({statistics.median(days):g})" if days else "-"
    ever = sum(1 for r in reports if r.signals[n].calibrated_day is not None)
    ok = len(fast) == len(start)
    return (f"{SIGNAL_NAMES[n]:<12} {f'{len(fast)} of {len(start)}':>12} {on_day:>13} "
            f"{f'{len(_calibrated_in_time(average, n))} of {len(average)}':>24} "
            f"{f'{ever} of {len(reports)}':>10}  {'met' if ok else 'NOT MET'}"), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] + " Prints per-person and overall drift and "
        "calibration rates against the aims of issue 17; exit code 1 when an aim is not met.")
    parser.add_argument("--csv", type=Path, default=DEFAULT, help=f"LifeSnaps daily CSV (default: {DEFAULT})")
    parser.add_argument("--summary", action="store_true", help="only the overall figures, not each person")
    parser.add_argument("--nights-a-week", type=int, choices=range(1, 8), metavar="N", default=None,
                        help="keep only N random nights of each week of every person (sparse wear)")
    parser.add_argument("--seed", type=int, default=1, help="random seed for --nights-a-week (default 1)")
    args = parser.parse_args(argv)
    if not args.csv.is_file():
        print(f"error: {args.csv} not found (see ../shared/datasets/README.md)", file=sys.stderr)
        return 2
    cfg = Config()
    people = load_lifesnaps(args.csv)
    if args.nights_a_week:
        people = {p: thin(days, args.nights_a_week, args.seed + i)
                  for i, (p, days) in enumerate(sorted(people.items()))}
        people = {p: days for p, days in people.items() if days}
    reports = [person_report(p, people[p], cfg) for p in sorted(people, key=lambda p: (len(p), p))]
    if not args.summary:
        print_people(reports)
        print()
    lines, met = summary(reports)
    worn = f"; thinned to {args.nights_a_week} random nights a week" if args.nights_a_week else ""
    print(f"{len(reports)} people, {sum(r.days for r in reports)} days with data; Config() defaults "
          f"(docs/recovery.md){worn}")
    print("\n".join(lines))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
