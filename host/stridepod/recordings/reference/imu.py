"""Float reference of the firmware's accelerometer-only step detectors
(`podfw.gait.acc_steps`), and what the IMU references share (the foot pod with a
gyroscope is `reference.foot_gyro`).

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
