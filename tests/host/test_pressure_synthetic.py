"""The insole contact detector on synthetic ground reaction forces where the truth is
known by construction: running (flight phases, 2.5 body weights), walk-run-walk
transitions, light and heavy wearers, heel / midfoot / forefoot strikers, lost samples,
standing still. The recorded datasets only have walking insoles; these cover the rest."""

from __future__ import annotations

import numpy as np
import pytest

from podfw.gait.pressure import PFLAG_GAP, PressureContacts
from pressure_runs import LSB_PER_NEWTON, run_firmware
from stridepod.recordings.reference import pressure as ref

RATE = 100
# gaitpdb's 8-zone layout: heel, two rows of two, toes; y points to the toes
ZONES = [(-500, -800), (-700, -400), (-300, -400), (-700, 0), (-300, 0),
         (-700, 400), (-300, 400), (-500, 800)]
ZONE_Y = np.array([(y + 800) * 1000 / 1600 for _, y in ZONES])  # per mille, heel = 0


def contact_force(tc: float, peak_n: float, strike_pos: float, running: bool) -> np.ndarray:
    """Zone forces (samples, zones) of one stance: the total follows a running half-sine
    with a heel impact transient, or the walking double hump; the centre of pressure
    rolls from the strike position to the toes."""
    u = (np.arange(int(round(tc * RATE))) + 0.5) / (tc * RATE)
    if running:
        total = np.sin(np.pi * u)
        if strike_pos < 333:
            total = total + 0.4 * np.exp(-(((u - 0.12) / 0.05) ** 2))
    else:
        total = np.sin(np.pi * u) ** 0.6 * (1 - 0.2 * np.sin(2 * np.pi * u) ** 2)
    total = peak_n * total / total.max()
    cop = strike_pos + (950 - strike_pos) * u
    weights = np.exp(-(((ZONE_Y[None, :] - cop[:, None]) / 220) ** 2))
    weights /= weights.sum(axis=1, keepdims=True)
    return total[:, None] * weights


def session(strides, seed=1, offset_n=3.0, noise_n=0.5):
    """strides: list of (contact_s, swing_s, peak_n, strike_pos, running). Starts in the
    air. Returns (zone forces in N, true (on_s, off_s) list)."""
    rng = np.random.default_rng(seed)
    parts, truth, t = [np.zeros((30, len(ZONES)))], [], 0.3
    for tc, swing, peak, pos, running in strides:
        stance = contact_force(tc, peak, pos, running)
        truth.append((t, t + len(stance) / RATE))
        air = np.zeros((int(round(swing * RATE)), len(ZONES)))
        parts += [stance, air]
        t += (len(stance) + len(air)) / RATE
    f = np.concatenate(parts)
    f[:, 3] += offset_n  # a zone that never quite reads zero
    f += rng.normal(0, noise_n, f.shape)
    return np.clip(f, 0, None), truth


def run(forces):
    q = np.clip(np.rint(forces * LSB_PER_NEWTON), -32768, 32767).astype(np.int32)
    return run_firmware(q, ZONES, RATE)


def assert_found(result, contacts, truth, tol_s=0.02):
    assert len(result.initial_contacts_s) == len(truth)
    assert len(contacts) == len(truth)
    on = np.array([t[0] for t in truth])
    off = np.array([t[1] for t in truth])
    np.testing.assert_allclose(result.initial_contacts_s, on, atol=tol_s)
    np.testing.assert_allclose(result.final_contacts_s, off, atol=tol_s)


@pytest.mark.parametrize("weight_n", [250, 700, 1100])
@pytest.mark.parametrize("strike_pos,strike", [(80, ref.STRIKE_HEEL), (500, ref.STRIKE_MID),
                                               (850, ref.STRIKE_FORE)])
def test_running_contacts_flight_and_strike(weight_n, strike_pos, strike):
    # 170 steps/min: 0.706 s stride, 0.24 s on the ground, 2.5 body weights
    strides = [(0.24, 0.47, 2.5 * weight_n, strike_pos, True)] * 40
    forces, truth = session(strides)
    result, contacts, _ = run(forces)
    assert_found(result, contacts, truth)
    for c in contacts:
        assert abs(c["contact_ms"] - 240) <= 20
        assert c["strike"] == strike
        assert c["peak"] == pytest.approx(2.5 * weight_n * LSB_PER_NEWTON, rel=0.05)
    for c in contacts[1:]:  # both feet airborne: (swing - contact) / 2 = 115 ms
        assert abs(c["swing_ms"] - 470) <= 20
        assert abs(c["flight_ms"] - 115) <= 15
    assert contacts[0]["swing_ms"] == 0  # nothing seen before the first contact


