# Sessions and calibration targets of the simulated pod (the PodLink controller side):
# stop_session publishes the partial window and silences the windows while the IMU keeps
# sampling for power management; start_session counts windows from 0 again; calibrate
# does only the calibration asked for; over BLE the control point answers success.
import micropython

import radio_recorder
from fwtest import assert_equal

radio_recorder.install()  # before podfw.link.gatt imports `bluetooth`

from podfw import pod as podmodule  # noqa: E402
from podfw.gait import summary as S  # noqa: E402
from podfw.link import wire  # noqa: E402
from podfw.power import ACTIVE, DEEP_SLEEP, IDLE  # noqa: E402
from podlink_rig import Rig  # noqa: E402
from sim_pod import (  # noqa: E402
    BOARDS,
    CountingSink,
    board_variant,
    imu_only_board,
    make_pod,
    run_pod,
)


def _started_pod(path=BOARDS[0], **kw):
    pod, hw, chip, windows = make_pod(path, **kw)
    hw.unloaded = True
    pod.calibrate()
    hw.unloaded = False
    pod.start()
    return pod, hw, chip, windows


def _scans(pod):
    return pod.zones._adcs[0].reads if pod.zones._adcs else pod.zones._adc.reads


def test_stop_session_publishes_the_partial_window_then_none_while_sampling_goes_on():
    for path in BOARDS:
        pod, hw, chip, windows = _started_pod(path)
        run_pod(pod, 7)
        assert_equal(len(windows), 1, path + " windows before the stop")
        assert pod.stop_session()
        assert_equal(len(windows), 2, path + " the partial window published")
        last = windows[-1]
        assert_equal(last.index, 1, "partial window index")
        assert 1500 <= last.duration_ms < 5000, last
        assert last.steps >= 2, last
        samples = pod.imu.samples
        scans = _scans(pod)
        run_pod(pod, 12)
        assert_equal(len(windows), 2, path + " no windows between sessions")
        assert pod.imu.samples - samples >= 11 * pod.board.imu_rate_hz, "the IMU kept sampling"
        assert_equal(_scans(pod), scans, "no pressure scans between sessions")
        assert_equal(pod.counters.imu_lost, 0, "nothing counted lost between sessions")
        assert pod.running and not pod.session_active
        assert_equal(pod.power.state, ACTIVE, "walking is still motion")
        assert pod.stop_session(), "stop while stopped"
        assert_equal(len(windows), 2, "a second stop publishes nothing")


def test_start_session_counts_windows_from_zero_with_a_fresh_engine():
    pod, hw, chip, windows = _started_pod(BOARDS[1])
    run_pod(pod, 6)
    pod.stop_session()
    run_pod(pod, 3)
    first = pod.engine
    n = len(windows)
    assert pod.start_session()
    assert pod.engine is not first, "a fresh engine"
    assert pod.engine.config is first.config, "from the same configuration"
    run_pod(pod, 11)
    new = windows[n:]
    assert_equal([w.index for w in new], [0, 1], "indices of the new session")
    assert_equal([w.start_ms for w in new], [0, 5000], "start times of the new session")
    for w in new:
        assert 6 <= w.steps <= 10 and w.flags & S.FLAG_WALKING, w
        assert not w.flags & S.FLAG_SAMPLES_LOST, w
    assert abs(pod.engine.n_imu - 11 * pod.board.imu_rate_hz) <= pod.board.imu_rate_hz // 10, (
        pod.engine.n_imu)
    assert_equal(pod.sessions, 2, "sessions")


def test_start_while_running_closes_the_session_and_restarts():
    pod, hw, chip, windows = _started_pod(BOARDS[0])
    run_pod(pod, 8)
    assert_equal([w.index for w in windows], [0], "first session")
    assert pod.start_session()
    assert_equal([w.index for w in windows], [0, 1], "the old session's partial window")
    assert pod.session_active
    run_pod(pod, 6)
    assert_equal([w.index for w in windows], [0, 1, 0], "the new session")
    assert pod.timer.callback is not None, "scans running"


def test_start_session_before_the_sensors_starts_them():
    pod, hw, chip, windows = make_pod(BOARDS[0])
    assert not pod.running
    assert pod.start_session()
    assert pod.running and pod.session_active
    run_pod(pod, 6)
    assert_equal([w.index for w in windows], [0], "windows")


def test_stopped_pod_still_goes_idle_and_deep_sleeps_without_a_window():
    path = board_variant(BOARDS[0], "power", idle_after_s=2, deep_sleep_after_min=1)
    pod, hw, chip, windows = _started_pod(path)
    run_pod(pod, 3)
    pod.stop_session()
    n = len(windows)
    chip.still = True
    run_pod(pod, 4)
    assert_equal(pod.power.state, IDLE, "still between sessions")
    chip.still = False
    run_pod(pod, 1)
    assert_equal(pod.power.state, ACTIVE, "motion between sessions")
    assert pod.timer.callback is None, "motion alone starts no scans"
    chip.still = True
    state = ACTIVE
    while state != DEEP_SLEEP:
        state = pod.service()
        hw.run_for(100000)
    try:
        pod.sleep()
    except Exception as exc:  # sim_hw.DeepSleep
        assert_equal(type(exc).__name__, "DeepSleep", "deep sleep")
    assert_equal(len(windows), n, "no session: nothing published going to sleep")


