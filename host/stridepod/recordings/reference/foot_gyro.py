"""Float reference of the firmware's foot-pod detector with a gyroscope
(`podfw.gait.step_detector.FootGyroStrides` and `HeldStrides`).

The same algorithm in physical units (g, deg/s, seconds, samples) and float arithmetic:
the pitch axis (principal axis of the angular-rate covariance, found at the first motion
and followed by power iteration), lobes of one sign of the pitch rate, the swing sign
decided from the whole stride (the largest lobe of a motion that ends in a stance rest),
candidate strides of either sign until that is known, strikes at the swing's zero
crossing (or where a foot still in the air lands), the walk's last small step, and the
held strides that are reported once two make a walk. Sample-level quantities are numpy
arrays; the state machine advances from one lobe event to the next and replays the
firmware's order of events within a sample. Every rule names the firmware rule it
mirrors; the constants are the firmware's, imported and converted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from podfw.gait import step_detector as sd
from stridepod.recordings.dumpfile import SensorUnits
from stridepod.recordings.reference.imu import (
    MIN_STRIDE_S,
    Strike,
    ToeOff,
    hold,
    running_average,
    span,
    update_indices,
)

HYSTERESIS_DPS = float(sd._HYSTERESIS_DPS)
REST_DPS = float(sd._REST_DPS)
REST_S = sd._REST_MS / 1000
SWING_MIN_DEG = float(sd._SWING_MIN_DEG)
LAST_STEP_MIN_DEG = float(sd._LAST_STEP_MIN_DEG)
LAST_STEP_REST_S = sd._LAST_STEP_REST_MS / 1000
VOTE_MIN_DEG = float(sd._VOTE_MIN_DEG)
VOTE_WITHIN_S = sd._VOTE_WITHIN_MS / 1000
IMPACT_S = sd._IMPACT_MS / 1000
LANDING_G = sd._LANDING_G_X10 / 10
LANDING_S = sd._LANDING_MS / 1000
AIRBORNE_S = sd._AIRBORNE_MS / 1000
AXIS_EVERY = sd._AXIS_EVERY  # power-iteration step every 4th covariance update
AXIS_SEED_SHARE = sd._AXIS_SEED_SHARE / 10
MAX_CONTACT_S = sd._MAX_CONTACT_MS / 1000
WALK_GAP_S = sd._WALK_GAP_MS / 1000
# the firmware's internal angular-rate units per deg/s for the pods' gyroscope (the
# thresholds it keeps in those units are converted with it)
UNITS_PER_DPS = SensorUnits().gyro_lsb_per_dps / (1 << sd.shift_for(
    int(SensorUnits().gyro_lsb_per_dps), sd._GYRO_UNITS_PER_DPS, sd._GYRO_MIN_SHIFT))
AXIS_MIN_VAR_DPS2 = round(sd._AXIS_MIN_VAR * UNITS_PER_DPS ** 2) / UNITS_PER_DPS ** 2


def pitch_axis(gyro: np.ndarray, rate_hz: float) -> np.ndarray:
    """Per sample, the unit principal axis of the angular-rate covariance (0 until the
    first motion: FootGyroStrides._update_axis)."""
    n = len(gyro)
    at = update_indices(rate_hz, n)
    g = gyro[at]
    prods = np.stack([g[:, 0] * g[:, 0], g[:, 1] * g[:, 1], g[:, 2] * g[:, 2],
                      g[:, 0] * g[:, 1], g[:, 0] * g[:, 2], g[:, 1] * g[:, 2]], axis=1)
    cov = running_average(prods)
    v = (0.0, 0.0, 0.0)
    young = 0
    axes, when = [], []
    for j, (c00, c11, c22, c01, c02, c12) in enumerate(cov.tolist()):
        # a step every AXIS_EVERY updates, at every one while the axis is young
        if j % AXIS_EVERY and young <= 0:
            continue
        trace = c00 + c11 + c22
        if trace < AXIS_MIN_VAR_DPS2:  # at rest: the axis is kept
            continue
        steps = 1
        if young > 0:
            young -= 1
            steps = sd._AXIS_YOUNG_STEPS
        seed = v == (0.0, 0.0, 0.0)
        u = v
        if seed:  # the first motion: from the axis of the largest variance
            steps = sd._AXIS_SEED_STEPS
            k = 0 if c00 >= c11 and c00 >= c22 else (1 if c11 >= c22 else 2)
            u = (float(k == 0), float(k == 1), float(k == 2))
        lam = 0.0
        for _ in range(steps):
            w0 = c00 * u[0] + c01 * u[1] + c02 * u[2]
            w1 = c01 * u[0] + c11 * u[1] + c12 * u[2]
            w2 = c02 * u[0] + c12 * u[1] + c22 * u[2]
            lam = (w0 * w0 + w1 * w1 + w2 * w2) ** 0.5
            if lam == 0:
                break
            u = (w0 / lam, w1 / lam, w2 / lam)
        if lam == 0 or (seed and lam < AXIS_SEED_SHARE * trace):
            continue  # no axis yet: the motion does not turn mostly about one axis
        if seed:
            young = sd._AXIS_YOUNG
        v = u
        axes.append(v)
        when.append(at[j])
    return hold(np.array(axes).reshape(-1, 3), np.array(when, dtype=int), n, np.zeros(3))


@dataclass
class _Pending:
    """The strike collecting its impact (FootGyroStrides.pending_*, _S_PEND_*)."""

    sign: int
    ic: int  # strike sample (moves where a foot in the air lands)
    at: float  # strike time in samples
    peak: float  # largest squared acceleration so far, g**2
    next: int  # next sample to collect
    fc: int  # toe-off sample, -1: none
    contact_s: float


@dataclass
class _Held:
    """HeldStrides: candidate strides until two make a walk."""

    rate_hz: float
    strikes: list[Strike] = field(default_factory=list)
    toe_offs: list[ToeOff] = field(default_factory=list)
    held: list[tuple] = field(default_factory=list)  # (sign, at, impact_g, fc, contact_s)
    walk_sign: int = 0
    last_at: float = 0.0

    def push(self, sign, at, impact_g, fc, contact_s, swing_sign):
        if self.walk_sign and (self.walk_sign != swing_sign
                               or (at - self.last_at) / self.rate_hz > WALK_GAP_S):
            self.walk_sign = 0
        if self.walk_sign == sign:
            self._report(at, impact_g, fc, contact_s)
            return
        if len(self.held) == sd._HELD:
            self.held.pop(0)
        self.held.append((sign, at, impact_g, fc, contact_s))
        self.confirm(swing_sign)

    def confirm(self, swing_sign):
        if swing_sign == 0 or self.walk_sign or len(self.held) < sd._WALK_STRIDES:
            return
        chain: list[tuple] = []  # strides that push off, each within the gap of the next
        for entry in reversed(self.held):
            if entry[0] != swing_sign or entry[3] < 0:
                continue
            if chain and (chain[-1][1] - entry[1]) / self.rate_hz > WALK_GAP_S:
                break
            chain.append(entry)
        if len(chain) < sd._WALK_STRIDES:
            return
        for _, at, impact_g, fc, contact_s in reversed(chain):
            self._report(at, impact_g, fc, contact_s)
        self.walk_sign = swing_sign
        self.held.clear()

    def _report(self, at, impact_g, fc, contact_s):
        if fc >= 0:
            self.toe_offs.append(ToeOff(fc, contact_s))
        self.strikes.append(Strike(int(at), impact_g, at))
        self.last_at = at


class _Strides:
    """FootGyroStrides' lobe-level state machine on the float pitch rate `s` (deg/s)
    and squared acceleration magnitude `m2` (g**2)."""

    def __init__(self, s: np.ndarray, m2: np.ndarray, rate_hz: float):
        self.s, self.m2, self.rate = s, m2, rate_hz
        # per sample, the last zero crossing of the pitch rate at or before it (the
        # sample after the sign changed; 0 counts as positive)
        change = np.flatnonzero(np.diff(np.concatenate([[False], s < 0])) != 0)
        marks = np.zeros(len(s), dtype=int)
        marks[change] = change
        self.zc_at = np.maximum.accumulate(marks) if len(s) else marks
        self.area_min = SWING_MIN_DEG * rate_hz  # areas: deg/s summed over samples
        self.vote_area = VOTE_MIN_DEG * rate_hz
        self.last_step_area = LAST_STEP_MIN_DEG * rate_hz
        self.vote_n = span(rate_hz, VOTE_WITHIN_S)
        self.impact_n = span(rate_hz, IMPACT_S)
        self.landing_n = span(rate_hz, LANDING_S)
        self.airborne_n = span(rate_hz, AIRBORNE_S)
        self.min_stride_n = span(rate_hz, MIN_STRIDE_S)
        self.last_step_rest_n = span(rate_hz, LAST_STEP_REST_S)
        self.held = _Held(rate_hz)
        self.prev = (0, 0.0, -1, -1)  # the lobe before: sign, area, peak sample, end
        self.last_n = {1: -1, -1: -1}  # per sign the last candidate strike: sample, time
        self.last_at = {1: -1.0, -1: -1.0}
        self.rest_vote = self.shape_vote = 0
        self.burst = (0, 0.0, 0)  # the largest lobe of the motion: sign, area, end
        self.pend: _Pending | None = None
        self.last_step: tuple | None = None  # (at, fc, contact_s) of a small swing

    def swing_sign(self) -> int:
        v = self.rest_vote
        agree = sd._REST_VOTES_AGREE
        if v == 0:
            v, agree = self.shape_vote, sd._SHAPE_VOTES_AGREE
        return 1 if v >= agree else (-1 if v <= -agree else 0)

    def settle(self, until: int) -> None:
        """Collects the pending strike's impact over the samples up to `until`
        (FootGyroStrides._collect_impact): it is dispatched when it landed."""
        p = self.pend
        while p is not None and p.next <= until:
            j, m2 = p.next, self.m2[p.next]
            p.next += 1
            k = j - p.ic
            if k > self.airborne_n and m2 >= LANDING_G ** 2 > p.peak and k < self.landing_n:
                p.ic, p.at, p.peak = j, float(j), m2  # still in the air: it lands here
                continue
            p.peak = max(p.peak, m2)
            if k >= self.impact_n and (p.peak >= LANDING_G ** 2 or k >= self.landing_n):
                self.dispatch()
                p = None

    def dispatch(self) -> None:
        p, self.pend = self.pend, None
        if p is not None:
            self.held.push(p.sign, p.at, float(np.sqrt(p.peak)), p.fc, p.contact_s,
                           self.swing_sign())

    def end_lobe(self, sign, start, end, detected, area, peak_n, at_rest) -> None:
        p_sign, p_area, _, p_end = self.prev
        adjacent = p_end == start and p_sign == -sign
        if area >= self.vote_area:
            if area > self.burst[1] or end - self.burst[2] > self.vote_n:
                self.burst = (sign, area, end)
            if adjacent and area > p_area:
                self.shape_vote = _bounded(self.shape_vote + sign)
        if area >= self.area_min:
            self.candidate(sign, area, end, detected, adjacent, at_rest)
        elif area >= self.last_step_area and adjacent and sign == self.held.walk_sign:
            self.small_swing(sign, end, at_rest)
        self.prev = (sign, area, peak_n, end)
        if at_rest:  # FootGyroStrides._rest: the motion's largest lobe was the swing
            if self.burst[1] and end - self.burst[2] <= self.vote_n:
                self.rest_vote = _bounded(self.rest_vote + self.burst[0])
                self.held.confirm(self.swing_sign())
            self.burst = (0, 0.0, 0)

    def candidate(self, sign, area, end, detected, adjacent, at_rest) -> None:
        known = self.swing_sign()
        if known and sign != known:
            return
        if self.last_n[sign] >= 0 and end - self.last_n[sign] < self.min_stride_n:
            return
        if known and adjacent and 2 * area <= self.prev[1]:
            return
        self.stride(sign, end, detected, adjacent, at_rest)

    def _strike_at(self, end: int, at_rest: bool) -> float:
        """The strike: where the rest began, or the zero crossing, interpolated."""
        s = self.s
        if at_rest or end == 0:
            return float(end)
        return end - 1 + s[end - 1] / (s[end - 1] - s[end])

    def stride(self, sign, end, detected, has_push_off, at_rest) -> None:
        self.last_step = None
        if self.pend is not None:  # the previous strike still collecting: dispatched
            self.dispatch()
        fc, contact_s = -1, 0.0
        if has_push_off:
            fc = self.prev[2]
            if self.last_at[sign] >= 0:
                contact_s = (fc - self.last_at[sign]) / self.rate
                if contact_s > MAX_CONTACT_S:
                    contact_s = 0.0
        at = self._strike_at(end, at_rest)
        peak = 0.0 if at_rest else float(self.m2[end:detected + 1].max())
        self.pend = _Pending(sign, end, at, peak, detected + 1, fc, contact_s)
        self.last_n[sign], self.last_at[sign] = end, at

    def small_swing(self, sign, end, at_rest) -> None:
        if self.last_n[sign] >= 0 and end - self.last_n[sign] < self.min_stride_n:
            return
        fc = self.prev[2]
        contact_s = (fc - self.last_at[sign]) / self.rate if self.last_at[sign] >= 0 else 0.0
        self.last_step = (self._strike_at(end, at_rest), fc,
                          contact_s if contact_s <= MAX_CONTACT_S else 0.0)

    def moves(self, n: int) -> None:
        """The foot moves again at sample n after a rest (FootGyroStrides._last_step)."""
        if self.last_step is not None:
            if self.prev[3] >= 0 and n - self.prev[3] >= self.last_step_rest_n:
                self.dispatch()
                at, fc, contact_s = self.last_step
                self.held.push(self.held.walk_sign, at, 0.0, fc, contact_s, self.swing_sign())
            self.last_step = None

    def finish(self, at_rest: bool) -> None:
        self.settle(len(self.s) - 1)
        self.dispatch()
        if self.last_step is not None and at_rest:
            at, fc, contact_s = self.last_step
            self.held.push(self.held.walk_sign, at, 0.0, fc, contact_s, self.swing_sign())


def _bounded(vote: int) -> int:
    return max(-sd._VOTES_MAX, min(sd._VOTES_MAX, vote))


def foot_gyro_strides(acc: np.ndarray, gyro: np.ndarray, rate_hz: float):
    """Strikes and toe-offs of a foot pod with a gyroscope, in the order the firmware
    reports them (FootGyroStrides.update: per sample the impact is collected before the
    lobe's start, flip or rest is handled)."""
    n = len(gyro)
    s = np.einsum("ij,ij->i", gyro, pitch_axis(gyro, rate_hz))
    st = _Strides(s, np.einsum("ij,ij->i", acc, acc), rate_hz)
    h, rest_n = HYSTERESIS_DPS, span(rate_hz, REST_S)
    cs = np.concatenate([[0.0], np.cumsum(s)])
    trig = np.where(s > h, 1, np.where(s < -h, -1, 0))
    any_idx = np.flatnonzero(trig)
    sign_idx = {1: np.flatnonzero(trig == 1), -1: np.flatnonzero(trig == -1)}
    quiet = np.abs(s) < REST_DPS

    def next_in(idx: np.ndarray, start: int) -> int:
        k = np.searchsorted(idx, start)
        return int(idx[k]) if k < len(idx) else n

    def rest_end(start: int, stop: int) -> int:
        """Sample where rest_n quiet samples in a row within [start, stop) are complete."""
        q = quiet[start:stop]
        if len(q) < rest_n:
            return n
        run = np.convolve(q.astype(int), np.ones(rest_n, dtype=int), mode="valid")
        hit = np.flatnonzero(run == rest_n)
        return int(start + hit[0] + rest_n - 1) if len(hit) else n

    sign, t0, start, pos = 0, 0, 0, 0
    while pos < n:
        if sign == 0:  # at rest: any trigger starts a lobe there
            i = next_in(any_idx, pos)
            if i >= n:
                break
            st.settle(i)
            st.moves(i)
            sign, t0, start = int(trig[i]), i, i
        flip = next_in(sign_idx[-sign], t0 + 1)  # the other sign beyond the hysteresis
        rest_at = rest_end(t0, min(flip, n))
        if rest_at < flip:
            area = sign * (cs[rest_at + 1] - cs[t0])
            peak_n = t0 + int(np.argmax(sign * s[t0:rest_at + 1]))
            st.settle(rest_at)
            st.end_lobe(sign, start, rest_at - rest_n + 1, rest_at, area, peak_n, True)
            sign, pos = 0, rest_at + 1
            continue
        if flip >= n:
            break
        area = sign * (cs[flip] - cs[t0])
        peak_n = t0 + int(np.argmax(sign * s[t0:flip]))
        zc = int(st.zc_at[flip])
        st.settle(flip)
        st.end_lobe(sign, start, zc, flip, area, peak_n, False)
        sign, t0, start = -sign, flip, zc
    st.finish(sign == 0)
    return st.held.strikes, st.held.toe_offs
