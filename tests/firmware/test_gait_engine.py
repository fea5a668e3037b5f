# The gait engine's integer core under the real MicroPython unix port: exact helpers,
# 31-bit state at full-scale input, no allocation per sample, steps on a real recording.
from array import array

import micropython

from fwtest import assert_equal, assert_raises, assert_small_int, read_dump_columns
from podfw.gait.config import GaitConfig
from podfw.gait.engine import EV_FINAL_CONTACT, EV_INITIAL_CONTACT, GaitEngine
from podfw.gait.fixedpoint import SampleClock, isqrt, rate_fraction
from podfw.gait.summary import (
    FLAG_CLIPPED,
    FLAG_IMU_DEGRADED,
    FLAG_NO_PRESSURE,
    FLAG_SAMPLES_LOST,
)


def check_state(obj):
    # every int kept between samples, and every element of the int arrays
    for name in dir(obj):
        value = getattr(obj, name)
        if isinstance(value, int) and not isinstance(value, bool):
            assert_small_int(value, type(obj).__name__ + "." + name)
        elif isinstance(value, array):
            for v in value:
                assert_small_int(v, type(obj).__name__ + "." + name + "[]")


def engine_parts(eng):
    return [p for p in (eng, eng.imu_detector) if p]


def test_isqrt_is_exact_up_to_the_small_int_limit():
    values = list(range(0, 2000)) + [(1 << 30) - 1, (1 << 30) - 2, 46340 * 46340,
                                     46340 * 46340 - 1, 12345678, 3 * 4095 * 4095]
    for v in values:
        r = isqrt(v)
        if not (r * r <= v < (r + 1) * (r + 1)):
            raise AssertionError("isqrt(%d) = %d" % (v, r))


def test_sample_clock_has_no_drift_at_fractional_rates():
    assert_equal(rate_fraction(204.8), (1024, 5), "204.8 Hz")
    clock = SampleClock(204.8)
    assert_equal(clock.ms(1024), 5000, "1024 samples")
    assert_equal(clock.ms(1024 * 1000), 5000000, "1024000 samples")
    last = -1
    for n in range(0, 3000, 7):
        t = clock.ms(n)
        assert t >= last
        assert clock.samples(t) <= n < clock.samples(t + 5)
        last = t
    assert_equal(clock.span(5000), 1024, "5 s")
    # a month of samples at 500 Hz stays a small int in ms
    assert_small_int(SampleClock(500).ms(500 * 86400 * 12), "12 days in ms")


def test_config_rejects_bad_values():
    assert_raises(ValueError, GaitConfig, 200, 100, "wrist")
    assert_raises(ValueError, GaitConfig, 0)  # neither IMU nor insole
    assert_raises(ValueError, GaitConfig, 200, 100, "left_foot", 10)