def test_session_started_while_idle_scans_on_motion_and_keeps_the_clocks_in_step():
    path = board_variant(BOARDS[1], "power", idle_after_s=2, deep_sleep_after_min=60)
    pod, hw, chip, windows = _started_pod(path)
    pod.stop_session()
    chip.still = True
    run_pod(pod, 3)
    assert_equal(pod.power.state, IDLE, "idle")
    pod.start_session()
    assert pod.timer.callback is None, "no scans while idle"
    run_pod(pod, 2)
    chip.still = False
    run_pod(pod, 2)
    assert pod.timer.callback is not None, "scans with motion"
    eng = pod.engine
    imu_ms = eng.n_imu * 1000 // pod.board.imu_rate_hz
    pressure_ms = eng.n_pressure * 1000 // pod.board.pressure_rate_hz
    assert abs(imu_ms - pressure_ms) <= 2 * pod.board.drain_ms, (imu_ms, pressure_ms)


def test_no_heap_allocation_per_sample_between_sessions():
    sink = CountingSink()
    pod, hw, chip, windows = _started_pod(BOARDS[0], sink=sink)
    run_pod(pod, 2)
    pod.stop_session()
    run_pod(pod, 1)
    period = pod.board.drain_ms * 1000
    samples = pod.imu.samples
    micropython.heap_lock()
    try:
        for _ in range(30):
            hw.run_for(period)
            pod.service()
    finally:
        micropython.heap_unlock()
    assert pod.imu.samples - samples > 2 * pod.board.imu_rate_hz, "sampled under the lock"


def test_calibrate_runs_only_the_target_asked_for():
    assert_equal((podmodule.CALIBRATE_IMU_STILL, podmodule.CALIBRATE_PRESSURE_ZERO),
                 (wire.CALIBRATE_IMU_STILL, wire.CALIBRATE_PRESSURE_ZERO), "mirrored constants")
    pod, hw, chip, windows = make_pod(BOARDS[0])
    zero = bytes(pod.zones.zero)
    hw.unloaded = True
    pod.start()
    chip.still = True
    assert pod.calibrate(wire.CALIBRATE_IMU_STILL), "IMU still calibration"
    assert_equal(bytes(pod.zones.zero), zero, "IMU target leaves the zones alone")
    assert not pod.zones.calibrated
    bias = bytes(pod.gyro_bias)
    assert not pod.calibrate(9), "unknown target"
    assert pod.calibrate(wire.CALIBRATE_PRESSURE_ZERO)
    assert pod.zones.calibrated
    assert bytes(pod.zones.zero) != zero, "zeros measured"
    assert_equal(bytes(pod.gyro_bias), bias, "pressure target leaves the gyro alone")
    hw.unloaded = False


def test_calibrate_pressure_zero_without_zones_fails():
    path = imu_only_board(BOARDS[0], "session-imu-only")
    pod, hw, chip, windows = make_pod(path, pressure_feed=None)
    assert not pod.calibrate(wire.CALIBRATE_PRESSURE_ZERO)
    chip.still = True
    assert not pod.calibrate(wire.CALIBRATE_IMU_STILL), "sensors not started"
    pod.start()
    assert pod.calibrate(wire.CALIBRATE_IMU_STILL), "the IMU alone"


def _offset_chip(chip, dps):
    """A gyro reading `dps` on every axis at rest; returns the offsets in LSB."""
    lsb = [round(dps * 1 / 0.070)] * 3  # the sim serves +-2000 dps: 70 mdps per LSB
    chip.gyro_offset = lsb
    return lsb


def test_imu_still_calibration_removes_the_gyro_offset_and_survives_a_reboot():
    # motion above 6 dps: each axis's 8 dps offset alone would look like motion
    path = board_variant(BOARDS[0], "power", idle_after_s=2, deep_sleep_after_min=60,
                         motion_threshold_dps=6)
    pod, hw, chip, windows = _started_pod(path)
    offset = _offset_chip(chip, 8)
    chip.still = True
    run_pod(pod, 5)
    assert_equal(pod.power.state, ACTIVE, "the offset looks like motion")
    produced = chip.produced
    n_imu = pod.engine.n_imu
    assert pod.calibrate(wire.CALIBRATE_IMU_STILL)
    rest = [chip.cols[3 + a][0] + offset[a] for a in range(3)]  # what the gyro reads still
    assert_equal(list(pod.gyro_bias), rest, "offsets")
    assert pod.engine.n_imu - n_imu >= chip.produced - produced - 30, "the samples went on"
    run_pod(pod, 3)
    assert_equal(pod.power.state, IDLE, "still once the offset is removed")
    again = podmodule.Pod(pod.board, windows.append, hw)
    assert_equal(list(again.gyro_bias), rest, "offsets from flash")