def test_walk_run_walk_keeps_every_step():
    walk = (0.62, 0.42, 1.15 * 700, 100, False)
    runs = (0.25, 0.45, 2.6 * 700, 100, True)
    strides = [walk] * 20 + [runs] * 30 + [walk] * 20
    forces, truth = session(strides, seed=2)
    result, contacts, pc = run(forces)
    assert_found(result, contacts, truth)
    walking = [c["flight_ms"] for c in contacts[1:20] + contacts[51:]]
    running = [c["flight_ms"] for c in contacts[21:50]]
    assert max(walking) == 0 and min(running) > 60
    assert np.median([c["loading_rate"] for c in contacts[21:50]]) > 2 * np.median(
        [c["loading_rate"] for c in contacts[1:20]])
    assert pc.take_flags() == 0


def test_insole_offset_and_noise_do_not_make_steps():
    # a zone stuck at 25 N (worn insole) and 3 N of noise. At power-on that reads like
    # a foot standing on the insole; after a second below the confirm level in all the
    # offset is learnt as floor, so the first two strides go by, then every one counts
    forces, truth = session([(0.6, 0.45, 800, 100, False)] * 30, seed=3, offset_n=25,
                            noise_n=3.0)
    result, contacts, _ = run(forces)
    assert_found(result, contacts, truth[2:], tol_s=0.03)


def test_lost_samples_drop_the_contact_in_progress():
    forces, truth = session([(0.25, 0.45, 1800, 100, True)] * 10, seed=4)
    q = np.clip(np.rint(forces * LSB_PER_NEWTON), 0, 32767).astype(np.int32)
    cut = int((truth[4][0] + 0.1) * RATE)  # in the middle of the fifth contact
    first, c1, pc = run_firmware(q[:cut], ZONES, RATE)
    pc.gap(20)
    second, c2, _ = run_firmware(q[cut + 20:], ZONES, RATE, detector=pc)
    assert pc.take_flags() == PFLAG_GAP
    assert len(c1) == 4 and len(c2) == 5  # the cut contact is not reported
    assert c2[0]["swing_ms"] == 0  # the swing before it was not seen whole
    np.testing.assert_allclose(second.initial_contacts_s, [t[0] for t in truth[5:]], atol=0.02)


def test_standing_then_walking():
    stand = contact_force(60.0, 700, 300, running=False)
    stand[:, :] = 700 / len(ZONES)
    walk, truth = session([(0.6, 0.45, 800, 100, False)] * 10, seed=5)
    forces = np.concatenate([stand, walk])
    result, contacts, _ = run(forces)
    # standing from the first sample: its start was not seen, so no contact time;
    # the walk after it is found whole
    shift = len(stand) / RATE
    assert_found(result, contacts, [(a + shift, b + shift) for a, b in truth])


def test_reference_agrees_on_running():
    strides = [(0.24, 0.47, 1700, 850, True)] * 20 + [(0.6, 0.45, 800, 100, False)] * 10
    forces, _ = session(strides, seed=6)
    result, contacts, _ = run(forces)
    q = np.clip(np.rint(forces * LSB_PER_NEWTON), 0, 32767)
    r = ref.detect_contacts(q / LSB_PER_NEWTON, ZONES, RATE)
    assert len(r.contacts) == len(contacts)
    for c, f in zip(contacts, r.contacts, strict=True):
        assert abs((c["on_index"] + c["on_frac"] / 100) / RATE - f.on_s) <= 1 / RATE
        assert abs(c["contact_ms"] - f.contact_ms) <= max(0.01 * f.contact_ms, 1)
        assert abs(c["flight_ms"] - f.flight_ms) <= max(0.01 * f.flight_ms, 1)
        assert c["strike"] == f.strike


def test_float_configuration_keeps_the_scan_path_integer():
    # rates and scales often arrive as JSON floats: nothing per scan may become a float
    forces, _ = session([(0.25, 0.45, 1800, 100, True)] * 3, seed=7)
    q = np.clip(np.rint(forces * LSB_PER_NEWTON), 0, 32767).astype(np.int32)
    pc = PressureContacts(ZONES, float(RATE), float(LSB_PER_NEWTON), 32767.0, 700.0)
    _, contacts, pc = run_firmware(q, ZONES, RATE, detector=pc)
    assert len(contacts) == 3
    for name, value in vars(pc).items():
        assert not isinstance(value, float), name