def full_scale_run(cfg, samples):
    eng = GaitEngine(cfg)
    parts = engine_parts(eng)
    rec = array("i", bytes(16))
    top = 32767
    for i in range(samples):
        # square waves at every extreme, out of phase between axes
        s = top if (i // 17) % 2 else -top - 1
        t = top if (i // 29) % 2 else -top - 1
        eng.push_imu(s, t, -s, t, -t, s)
        for p in parts:
            check_state(p)
        while eng.events.pop_into(rec):
            for v in rec:
                assert_small_int(v, "event field")
    return eng


def test_state_fits_31_bits_at_full_scale_for_every_detector():
    cases = (("left_foot", True, 2048, 16.4), ("left_foot", False, 2048, 16.4),
             ("sacrum", False, 2048, 16.4),
             # the least sensitive sensors the configuration accepts
             ("left_foot", True, 64, 0.5), ("sacrum", False, 64, 0.5))
    for placement, gyro, acc_lsb, gyro_lsb in cases:
        cfg = GaitConfig(imu_rate_hz=500, placement=placement, has_gyro=gyro,
                         acc_lsb_per_g=acc_lsb, gyro_lsb_per_dps=gyro_lsb, window_s=1)
        eng = full_scale_run(cfg, 1200)
        w = eng.poll_window()
        assert w is not None
        assert w.flags & FLAG_CLIPPED, "full-scale samples must flag the window as clipped"


def test_a_gyroscope_stuck_at_full_scale_keeps_the_state_in_31_bits():
    # one way at 2000 deg/s for 5 minutes at 500 Hz: a lobe that never ends (its area
    # is capped, not grown past the small ints)
    eng = GaitEngine(GaitConfig(imu_rate_hz=500, placement="right_foot", window_s=60))
    parts = engine_parts(eng)
    micropython.heap_lock()
    try:
        for i in range(500 * 300):
            eng.push_imu(0, 0, 2048, 32767, 0, 0)
            if i % 5000 == 0:
                micropython.heap_unlock()
                for p in parts:
                    check_state(p)
                micropython.heap_lock()
            eng.poll_window()
    finally:
        micropython.heap_unlock()
    for p in parts:
        check_state(p)


def test_no_allocation_per_sample_windows_and_gaps_included():
    eng = GaitEngine(GaitConfig(imu_rate_hz=200, placement="left_foot", window_s=1))
    rec = array("i", bytes(16))
    polled = 0
    micropython.heap_lock()
    try:
        for i in range(3000):
            # a 1 Hz stride-like rotation about a tilted axis with impacts
            phase = i % 200
            rate = 6000 if phase < 80 else (-3000 if phase < 120 else 0)
            impact = 12000 if phase == 81 else 2048
            eng.push_imu(100, impact, 300, rate, rate >> 1, -rate >> 2)
            if i == 1500:
                eng.imu_gap(50)
            eng.events.pop_into(rec)
            if eng.poll_window() is not None:
                polled += 1
        eng.finish()
    finally:
        micropython.heap_unlock()
    assert polled >= 14, "windows: %d" % polled


def test_gap_flags_the_window_and_moves_time_on():
    eng = GaitEngine(GaitConfig(imu_rate_hz=100, window_s=1))
    for _ in range(50):
        eng.push_imu(0, 0, 2048, 0, 0, 0)
    eng.imu_gap(120)  # crosses a window boundary
    w = eng.poll_window()
    assert w is not None and w.flags & FLAG_SAMPLES_LOST
    assert w.flags & FLAG_NO_PRESSURE
    assert_equal(eng.n_imu, 170, "samples after the gap")


def test_a_long_gap_closes_the_window_and_spans_the_lost_ones_in_one():
    eng = GaitEngine(GaitConfig(imu_rate_hz=100, window_s=1))
    for _ in range(150):
        eng.push_imu(0, 0, 2048, 0, 0, 0)
    eng.poll_window()
    eng.imu_gap(1000)  # 10 s: more windows than the summary pool holds
    with_data = eng.poll_window()
    lost = eng.poll_window()
    assert eng.poll_window() is None
    assert_equal((with_data.start_ms, with_data.duration_ms), (1000, 1000), "window in progress")
    assert_equal((lost.start_ms, lost.duration_ms), (2000, 9000), "lost windows")
    assert lost.flags & FLAG_SAMPLES_LOST and with_data.flags & FLAG_SAMPLES_LOST
    for _ in range(100):
        eng.push_imu(0, 0, 2048, 0, 0, 0)
    after = eng.poll_window()
    assert_equal((after.index, after.start_ms), (3, 11000), "first window after the gap")
    assert after.flags & FLAG_SAMPLES_LOST  # it began inside the gap


def test_a_silent_accelerometer_flags_the_imu_degraded():
    eng = GaitEngine(GaitConfig(imu_rate_hz=100, window_s=1))
    for _ in range(100):
        eng.push_imu(0, 0, 2048, 0, 0, 0)  # standing: 1 g
    for _ in range(100):
        eng.push_imu(0, 3, -2, 0, 0, 0)  # a dead sensor reads (almost) nothing
    standing = eng.poll_window()
    dead = eng.poll_window()
    assert not standing.flags & FLAG_IMU_DEGRADED
    assert dead.flags & FLAG_IMU_DEGRADED


def test_counts_the_steps_of_a_real_sacrum_recording():
    header, rows = read_dump_columns("alcantara_run_00")
    ix = header.index("ax")
    iz = header.index("az")
    eng = GaitEngine(GaitConfig(imu_rate_hz=500, placement="sacrum", has_gyro=False))
    rec = array("i", bytes(16))
    strikes = 0
    for row in rows:
        eng.push_imu(int(round(row[ix] * 2048)), 0, int(round(row[iz] * 2048)), 0, 0, 0)
        while eng.events.pop_into(rec):
            if rec[0] == EV_INITIAL_CONTACT:
                strikes += 1
            assert rec[0] != EV_FINAL_CONTACT
    eng.finish()
    while eng.events.pop_into(rec):
        strikes += 1
    # 16 force-plate contacts in these 5 s (the recording starts mid-stance)
    assert_equal(strikes, 16, "strikes")
