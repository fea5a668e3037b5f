"""Accuracy of detected gait events against reference events (`NAME.truth.json`).

Matching is one to one, nearest pair first, within a tolerance: initial contacts are
scored within ±50 ms and within ±100 ms (IC_WINDOWS_S), final contacts within ±100 ms.
Each reference kind also has its own window (OWN_IC_WINDOW_S): an expert annotation on
the foot IMU marks the end of foot motion, later than the motion-capture contact, and is
scored at ±100 ms; the others at ±50 ms. Only events inside the scored stretches count:
inside `walking_bounds_s` when the truth gives it, otherwise inside the span of the
reference events (a motion-capture volume or a force plate only sees part of a walk),
and never inside an `exclude_s` stretch (interpolated sensor data). A detected event
within the tolerance of a scored reference event is matched even if it lies just
outside the stretch (a walk's last strike is its bound); one that stays unmatched
outside the stretch is not an error there, but with `walking_bounds_s` it is counted as
a strike while standing.

Unmatched events are counted by cause (CAUSES), the first that applies: `timing` (a
missed reference event and an extra detection within twice the tolerance of each other,
paired nearest first: the event was found, outside the window), `turn` (within the
tolerance of a `turn_bounds_s` stretch), `first_last` (a missed reference event that is
the first or last of its stretch; an extra detection before the first or after the last
reference event), `other`. In the reference of
one foot, contacts and swings shorter than CHATTER_S are merged away first: no foot
touches down or swings for under 50 ms (sprint contacts last 80 ms or more), so they are
the chatter of a threshold-derived reference around its level, not steps (the count is
reported). References of both feet (force plates) keep short flights between feet.
Final contacts are not scored for sacrum pods, which report initial contacts only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from stridepod.errors import StridepodError
from stridepod.recordings import dumpfile
from stridepod.recordings.replay import GaitResult

IC_TOLERANCE_S = 0.050
FC_TOLERANCE_S = 0.100
IC_WINDOWS_S = (IC_TOLERANCE_S, 0.100)  # every family is scored in both windows
# the initial-contact window a reference calls for, by its truth "kind" (else ±50 ms)
OWN_IC_WINDOW_S = {"expert-annotated": 0.100}
CAUSES = ("timing", "turn", "first_last", "other")
MAX_CONTACT_S = 2.0
CHATTER_S = 0.050


class EvaluationError(StridepodError):
    pass


def match_events(detected: Iterable[float], reference: Iterable[float], tolerance_s: float):
    """Pairs detected with reference events one to one, the nearest pairs first.
    Returns (pairs as (detected index, reference index) sorted by reference time,
    unmatched detected indices, unmatched reference indices)."""
    det = np.asarray(list(detected), dtype=float)
    ref = np.asarray(list(reference), dtype=float)
    candidates = []
    for i, t in enumerate(det):
        lo = np.searchsorted(ref, t - tolerance_s, side="left")
        hi = np.searchsorted(ref, t + tolerance_s, side="right")
        for j in range(lo, hi):
            candidates.append((abs(t - ref[j]), i, j))
    candidates.sort()
    used_det, used_ref, pairs = set(), set(), []
    for _, i, j in candidates:
        if i not in used_det and j not in used_ref:
            used_det.add(i)
            used_ref.add(j)
            pairs.append((i, j))
    pairs.sort(key=lambda p: p[1])
    return (pairs, [i for i in range(len(det)) if i not in used_det],
            [j for j in range(len(ref)) if j not in used_ref])


def stretches_of(truth: dict, key: str) -> list[tuple[float, float]]:
    """A truth's list of (start, end) seconds under `key` (one pair or a list of pairs);
    an EvaluationError names the key when it is not that."""
    value = truth.get(key) or []
    if value and isinstance(value[0], (int, float)):
        value = [value]
    out = []
    for pair in value:
        if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                or not all(isinstance(x, (int, float)) for x in pair) or not pair[0] <= pair[1]):
            raise EvaluationError(f"truth {key}: {pair!r} is not a [start, end] pair in seconds")
        out.append((float(pair[0]), float(pair[1])))
    return out


def scored_stretches(truth: dict, tolerance_s: float) -> list[tuple[float, float]]:
    """Where events are scored, as (start, end) seconds, before exclusions."""
    bounds = stretches_of(truth, "walking_bounds_s")
    if bounds:
        return bounds
    times = [t for key in ("initial_contacts_s", "final_contacts_s")
             for t in truth.get(key, []) if isinstance(t, (int, float))]
    if not times:
        return []
    return [(min(times) - tolerance_s, max(times) + tolerance_s)]


def in_scored(times: np.ndarray, stretches, excluded) -> np.ndarray:
    keep = np.zeros(len(times), dtype=bool)
    for a, b in stretches:
        keep |= (times >= a) & (times <= b)
    for a, b in excluded:
        keep &= ~((times >= a) & (times <= b))
    return keep


def _no_causes() -> dict[str, int]:
    return dict.fromkeys(CAUSES, 0)


@dataclass
class EventScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors_ms: list[float] = field(default_factory=list)  # detected - reference
    missed_by_cause: dict[str, int] = field(default_factory=_no_causes)  # sums to fn
    extra_by_cause: dict[str, int] = field(default_factory=_no_causes)  # sums to fp
    standing: int = 0  # detections outside walking_bounds_s (not in fp)

    def add(self, other: EventScore) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.errors_ms.extend(other.errors_ms)
        for cause in CAUSES:
            self.missed_by_cause[cause] += other.missed_by_cause[cause]
            self.extra_by_cause[cause] += other.extra_by_cause[cause]
        self.standing += other.standing

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def f1(self) -> float:
        d = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / d if d else float("nan")

    @property
    def median_ms(self) -> float:
        return float(np.median(np.abs(self.errors_ms))) if self.errors_ms else float("nan")

    @property
    def p95_ms(self) -> float:
        return float(np.percentile(np.abs(self.errors_ms), 95)) if self.errors_ms else float("nan")

    @property
    def bias_ms(self) -> float:
        """Median signed error (detected - reference): where a reference defines the
        event differently, the offset between the two definitions."""
        return float(np.median(self.errors_ms)) if self.errors_ms else float("nan")

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": self.precision,
                "recall": self.recall, "f1": self.f1, "median_ms": self.median_ms,
                "p95_ms": self.p95_ms, "bias_ms": self.bias_ms,
                "missed_by_cause": dict(self.missed_by_cause),
                "extra_by_cause": dict(self.extra_by_cause), "standing": self.standing}


@dataclass
class Scoring:
    """Where a recording's events are scored: stretches (walking bounds or the span of
    the reference), exclusions, turns, and whether the stretches are walking bounds
    (then a detection outside them is a strike while standing)."""

    stretches: list[tuple[float, float]]
    excluded: list[tuple[float, float]] = field(default_factory=list)
    turns: list[tuple[float, float]] = field(default_factory=list)
    walking_bounds: bool = False


def _cause(t: float, tolerance_s: float, where: Scoring, first_last: bool) -> str:
    if any(a - tolerance_s <= t <= b + tolerance_s for a, b in where.turns):
        return "turn"
    return "first_last" if first_last else "other"


def _near(times: np.ndarray, events: np.ndarray, tolerance_s: float) -> np.ndarray:
    """Per time: is a reference event within the tolerance (references sorted)?"""
    if not len(events):
        return np.zeros(len(times), dtype=bool)
    k = np.clip(np.searchsorted(events, times), 1, len(events)) - 1
    nearest = np.minimum(np.abs(times - events[k]),
                         np.abs(times - events[np.minimum(k + 1, len(events) - 1)]))
    return nearest <= tolerance_s


def score_events(detected, reference, tolerance_s, where: Scoring) -> EventScore:
    """Scores detected against reference events (sorted seconds) where `where` says.
    Outside the walking bounds a detection near a reference event is a real step the
    reference marks there (not scored); any other is a strike while standing."""
    det = np.asarray(detected, dtype=float)
    every_ref = np.sort(np.asarray(reference, dtype=float))
    ref = every_ref[in_scored(every_ref, where.stretches, where.excluded)]
    det = det[in_scored(det, [(-np.inf, np.inf)], where.excluded)]
    # detections are matched up to the tolerance beyond a stretch's ends
    wide = [(a - tolerance_s, b + tolerance_s) for a, b in where.stretches]
    outside = ~in_scored(det, wide, [])
    det, inside = det[~outside], in_scored(det[~outside], where.stretches, [])
    pairs, extra, missed = match_events(det, ref, tolerance_s)
    out = EventScore(tp=len(pairs), fn=len(missed),
                     errors_ms=[(det[i] - ref[j]) * 1000.0 for i, j in pairs])
    ends = []  # per stretch, its first and last reference event
    for a, b in where.stretches:
        own = ref[(ref >= a) & (ref <= b)]
        if len(own):
            ends.append((a, b, own[0], own[-1]))
    scored_extra = [i for i in extra if inside[i]]
    late, _, _ = match_events(det[scored_extra], ref[missed], 2 * tolerance_s)
    out.missed_by_cause["timing"] = out.extra_by_cause["timing"] = len(late)
    timed = {scored_extra[i] for i, _ in late}
    missed = [j for k, j in enumerate(missed) if k not in {m for _, m in late}]
    for j in missed:
        edge = any(ref[j] in (first, last) for _, _, first, last in ends)
        out.missed_by_cause[_cause(ref[j], tolerance_s, where, edge)] += 1
    for i in extra:
        if i in timed:
            continue
        if inside[i]:
            t = det[i]
            edge = any(a <= t <= b and (t < first or t > last) for a, b, first, last in ends)
            out.extra_by_cause[_cause(t, tolerance_s, where, edge)] += 1
        elif where.walking_bounds and not _near(det[i:i + 1], every_ref, tolerance_s)[0]:
            out.standing += 1
    out.fp = sum(out.extra_by_cause.values())
    out.fn = sum(out.missed_by_cause.values())
    if where.walking_bounds:
        beyond = np.asarray(detected, dtype=float)
        beyond = beyond[in_scored(beyond, [(-np.inf, np.inf)], where.excluded)]
        beyond = beyond[~in_scored(beyond, wide, [])]
        out.standing += int(np.sum(~_near(beyond, every_ref, tolerance_s)))
    return out


def without_chatter(ic: list[float], fc: list[float]) -> tuple[list[float], list[float], int]:
    """Reference events with threshold chatter removed: an off-on pair closer than
    CHATTER_S is one contact, then an on-off pair closer than CHATTER_S is no contact.
    Returns (initial contacts, final contacts, number of events removed)."""
    events = sorted([(t, "ic") for t in ic] + [(t, "fc") for t in fc])
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
    return ([t for t, k in kept if k == "ic"], [t for t, k in kept if k == "fc"],
            len(events) - len(kept))


def contact_times(ic: np.ndarray, fc: np.ndarray) -> np.ndarray:
    """Per initial contact: time to the next final contact before the next initial
    contact (NaN when there is none within MAX_CONTACT_S)."""
    out = np.full(len(ic), np.nan)
    for k, t in enumerate(ic):
        nxt = ic[k + 1] if k + 1 < len(ic) else np.inf
        j = np.searchsorted(fc, t, side="right")
        if j < len(fc) and fc[j] < nxt and fc[j] - t <= MAX_CONTACT_S:
            out[k] = fc[j] - t
    return out


def cadence_from(ic: np.ndarray, steps_per_contact: int) -> float:
    """Steps per minute from the mean interval between contacts, over the intervals
    within ±50 % of the median (pauses and missed or extra contacts left out)."""
    if len(ic) < 2:
        return float("nan")
    d = np.diff(ic)
    med = float(np.median(d))
    d = d[(d >= 0.5 * med) & (d <= 1.5 * med)]
    return 60.0 * steps_per_contact / float(np.mean(d))


@dataclass
class RecordingScore:
    name: str
    family: str
    ic: EventScore
    fc: EventScore
    contact_errors_ms: list[float]
    cadence_spm: float
    reference_cadence_spm: float
    reference_chatter: int = 0  # reference events removed as threshold chatter
    ic_windows: dict[float, EventScore] = field(default_factory=dict)  # by IC_WINDOWS_S
    own_window_s: float = IC_TOLERANCE_S  # the window the reference's kind calls for

    @property
    def own(self) -> EventScore:
        """Initial contacts scored in the reference's own window."""
        return self.ic_windows.get(self.own_window_s, self.ic)

    @property
    def cadence_error_pct(self) -> float:
        if not np.isfinite(self.reference_cadence_spm) or not self.reference_cadence_spm:
            return float("nan")
        return abs(self.cadence_spm - self.reference_cadence_spm) / self.reference_cadence_spm * 100


