# FootGyroStrides' per-sample kernels: the viper code the pod runs
# (podfw.gait.foot_gyro_viper) and its plain twins (podfw.gait.foot_gyro_plain, what
# CPython runs when the host replays dumps) give the same codes, the same state after
# every sample and the same events: two engines, one with each, fed the same samples, on
# a real recording and on crafted inputs at the ends of the kernels' ranges (full-scale
# rates and accelerations, a lobe whose area reaches its cap, sample counts near 2**30).
# On unix32 a product or sum that wrapped at 32 bits would differ from the plain twin.
from array import array

import micropython

from fwtest import Lcg, assert_equal, assert_small_int, read_dump_columns
from podfw.gait import foot_gyro_viper
from podfw.gait.config import GaitConfig
from podfw.gait.engine import GaitEngine
from podfw.gait.foot_gyro_plain import gyro_sample_py

LOBE_AREA_SLOT = 25  # step_detector's _S_LOBE_AREA (internal units * samples) ...
AREA_CAP = 1 << 29  # ... capped here at each covariance update


class Pair:
    """Two engines of one configuration: `viper` with the viper kernel, `plain` with the
    plain twin. Each sample goes through both kernels directly (codes and the state they
    leave compared), then through both engines' push_imu with the heap locked (the rare
    work in plain Python included: states and events compared)."""

    def __init__(self, cfg):
        self.viper = GaitEngine(cfg)
        self.plain = GaitEngine(cfg)
        assert self.viper.imu_step is foot_gyro_viper.gyro_sample
        self.plain.imu_step = gyro_sample_py
        self.plain.imu_detector.step = gyro_sample_py
        self.rec = array("i", bytes(16))
        self.events = 0
        self.slow = 0

    def start_at(self, n):
        self.viper.n_imu = n
        self.plain.n_imu = n

    def push(self, ax, ay, az, gx, gy, gz):
        n = self.viper.n_imu
        v = array("i", self.viper.imu_state)
        p = array("i", self.plain.imu_state)
        code = foot_gyro_viper.gyro_sample(v, n, ax, ay, az, gx, gy, gz)
        assert_equal(code, gyro_sample_py(p, n, ax, ay, az, gx, gy, gz), "code at %d" % n)
        assert_equal(list(v), list(p), "kernel state at %d" % n)
        self.slow += code & 1
        got = []
        for eng in (self.viper, self.plain):
            micropython.heap_lock()
            try:
                eng.push_imu(ax, ay, az, gx, gy, gz)
            finally:
                micropython.heap_unlock()
            events = []
            while eng.events.pop_into(self.rec):
                events.append(tuple(self.rec))
            got.append(events)
        assert_equal(list(self.viper.imu_state), list(self.plain.imu_state), "state at %d" % n)
        assert_equal(got[0], got[1], "events at %d" % n)
        self.events += len(got[0])

    def finish(self):
        got = []
        for eng in (self.viper, self.plain):
            eng.finish()
            events = []
            while eng.events.pop_into(self.rec):
                events.append(tuple(self.rec))
            got.append(events)
        assert_equal(got[0], got[1], "events at the end")
        self.events += len(got[0])
        for v in self.viper.imu_state:
            assert_small_int(v, "state")


def test_viper_kernel_equals_its_twin_on_a_real_walk():
    # gaitmap's example walk (a foot IMU, 204.8 Hz, g and deg/s), in a BMI160's units
    header, rows = read_dump_columns("gaitmap_walk_left")
    cols = [header.index(c) for c in ("ax", "ay", "az", "gx", "gy", "gz")]
    pair = Pair(GaitConfig(imu_rate_hz=204.8, placement="left_foot", acc_lsb_per_g=2048,
                           gyro_lsb_per_dps=16.4))
    for row in rows:
        s = [int(round(row[c] * (2048 if k < 3 else 16.4))) for k, c in enumerate(cols)]
        pair.push(s[0], s[1], s[2], s[3], s[4], s[5])
    pair.finish()
    assert pair.events > 50, "events: %d" % pair.events
    assert pair.slow > 100


def full_scale(v):
    return 32767 if v > 32767 else (-32768 if v < -32768 else v)


def test_viper_kernel_equals_its_twin_at_the_ends_of_its_range():
    # the most sensitive gyroscope the config takes (1000 LSB/dps) and the least (0.5), at
    # 100 and 1000 Hz; strides of full-scale rates about a tilted axis, random full-scale
    # accelerations, a rotation that never stops (the lobe's area reaches its cap), and
    # 12 days into a session (its time in ms, a small int, ends just below 2**30 there)
    rnd = Lcg(1303)
    late = 200 * ((1 << 30) - 20000) // 1000
    for rate_hz, lsb_per_dps, acc_lsb, start in ((100, 1000, 64, 0), (1000, 0.5, 65536, 0),
                                                 (200, 16.4, 2048, late)):
        pair = Pair(GaitConfig(imu_rate_hz=rate_hz, placement="right_foot",
                               acc_lsb_per_g=acc_lsb, gyro_lsb_per_dps=lsb_per_dps))
        pair.start_at(start)
        period = rate_hz  # a stride a second
        for i in range(6 * period):
            phase = i % period
            rate = 32767 if phase < period * 2 // 5 else (-32768 if phase < period * 3 // 5 else 0)
            acc = full_scale(rnd.below(65536) - 32768) if phase % 7 == 0 else 2048
            pair.push(acc, -acc, full_scale(acc * 3), rate, full_scale(-rate - 1) >> 1,
                      full_scale(rate) >> 2)
        capped = 0
        for k in range(3 * period):  # stuck at full scale, the other way
            if k == 20:  # the lobe has grown for days: its area just below the cap
                for eng in (pair.viper, pair.plain):
                    eng.imu_state[LOBE_AREA_SLOT] = AREA_CAP - 1000
            pair.push(-32768, -32768, -32768, -32768, 16383, -8192)
            area = pair.viper.imu_state[LOBE_AREA_SLOT]
            # the cap plus < 2**14 per sample since the last covariance update (~50 Hz)
            assert area < AREA_CAP + (1 << 14) * (rate_hz // 50 + 1), area
            capped += area >= AREA_CAP
        assert capped > 0
        for _ in range(period):
            pair.push(rnd.below(65536) - 32768, rnd.below(65536) - 32768,
                      rnd.below(65536) - 32768, rnd.below(65536) - 32768,
                      rnd.below(65536) - 32768, rnd.below(65536) - 32768)
        pair.finish()
        assert pair.slow > 6