def test_imu_still_calibration_refuses_a_moving_pod_and_keeps_the_old_offsets():
    pod, hw, chip, windows = _started_pod()
    chip.still = True
    assert pod.calibrate(wire.CALIBRATE_IMU_STILL)
    saved = list(pod.gyro_bias)
    chip.still = False  # walking
    assert not pod.calibrate(wire.CALIBRATE_IMU_STILL), "moving"
    assert_equal(list(pod.gyro_bias), saved, "unchanged")
    chip.still = True
    _offset_chip(chip, 15)  # turning steadily, or a broken gyro: beyond the 10 dps bound
    assert not pod.calibrate(wire.CALIBRATE_IMU_STILL), "implausible offset"
    assert_equal(list(podmodule.Pod(pod.board, windows.append, hw).gyro_bias), saved, "flash")


def test_damaged_or_foreign_gyro_offsets_are_ignored_at_boot():
    pod, hw, chip, windows = make_pod(BOARDS[0])
    for text in ('{"imu": "lsm6dso", "gyro_bias": [1, 2', '{"imu": "icm42688p", "gyro_bias": [1, 2, 3]}',
                 '{"imu": "lsm6dso", "gyro_bias": [1, 2]}', '{"imu": "lsm6dso", "gyro_bias": [1, 2, 99999]}',
                 '{"imu": "lsm6dso", "gyro_bias": [1, 2, "3"]}', '[]'):
        with open(hw.flash_dir + "gyro_bias.json", "w") as f:
            f.write(text)
        assert_equal(list(podmodule.Pod(pod.board, windows.append, hw).gyro_bias), [0, 0, 0], text)
    with open(hw.flash_dir + "gyro_bias.json", "w") as f:
        f.write('{"imu": "lsm6dso", "gyro_bias": [1, -2, 3]}')
    assert_equal(list(podmodule.Pod(pod.board, windows.append, hw).gyro_bias), [1, -2, 3], "good")


class _LinkedPod(Rig):
    """A simulated pod publishing into a PodLink on the radio stand-in, as main.run wires
    them (config from the engine, the pod as controller, a bond store)."""

    def __init__(self):
        self.link = None
        self.pod, self.hw, self.chip, _ = make_pod(BOARDS[0], sink=self._publish)
        self.pod.start()
        Rig.__init__(self, config=self.pod.engine.config, controller=self.pod,
                     bond_store=True)

    def _publish(self, summary):
        self.link.publish(summary)

    def request(self, conn, op, param=None):
        """Writes one command and returns its response (not the backfill's event)."""
        self.command(conn, wire.encode_command(op) if param is None
                     else wire.encode_command(op, param))
        responses = [r for r in self.indications(conn) if r.kind == "response"]
        assert_equal(len(responses), 1, "one response")
        return responses[0]


def test_control_point_sessions_and_calibration_reach_the_pod():
    with _LinkedPod() as rig:
        pod = rig.pod
        rig.ble.connect(3)
        rig.ble.encrypt(3)
        assert_equal(rig.request(3, wire.OP_SET_TIME, 850000000).result, wire.RESULT_SUCCESS,
                     "set time")
        reply = rig.request(3, wire.OP_READ_CONFIG)
        fields = reply.fields
        assert_equal((fields["window_s"], fields["imu_rate_hz"], fields["pressure_rate_hz"],
                      fields["placement"]),
                     (5, pod.board.imu_rate_hz, pod.board.pressure_rate_hz, pod.board.placement),
                     "config from the engine")
        want = wire.STATUS_SESSION_ACTIVE | wire.STATUS_HAS_GYRO | wire.STATUS_HAS_PRESSURE
        assert_equal(fields["status"] & want, want, "status: recording since boot")
        rig.request(3, wire.OP_BACKFILL, 0)
        run_pod(pod, 7)
        assert_equal(rig.request(3, wire.OP_STOP_SESSION).result, wire.RESULT_SUCCESS, "stop")
        assert_equal(rig.request(3, wire.OP_READ_CONFIG).fields["status"]
                     & wire.STATUS_SESSION_ACTIVE, 0, "status: stopped")
        run_pod(pod, 6)
        assert_equal(len(rig.records(3)), 2, "window 0 and the partial window, nothing after")
        assert_equal(rig.request(3, wire.OP_START_SESSION).result, wire.RESULT_SUCCESS, "start")
        run_pod(pod, 11)
        records = rig.records(3)
        assert_equal([r.seq for r in records], [0, 1, 2, 3], "sequence numbers")
        assert_equal([r.session_start for r in records], [True, False, True, False],
                     "session starts")
        assert records[3].time_s - records[2].time_s == 5, records
        assert_equal(rig.request(3, wire.OP_CALIBRATE, wire.CALIBRATE_IMU_STILL).result,
                     wire.RESULT_FAILED, "IMU still calibration of a walking pod")
        rig.hw.unloaded = True
        assert_equal(rig.request(3, wire.OP_CALIBRATE, wire.CALIBRATE_PRESSURE_ZERO).result,
                     wire.RESULT_SUCCESS, "pressure zero")
        rig.hw.unloaded = False
        assert pod.zones.calibrated