def family_of(name: str) -> str:
    return name.split("_", 1)[0]


def scoring(truth: dict, tolerance_s: float) -> Scoring:
    return Scoring(stretches=scored_stretches(truth, tolerance_s),
                   excluded=stretches_of(truth, "exclude_s"),
                   turns=stretches_of(truth, "turn_bounds_s"),
                   walking_bounds=bool(truth.get("walking_bounds_s")))


def own_ic_window_s(truth: dict) -> float:
    """The initial-contact window a reference's definition of the event calls for."""
    return OWN_IC_WINDOW_S.get(str(truth.get("kind")), IC_TOLERANCE_S)


def score_recording(rec: dumpfile.Recording, result: GaitResult) -> RecordingScore:
    truth = rec.truth or {}
    ic_list = dumpfile.truth_times(rec, "initial_contacts_s")
    fc_list = dumpfile.truth_times(rec, "final_contacts_s")
    chatter = 0
    if truth.get("foot") != "both":
        ic_list, fc_list, chatter = without_chatter(ic_list, fc_list)
    ref_ic, ref_fc = np.asarray(ic_list), np.asarray(fc_list)
    det_ic = np.asarray(result.initial_contacts_s)
    det_fc = np.asarray(result.final_contacts_s)
    ic_windows = {w: score_events(det_ic, ref_ic, w, scoring(truth, w)) for w in IC_WINDOWS_S}
    fc = EventScore()  # the pod reports no toe-offs from the sacrum: not scored there
    if rec.placement != "sacrum":
        fc = score_events(det_fc, ref_fc, FC_TOLERANCE_S, scoring(truth, FC_TOLERANCE_S))
    where = scoring(truth, IC_TOLERANCE_S)
    # contact time of matched strides: detected vs reference
    contact_errors = []
    if len(ref_fc) and len(det_fc):
        keep = in_scored(det_ic, where.stretches, where.excluded)
        pairs, _, _ = match_events(det_ic[keep], ref_ic, IC_TOLERANCE_S)
        det_ct = contact_times(det_ic[keep], det_fc)
        ref_ct = contact_times(ref_ic, ref_fc)
        for i, j in pairs:
            if np.isfinite(det_ct[i]) and np.isfinite(ref_ct[j]):
                contact_errors.append((det_ct[i] - ref_ct[j]) * 1000.0)
    per = 1 if truth.get("foot") == "both" else 2
    stretch_ic = in_scored(det_ic, where.stretches, where.excluded)
    return RecordingScore(
        name=rec.name, family=family_of(rec.name), ic=ic_windows[IC_TOLERANCE_S], fc=fc,
        contact_errors_ms=contact_errors,
        cadence_spm=cadence_from(det_ic[stretch_ic], per),
        reference_cadence_spm=cadence_from(ref_ic, per),
        reference_chatter=chatter, ic_windows=ic_windows, own_window_s=own_ic_window_s(truth),
    )


