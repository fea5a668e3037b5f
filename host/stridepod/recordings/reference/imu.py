"""Float reference of the firmware's IMU step detectors (`podfw.gait.step_detector`,
`podfw.gait.acc_steps`).

The same algorithms in physical units (g, deg/s, seconds) and float arithmetic. Sample-
level quantities (magnitudes, projections, averages) are numpy arrays; the detectors'
state machines advance from one candidate sample to the next (a few per stride) instead
of sample by sample. Every rule below names the firmware rule it mirrors; the constants
are the firmware's, imported from its modules (where they are private const()s, which
cost the pod no heap) and converted to seconds and g. Times are sample indices;
`Strike`s carry the impact in g.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from podfw.gait import acc_steps, step_detector
from podfw.gait.step_detector import AVERAGE_RATE_HZ, AVG_SHIFT

# FootGyroStrides
HYSTERESIS_DPS = float(step_detector._HYSTERESIS_DPS)
REST_DPS = float(step_detector._REST_DPS)
REST_S = step_detector._REST_MS / 1000
SWING_MIN_DEG = float(step_detector._SWING_MIN_DEG)
IMPACT_S = step_detector._IMPACT_MS / 1000
AXIS_EVERY = step_detector._AXIS_EVERY  # power-iteration step every 4th covariance update
MAX_CONTACT_S = step_detector._MAX_CONTACT_MS / 1000

# SacrumSteps / FootAccStrides
ONSET_G = acc_steps._ONSET_G_X10 / 10
MIN_STEP_S = acc_steps._MIN_STEP_MS / 1000
MIN_STRIDE_S = step_detector.MIN_STRIDE_MS / 1000
MAX_INTERVAL_S = acc_steps._MAX_INTERVAL_MS / 1000
SACRUM_HIGH_MAX_S = acc_steps._SACRUM_HIGH_MAX_MS / 1000
FOOT_HIGH_MAX_S = acc_steps._FOOT_HIGH_MAX_MS / 1000


@dataclass
class Strike:
    n: int  # initial contact, sample index
    impact_g: float  # peak acceleration magnitude after it
    at: float = -1.0  # its time in samples, between samples where interpolated

    def __post_init__(self):
        if self.at < 0:
            self.at = float(self.n)


@dataclass
class ToeOff:
    n: int  # final contact, sample index
    contact_s: float  # since the previous initial contact, 0 = unknown


def span(rate_hz: float, seconds: float) -> int:
    """Samples in a duration, rounded (SampleClock.span)."""
    return int(np.floor(seconds * rate_hz + 0.5))


def average_weights(updates: int) -> np.ndarray:
    """Per update, the weight of the new value in an average that starts as the plain
    mean (AverageShift: shifts 0, 1, 1, 2, 2, 2, 2, 3 ... up to AVG_SHIFT)."""
    j = np.arange(1, updates + 1)
    shift = np.minimum(np.floor(np.log2(j)).astype(int), AVG_SHIFT)
    return 1.0 / (1 << shift)


def running_average(x: np.ndarray) -> np.ndarray:
    """The average after each update, over rows of x (updates, k)."""
    warm = min(len(x), 1 << AVG_SHIFT)  # from update 2**AVG_SHIFT on the weight is fixed
    w = average_weights(warm)
    out = np.empty_like(x, dtype=float)
    m = np.zeros(x.shape[1])
    for j in range(warm):
        m += (x[j] - m) * w[j]
        out[j] = m
    if len(x) > warm:
        a = 1.0 / (1 << AVG_SHIFT)
        out[warm:] = lfilter([a], [1.0, a - 1.0], x[warm:], axis=0, zi=((1 - a) * m)[None, :])[0]
    return out


def update_indices(rate_hz: float, n: int) -> np.ndarray:
    every = max(1, int(rate_hz / AVERAGE_RATE_HZ + 0.5))
    return np.arange(0, n, every)


def hold(values: np.ndarray, at: np.ndarray, n: int, initial: np.ndarray) -> np.ndarray:
    """Per sample, the last value set at or before it (values[k] set at sample at[k])."""
    idx = np.searchsorted(at, np.arange(n), side="right") - 1
    out = np.empty((n, values.shape[1]))
    out[idx < 0] = initial
    out[idx >= 0] = values[idx[idx >= 0]]
    return out


# ---- foot pod with gyroscope ---------------------------------------------------------

def pitch_axis(gyro: np.ndarray, rate_hz: float) -> np.ndarray:
    """Per sample, the unit principal axis of the angular-rate covariance (power
    iteration from the previous axis, starting at z, every AXIS_EVERY updates)."""
    n = len(gyro)
    at = update_indices(rate_hz, n)
    g = gyro[at]
    prods = np.stack([g[:, 0] * g[:, 0], g[:, 1] * g[:, 1], g[:, 2] * g[:, 2],
                      g[:, 0] * g[:, 1], g[:, 0] * g[:, 2], g[:, 1] * g[:, 2]], axis=1)
    cov = running_average(prods)
    v0, v1, v2 = 0.0, 0.0, 1.0
    axes = []
    rest = 64.0 / 1.025 ** 2  # the firmware keeps its axis below 64 internal units²
    steps = range(0, len(at), AXIS_EVERY)
    for c00, c11, c22, c01, c02, c12 in cov[steps].tolist():
        if max(c00, c11, c22) >= rest:
            u0 = c00 * v0 + c01 * v1 + c02 * v2
            u1 = c01 * v0 + c11 * v1 + c12 * v2
            u2 = c02 * v0 + c12 * v1 + c22 * v2
            norm = (u0 * u0 + u1 * u1 + u2 * u2) ** 0.5
            if norm > 0:
                v0, v1, v2 = u0 / norm, u1 / norm, u2 / norm
        axes.append((v0, v1, v2))
    return hold(np.array(axes).reshape(-1, 3), at[steps], n, np.array([0.0, 0.0, 1.0]))


@dataclass
class _LobeState:
    """What foot_gyro_strides carries from one gyro lobe to the next."""

    vote: int = 0  # swing direction votes, + for positive lobes
    p_sign: int = 0  # the previous lobe: sign, area, peak sample, end sample
    p_area: float = 0.0
    p_peak: int = -1
    p_end: int = -1
    last_ic: float = -1.0  # the last strike, in (interpolated) samples
    last_ic_n: int = -1
    pend: tuple[int, int, float] | None = None  # strike waiting for its impact: (n, from, at)


@dataclass
class _PitchSignals:
    """The per-sample signals foot_gyro_strides reads."""

    s: np.ndarray  # angular rate about the pitch axis, deg/s
    m2: np.ndarray  # squared acceleration magnitude, g²
    cs: np.ndarray  # cumulative sum of s: cs[k] = s[0] + ... + s[k - 1]
    zc_at: np.ndarray  # per sample, the last sign change of s at or before it
    trig: np.ndarray  # +1 / -1 where s is beyond the hysteresis, else 0
    any_idx: np.ndarray  # samples where trig is not 0
    sign_idx: dict[int, np.ndarray]  # samples where trig is +1, -1
    quiet: np.ndarray  # |s| under the rest level


def _pitch_signals(acc: np.ndarray, gyro: np.ndarray, rate_hz: float) -> _PitchSignals:
    """The pitch rate (angular rate on the principal axis), its crossings and triggers."""
    n = len(gyro)
    s = np.einsum("ij,ij->i", gyro, pitch_axis(gyro, rate_hz))
    m2 = np.einsum("ij,ij->i", acc, acc)
    h, rest = HYSTERESIS_DPS, REST_DPS
    cs = np.concatenate([[0.0], np.cumsum(s)])
    nonneg = s >= 0
    change = np.flatnonzero(np.diff(np.concatenate([[True], nonneg])) != 0)
    zc_at = np.maximum.accumulate(np.where(np.isin(np.arange(n), change), np.arange(n), 0))
    trig = np.where(s > h, 1, np.where(s < -h, -1, 0))
    any_idx = np.flatnonzero(trig)
    sign_idx = {1: np.flatnonzero(trig == 1), -1: np.flatnonzero(trig == -1)}
    quiet = np.abs(s) < rest
    return _PitchSignals(s, m2, cs, zc_at, trig, any_idx, sign_idx, quiet)


class _LobeRules:
    """foot_gyro_strides' rules for a closed lobe: was it a swing, where are its strike,
    impact and toe-off. Collects the strikes and toe-offs."""

    def __init__(self, sig: _PitchSignals, rate_hz: float):
        self.sig = sig
        self.rate_hz = rate_hz
        self.n = len(sig.s)
        self.rest_n, self.impact_n = span(rate_hz, REST_S), span(rate_hz, IMPACT_S)
        self.area_min = SWING_MIN_DEG * rate_hz  # deg/s summed over samples
        self.min_stride_n = span(rate_hz, MIN_STRIDE_S)
        self.state = _LobeState()
        self.strikes: list[Strike] = []
        self.toe_offs: list[ToeOff] = []

    def next_in(self, idx: np.ndarray, start: int) -> int:
        """The first sample of idx at or after start (n when none)."""
        k = np.searchsorted(idx, start)
        return int(idx[k]) if k < len(idx) else self.n

    def rest_end(self, start: int, stop: int) -> int:
        """Sample where rest_n quiet samples in a row within [start, stop) are complete."""
        rest_n, n = self.rest_n, self.n
        q = self.sig.quiet[start:stop]
        if len(q) < rest_n:
            return n
        run = np.convolve(q.astype(int), np.ones(rest_n, dtype=int), mode="valid")
        hit = np.flatnonzero(run == rest_n)
        return int(start + hit[0] + rest_n - 1) if len(hit) else n

    def emit_pending(self, until: int) -> None:
        """The strike waiting for its impact, with the largest magnitude up to `until`."""
        state = self.state
        if state.pend is None:
            return
        ic, lo, at = state.pend
        hi = min(ic + self.impact_n, until)
        peak = float(self.sig.m2[lo:hi + 1].max()) if hi >= lo else 0.0
        self.strikes.append(Strike(ic, float(np.sqrt(peak)), at))
        state.pend = None

    def end_lobe(self, sign: int, start: int, end: int, detected: int, area: float,
                 peak_n: int) -> None:
        """A lobe of `sign` from `start` to `end` closed (seen at sample `detected`)."""
        state = self.state
        adjacent = state.p_end == start and state.p_sign == -sign
        if self.is_swing(sign, end, area, adjacent):
            self.swing(sign, end, detected, adjacent)
        state.p_sign, state.p_area, state.p_peak, state.p_end = sign, area, peak_n, end

    def is_swing(self, sign: int, end: int, area: float, adjacent: bool) -> bool:
        """Large enough and a stride after the last strike; then, once the votes agree,
        in their direction, else larger than the adjacent lobe before it."""
        state = self.state
        vote = state.vote
        if area < self.area_min or (state.last_ic_n >= 0 and end - state.last_ic_n < self.min_stride_n):
            swing = False
        elif abs(vote) >= 3:
            swing = (sign > 0) == (vote > 0) and (not adjacent or 2 * area > state.p_area)
        else:
            swing = adjacent and area > state.p_area
        return swing

    def swing(self, sign: int, end: int, detected: int, adjacent: bool) -> None:
        """A swing lobe: a vote for its direction, the toe-off at the peak of the adjacent
        lobe before it, the strike where it ends (its impact still to come)."""
        state = self.state
        s, zc_at = self.sig.s, self.sig.zc_at
        vote = state.vote
        if vote * sign < 5:
            state.vote = vote + sign
        self.emit_pending(detected)
        if adjacent:
            fc = state.p_peak
            contact = 0.0
            if state.last_ic >= 0:
                contact = (fc - state.last_ic) / self.rate_hz
                if contact > MAX_CONTACT_S:
                    contact = 0.0
            self.toe_offs.append(ToeOff(fc, contact))
        # the strike: the zero crossing, interpolated between samples; the impact:
        # the largest magnitude from there on (after a rest, from the sample after
        # the lobe was closed)
        at_crossing = end == zc_at[detected]
        at = float(end)
        if at_crossing and end > 0:
            at = end - 1 + s[end - 1] / (s[end - 1] - s[end])
        state.pend = (end, end if at_crossing else detected + 1, at)
        state.last_ic = at
        state.last_ic_n = end


def foot_gyro_strides(acc: np.ndarray, gyro: np.ndarray, rate_hz: float):
    """Strikes and toe-offs of a foot pod with a gyroscope (FootGyroStrides): the pitch
    rate in lobes from a trigger beyond the hysteresis to the next zero crossing towards
    the other sign (or a rest), each closed lobe judged by _LobeRules."""
    n = len(gyro)
    sig = _pitch_signals(acc, gyro, rate_hz)
    rules = _LobeRules(sig, rate_hz)
    s, cs, trig, zc_at, rest_n = sig.s, sig.cs, sig.trig, sig.zc_at, rules.rest_n
    sign, t0, start = 0, 0, 0
    pos = 0
    while pos < n:
        if sign == 0:  # at rest: any trigger starts a lobe there
            i = rules.next_in(sig.any_idx, pos)
            if i >= n:
                break
            sign, t0, start = int(trig[i]), i, i
        flip = rules.next_in(sig.sign_idx[-sign], t0 + 1)  # the other sign beyond the hysteresis
        rest_at = rules.rest_end(t0, min(flip, n))
        if rest_at < flip:
            area = sign * (cs[rest_at + 1] - cs[t0])
            peak_n = t0 + int(np.argmax(sign * s[t0:rest_at + 1]))
            rules.end_lobe(sign, start, rest_at - rest_n + 1, rest_at, area, peak_n)
            sign, pos = 0, rest_at + 1
            continue
        if flip >= n:
            break
        area = sign * (cs[flip] - cs[t0])
        peak_n = t0 + int(np.argmax(sign * s[t0:flip]))
        zc = int(zc_at[flip])
        rules.end_lobe(sign, start, zc, flip, area, peak_n)
        sign, t0, start = -sign, flip, zc
    rules.emit_pending(n - 1)
    return rules.strikes, rules.toe_offs


# ---- accelerometer-only detectors ----------------------------------------------------

class _Intervals:
    """Adaptive refractory time (acc_steps._Intervals). Counted in whole samples like
    the firmware: a refractory time is a sample count, and a borderline step accepted by
    one and refused by the other would shift every later threshold."""

    def __init__(self, rate_hz: float, typical_s: float, min_s: float):
        self.min_interval = span(rate_hz, min_s)
        self.max_interval = span(rate_hz, MAX_INTERVAL_S)
        self.avg = span(rate_hz, typical_s)
        self.refractory = self.min_interval
        self.last = -1

    def step(self, n: int) -> None:
        interval = n - self.last
        if self.last >= 0 and interval < self.max_interval:
            self.avg += (interval - self.avg) >> 2
            self.refractory = max((self.avg * 5) >> 3, self.min_interval)
        self.last = n


def gravity_direction(acc: np.ndarray, rate_hz: float) -> np.ndarray:
    """Per sample, the unit direction of the averaged acceleration (SacrumSteps._gravity:
    a new direction at every update while the average warms up, then every 8th)."""
    n = len(acc)
    at = update_indices(rate_hz, n)
    mean = running_average(acc[at])
    shifts = np.minimum(np.floor(np.log2(np.arange(1, len(at) + 1))).astype(int), AVG_SHIFT)
    kept: list[int] = []
    left = 1
    for j, k in enumerate(shifts):
        if k == AVG_SHIFT:
            left -= 1
            if left > 0:
                continue
        left = 8
        kept.append(j)
    keep = np.array(kept, dtype=int)
    norms = np.linalg.norm(mean[keep], axis=1)
    ok = norms > 0.25
    dirs = mean[keep][ok] / norms[ok, None]
    return hold(dirs, at[keep][ok], n, np.array([0.0, 0.0, 1.0]))


def _onset_rises(m2: np.ndarray) -> np.ndarray:
    """Samples where the squared magnitude rises through ONSET_G²."""
    n = len(m2)
    onset_up = np.flatnonzero((m2[1:] >= ONSET_G ** 2) & (m2[:-1] < ONSET_G ** 2)) + 1
    if n and m2[0] >= ONSET_G ** 2:  # the firmware's previous magnitude starts at 0
        onset_up = np.concatenate([[0], onset_up])
    return onset_up


def _sacrum_contact(onset_up: np.ndarray, m2: np.ndarray, low_start: int, start: int,
                    valley_n: int, high_max: int) -> tuple[int, float]:
    """The contact of a step that went HIGH at `start`: the last rise through ONSET_G
    after the valley (interpolated: `at`, else -1), or the valley, or `start` itself,
    whichever first is less than high_max samples before `start`."""
    ups = onset_up[(onset_up >= low_start) & (onset_up <= start)]
    ic = start
    at = -1.0
    if len(ups) and ups[-1] >= valley_n and start - ups[-1] < high_max:
        ic = int(ups[-1])
        # interpolated on the squared magnitude, as the firmware does
        if ic > 0:
            at = ic - 1 + (ONSET_G ** 2 - m2[ic - 1]) / (m2[ic] - m2[ic - 1])
    elif start - valley_n < high_max:
        ic = valley_n
    return ic, at


def sacrum_steps(acc: np.ndarray, rate_hz: float) -> list[Strike]:
    """Steps seen from the sacrum (SacrumSteps): excursions of the vertical acceleration,
    contact at the magnitude's rise through ONSET_G after the flight minimum (between
    samples)."""
    n = len(acc)
    v = np.einsum("ij,ij->i", acc, gravity_direction(acc, rate_hz))
    m2 = np.einsum("ij,ij->i", acc, acc)
    onset_up = _onset_rises(m2)
    intervals = _Intervals(rate_hz, 0.350, MIN_STEP_S)
    high_max = span(rate_hz, SACRUM_HIGH_MAX_S)
    peak_avg, valley_avg = 2.5, 0.5
    strikes: list[Strike] = []
    chunk = 4 * intervals.max_interval  # search ahead in pieces: linear time
    # LOW state since low_start, searched from low_from on; valley so far
    low_start, low_from, valley, valley_n = 0, 0, np.inf, -1
    step_n = -(1 << 29)
    relax_from, relax_n = 0, 2 * intervals.avg
    while low_from < n:
        thr_hi = max(valley_avg + (peak_avg - valley_avg) / 2, 1.2)
        thr_lo = max(valley_avg + (peak_avg - valley_avg) * 3 / 8, 1.1)
        # no step for two step times: the bar is lowered at that sample (SacrumSteps._relax)
        relax_at = max(relax_from + relax_n, low_from)
        stop = min(n, low_from + chunk, relax_at)
        seg = v[low_from:stop]
        run_min = np.minimum(np.minimum.accumulate(seg), valley)
        idx = np.arange(low_from, stop)
        hit = np.flatnonzero((seg > thr_hi) & (run_min < thr_lo)
                             & (idx - step_n >= intervals.refractory))
        if not len(hit):
            if len(seg):
                k = int(np.argmin(seg))
                if seg[k] < valley:
                    valley, valley_n = float(seg[k]), low_from + k
            if stop == relax_at and relax_at < n:
                if v[relax_at] < valley:  # the relaxing sample's own valley update
                    valley, valley_n = float(v[relax_at]), relax_at
                peak_avg -= (peak_avg - valley_avg) / 4
                relax_from = relax_at
            low_from = stop
            continue
        start = low_from + int(hit[0])
        # valley: the first minimum over the LOW samples (and the value carried in)
        window = v[low_from:start + 1]
        k = int(np.argmin(window))
        if window[k] < valley:
            valley, valley_n = float(window[k]), low_from + k
        ic, at = _sacrum_contact(onset_up, m2, low_start, start, valley_n, high_max)
        intervals.step(ic)
        relax_from, relax_n = start, 2 * intervals.avg
        valley_avg += (valley - valley_avg) / 8
        step_n = start
        # HIGH until the vertical acceleration falls below thr_lo or time runs out
        after = np.flatnonzero(v[start + 1:start + high_max + 2] < thr_lo)
        if not len(after) and start + high_max + 1 >= n:  # still high at the end: flush
            strikes.append(Strike(ic, float(np.sqrt(m2[start:].max())), at))
            break
        end = start + 1 + int(after[0]) if len(after) else start + high_max + 1
        peak = float(v[start:end + 1].max())
        strikes.append(Strike(ic, float(np.sqrt(m2[start:end + 1].max())), at))
        peak_avg += (peak - peak_avg) / 8
        low_start = low_from = end + 1
        valley, valley_n = float(v[end]), end
    return strikes


def foot_acc_strides(acc: np.ndarray, rate_hz: float) -> list[Strike]:
    """Strides of a foot pod without gyroscope (FootAccStrides): impacts above a
    threshold relative to the recent impact peaks, which relaxes when strides stop."""
    n = len(acc)
    m2 = np.einsum("ij,ij->i", acc, acc)
    intervals = _Intervals(rate_hz, 0.800, MIN_STRIDE_S)
    high_max = span(rate_hz, FOOT_HIGH_MAX_S)
    peak_max, peak_min = 6.0, 3.6
    strikes: list[Strike] = []
    pos, step_n, decay_n, armed = 0, -(1 << 29), 0, False

    def levels():
        hi = peak_max * 9 / 16
        return max(hi * hi, 4.0), (hi / 2) ** 2

    chunk = 4 * intervals.max_interval  # search ahead in pieces: linear time
    while pos < n:
        hi2, lo2 = levels()
        stop = min(n, pos + chunk)
        seg = m2[pos:stop]
        low = seg < lo2
        # samples below lo2 arm the detector; a low sample past the decay deadline relaxes
        # the threshold (and the search restarts after it)
        idx = np.arange(pos, stop)
        late = np.flatnonzero(low & (idx - decay_n > 2 * intervals.avg))
        cut = int(late[0]) if len(late) else len(seg)
        armed_at = np.maximum.accumulate(np.where(low, idx, -1))
        ok = ~low & (seg > hi2) & (idx - step_n >= intervals.refractory)
        ok &= (armed_at >= pos) | armed
        hit = np.flatnonzero(ok[:cut])
        if not len(hit):
            if cut < len(seg):
                decay_n = pos + cut
                peak_max = max(peak_max - peak_max / 8, peak_min)
                armed, pos = True, pos + cut + 1
            else:
                armed, pos = armed or bool(low.any()), stop
            continue
        start = pos + int(hit[0])
        intervals.step(start)
        step_n = decay_n = start
        below = np.flatnonzero(m2[start + 1:start + high_max + 2] < lo2)
        end = start + 1 + int(below[0]) if len(below) else start + high_max + 1
        end = min(end, n - 1)
        peak2 = float(m2[start:end + 1].max())
        strikes.append(Strike(start, float(np.sqrt(peak2))))
        peak = float(np.sqrt(peak2))
        peak_max = peak if peak > peak_max else peak_max - (peak_max - peak) / 8
        armed, pos = False, end + 1
    return strikes