@dataclass
class GroupScore:
    name: str
    recordings: int = 0
    ic: EventScore = field(default_factory=EventScore)  # within IC_TOLERANCE_S
    fc: EventScore = field(default_factory=EventScore)
    contact_errors_ms: list[float] = field(default_factory=list)
    cadence_errors_pct: list[float] = field(default_factory=list)
    reference_chatter: int = 0
    ic_windows: dict[float, EventScore] = field(
        default_factory=lambda: {w: EventScore() for w in IC_WINDOWS_S})
    own: EventScore = field(default_factory=EventScore)  # each recording in its own window
    own_windows_s: set[float] = field(default_factory=set)

    def add(self, s: RecordingScore) -> None:
        self.recordings += 1
        self.reference_chatter += s.reference_chatter
        self.ic.add(s.ic)
        self.fc.add(s.fc)
        for w, score in s.ic_windows.items():
            self.ic_windows[w].add(score)
        self.own.add(s.own)
        self.own_windows_s.add(s.own_window_s)
        self.contact_errors_ms.extend(s.contact_errors_ms)
        if np.isfinite(s.cadence_error_pct):
            self.cadence_errors_pct.append(s.cadence_error_pct)

    @property
    def contact_median_ms(self) -> float:
        e = self.contact_errors_ms
        return float(np.median(np.abs(e))) if e else float("nan")

    @property
    def cadence_error_pct(self) -> float:
        """Mean over recordings of the absolute cadence error in percent."""
        e = self.cadence_errors_pct
        return float(np.mean(e)) if e else float("nan")

    def as_dict(self) -> dict:
        return {"recordings": self.recordings, "initial_contacts": self.ic.as_dict(),
                "initial_contacts_by_window": {f"{round(w * 1000)}ms": s.as_dict()
                                               for w, s in self.ic_windows.items()},
                "initial_contacts_own_window": dict(
                    self.own.as_dict(), window_ms=sorted(round(w * 1000)
                                                         for w in self.own_windows_s)),
                "final_contacts": self.fc.as_dict(),
                "contact_time_error_median_ms": self.contact_median_ms,
                "cadence_error_pct": self.cadence_error_pct,
                "reference_chatter_removed": self.reference_chatter}


def group(scores: list[RecordingScore]) -> tuple[dict[str, GroupScore], GroupScore]:
    families: dict[str, GroupScore] = {}
    overall = GroupScore("overall")
    for s in scores:
        families.setdefault(s.family, GroupScore(s.family)).add(s)
        overall.add(s)
    return families, overall


def worst(scores: list[RecordingScore], n: int = 3) -> list[RecordingScore]:
    """The n recordings with the most missed and extra initial contacts in their own
    window (lowest F1 first among equals); recordings without an error are left out."""
    bad = [s for s in scores if s.own.fp + s.own.fn + s.own.standing]
    bad.sort(key=lambda s: (-(s.own.fp + s.own.fn + s.own.standing), s.own.f1, s.name))
    return bad[:n]


def recordings_with_truth(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise EvaluationError(f"{folder}: not a folder")
    found = sorted(p.with_name(p.name[: -len(".truth.json")] + ".csv")
                   for p in folder.glob("*.truth.json"))
    if not found:
        raise EvaluationError(f"{folder}: no recordings with a .truth.json")
    return found


def evaluate_folder(folder: str | Path, run: Callable[[dumpfile.Recording], GaitResult],
                    progress: Callable[[str], None] | None = None) -> list[RecordingScore]:
    scores = []
    for path in recordings_with_truth(folder):
        rec = dumpfile.load(path)
        if progress:
            progress(rec.name)
        scores.append(score_recording(rec, run(rec)))
    return scores


def spectral_cadence_spm(acc: np.ndarray, rate_hz: float, one_foot: bool) -> float:
    """An independent cadence estimate from the spectrum of the acceleration magnitude
    (no event detection): the stride frequency f in 0.6–1.9 Hz with the most power at f
    and 2f for a pod on one foot (cadence 120 f), the step frequency in 1.2–3.8 Hz for
    a pod on the body (60 f). NaN when the wearer is not moving (magnitude SD < 0.2 g)."""
    mag = np.linalg.norm(np.atleast_2d(acc.T).T, axis=1)
    if len(mag) < 4 * rate_hz or float(np.std(mag)) < 0.2:
        return float("nan")
    x = (mag - mag.mean()) * np.hanning(len(mag))
    n = 8 * len(x)  # zero padding: 1/8 of the frequency resolution
    power = np.abs(np.fft.rfft(x, n)) ** 2
    freq = np.fft.rfftfreq(n, 1.0 / rate_hz)
    lo, hi = (0.6, 1.9) if one_foot else (1.2, 3.8)
    idx = np.flatnonzero((freq >= lo) & (freq <= hi))
    score = power[idx] + np.interp(2 * freq[idx], freq, power)
    f = float(freq[idx[int(np.argmax(score))]])
    return 120.0 * f if one_foot else 60.0 * f
