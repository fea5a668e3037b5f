# The whole pod on simulated hardware fed from real recordings: windows come out of the
# real gait engine; I2C NACKs, a stuck FIFO, ring overruns and a shorted zone mark the
# windows and the pod keeps running; no allocation per sample; power states.
import micropython

from fwtest import assert_equal, assert_raises
from podfw.gait import summary as S
from podfw.power import ACTIVE, DEEP_SLEEP, IDLE
from sim_hw import DeepSleep
from sim_pod import (
    BOARDS,
    CountingSink,
    board_variant,
    imu_only_board,
    make_pod,
    run_pod,
)


def _calibrated_pod(path, **kw):
    pod, hw, chip, windows = make_pod(path, **kw)
    hw.unloaded = True
    pod.calibrate()
    hw.unloaded = False
    pod.start()
    return pod, hw, chip, windows


def _paused_cycles(pod, n):
    """n scheduler cycles: the pause between drains (light sleep when allowed), then a
    service, as sampling.scheduler runs them."""
    import asyncio

    async def cycles():
        for _ in range(n):
            await pod.power.pause(pod.board.drain_ms)
            pod.service()

    asyncio.run(cycles())


def _accounted(pod, chip):
    """Every sample the chip produced reached the engine or was reported lost."""
    return pod.engine.n_imu - (chip.produced - pod.imu.samples)


def test_walking_recordings_give_steps_in_every_window_on_every_imu():
    ds3trc = board_variant(BOARDS[0], "imu", name="ds3trc", model="lsm6ds3trc", address=106)
    for path in BOARDS + (ds3trc,):
        pod, hw, chip, windows = _calibrated_pod(path)
        run_pod(pod, 21)
        assert_equal(len(windows), 4, path + " windows")
        for w in windows[1:]:
            assert 6 <= w.steps <= 10, (path, w)
            assert w.flags & S.FLAG_WALKING, (path, w)
            assert not w.flags & (S.FLAG_IMU_DEGRADED | S.FLAG_SAMPLES_LOST), (path, w)
        assert_equal(pod.counters.imu_lost, 0, "lost")
        assert_equal(pod.engine.n_imu, pod.imu.samples, "every drained sample processed")


def test_i2c_nacks_are_retried_the_window_marked_and_no_sample_lost():
    pod, hw, chip, windows = _calibrated_pod(BOARDS[0])
    run_pod(pod, 5)
    hw.i2c_bus.fail_per_mille = 50
    run_pod(pod, 10)
    hw.i2c_bus.fail_per_mille = 0
    run_pod(pod, 10)
    assert hw.i2c_bus.failures > 0
    assert pod.imu.dev.retries > 0
    flagged = [w.index for w in windows if w.flags & S.FLAG_IMU_DEGRADED]
    assert 1 in flagged and 2 in flagged, flagged
    assert windows[-1].flags & S.FLAG_IMU_DEGRADED == 0, windows[-1]
    assert_equal(pod.counters.imu_lost, 0, "retries lose nothing")
    assert_equal(_accounted(pod, chip), pod.imu.samples, "accounted")


def test_bus_failing_beyond_retries_keeps_the_pod_running():
    pod, hw, chip, windows = _calibrated_pod(BOARDS[1])
    hw.i2c_bus.fail_per_mille = 600  # some drains fail even after the retries
    run_pod(pod, 15)
    hw.i2c_bus.fail_per_mille = 0
    run_pod(pod, 10)
    assert pod.counters.imu_faults > 0
    assert len(windows) >= 4, len(windows)
    assert windows[1].flags & S.FLAG_IMU_DEGRADED
    assert windows[-1].flags & S.FLAG_IMU_DEGRADED == 0
    # failed drains leave the samples in the FIFO: later drains still deliver them
    assert pod.engine.n_imu >= chip.produced - 2 * pod.board.imu_rate_hz // 10, (
        pod.engine.n_imu, chip.produced)


def test_stuck_fifo_restarts_the_imu_and_reports_the_gap():
    for path in BOARDS:
        pod, hw, chip, windows = _calibrated_pod(path)
        started_us = hw.now_us
        run_pod(pod, 6)
        chip.stuck = True  # cleared by the driver's reset
        run_pod(pod, 4)
        run_pod(pod, 10)
        assert_equal(pod.counters.imu_restarts, 1, path + " restarts")
        assert chip.resets >= 2, chip.resets
        assert pod.counters.imu_lost >= 2 * pod.board.drain_ms * pod.board.imu_rate_hz // 1000, pod.counters.imu_lost
        hit = windows[1]
        assert hit.flags & S.FLAG_IMU_DEGRADED and hit.flags & S.FLAG_SAMPLES_LOST, hit
        assert windows[-1].flags & (S.FLAG_IMU_DEGRADED | S.FLAG_SAMPLES_LOST) == 0, windows[-1]
        # time stays right: samples processed + reported lost match the time elapsed
        elapsed = (hw.now_us - started_us) * pod.board.imu_rate_hz // 1000000
        assert abs(pod.engine.n_imu - elapsed) < pod.board.imu_rate_hz // 5, (
            pod.engine.n_imu, elapsed)


def test_ring_overrun_is_counted_and_reported_as_lost_samples():
    pod, hw, chip, windows = _calibrated_pod(BOARDS[0])
    run_pod(pod, 2)
    for _ in range(8):  # the processing task falls behind: drains without processing
        hw.run_for(100000)
        pod.drain_imu()
    assert pod.imu_ring.dropped > 0
    assert pod.pressure_ring.dropped > 0
    run_pod(pod, 8)
    assert_equal(pod.counters.imu_lost, pod.imu_ring.dropped, "ring drops reported")
    assert_equal(pod.counters.scans_missed, pod.pressure_ring.dropped, "scan drops reported")
    assert windows[0].flags & S.FLAG_SAMPLES_LOST
    assert_equal(pod.engine.n_imu, pod.imu.samples, "time kept: processed + lost = drained")


def test_a_busy_pod_counts_every_missed_scan_and_keeps_pressure_in_step():
    # MicroPython's ESP32 port queues each timer tick's callback (depth 8) for the main
    # task: a flash erase of 150 ms after each window (400 ms is the flash's worst case)
    # and a 30 ms garbage collection every 7th cycle hold the main task while ticks
    # arrive every 10 ms, so callbacks run late and ticks past the 8th are dropped
    for path in BOARDS:
        pod, hw, chip, windows = make_pod(path)

        def erase_after_window(summary, windows=windows, hw=hw):
            windows.append(summary)
            hw.blocked_us(150000)

        pod.sink = erase_after_window
        pod.start()
        cycles = 0
        end = hw.now_us + 30 * 1000000
        while hw.now_us < end:
            pod.service()
            cycles += 1
            if cycles % 7 == 0:
                hw.blocked_us(30000)
            hw.run_for(pod.board.drain_ms * 1000)
        ticks = pod.timer.fired
        pod.stop()
        eng = pod.engine
        assert hw.sched_dropped > 0, "the scheduler dropped ticks"
        assert_equal(eng.n_pressure, ticks, "%s: every tick a scan or a counted gap" % path)
        assert pod.counters.scans_missed >= hw.sched_dropped, (
            pod.counters.scans_missed, hw.sched_dropped)
        seconds_p = eng.n_pressure / pod.board.pressure_rate_hz
        seconds_imu = eng.n_imu / pod.board.imu_rate_hz
        # in step to within one drain (the IMU reaches the engine a drain at a time)
        assert abs(seconds_p - seconds_imu) <= pod.board.drain_ms / 1000, (
            path, seconds_p, seconds_imu)
        assert windows[0].flags & S.FLAG_SAMPLES_LOST, "the windows say so"


def test_scans_are_stamped_on_the_timer_schedule_not_when_the_callback_ran():
    from podfw.sampling.ring import STAMP_MASK

    pod, hw, chip, windows = make_pod(BOARDS[1])
    pod.start()
    hw.run_for(45000)
    hw.blocked_us(123000)  # 12 ticks: 8 queued (run late), 4 dropped
    hw.run_for(41000)
    ring = pod.pressure_ring
    period = pod.scans.period_us
    first = ring.oldest_stamp()
    rows = 0
    at = 0
    while ring.available():
        at += ring.oldest_gap()
        assert_equal((ring.oldest_stamp() - first) & STAMP_MASK, at * period, "row %d" % rows)
        at += 1
        rows += 1
        ring.release()
    assert_equal(at, pod.timer.fired, "rows and gaps cover every tick")
    assert_equal(rows, pod.timer.fired - 11, "the late tick read, 11 missed")


def test_shorted_zone_marks_windows_degraded_and_the_pod_keeps_counting_steps():
    pod, hw, chip, windows = _calibrated_pod(BOARDS[1])
    hw.stuck_full_scale = pod.board.zones[7].source  # hallux sensor shorted
    run_pod(pod, 20)
    assert pod.zones.stuck == 1 << 7
    for w in windows[1:]:
        assert w.flags & S.FLAG_PRESSURE_DEGRADED, w
        assert w.steps >= 6, w


def test_no_heap_allocation_per_sample():
    for path in BOARDS:
        sink = CountingSink()
        pod, hw, chip, windows = _calibrated_pod(path, sink=sink)
        run_pod(pod, 2)  # warm-up
        period = pod.board.drain_ms * 1000
        micropython.heap_lock()
        try:
            for _ in range(60):  # 6 s: several windows close under the lock
                hw.run_for(period)  # timer interrupts scan the zones
                pod.service()
        finally:
            micropython.heap_unlock()
        assert sink.count >= 1, sink.count
        assert pod.engine.n_imu > 6 * pod.board.imu_rate_hz - 50


def test_still_pod_goes_idle_light_sleeps_and_wakes_on_motion():
    path = board_variant(BOARDS[0], "power", idle_after_s=3, deep_sleep_after_min=60,
                         light_sleep=True)
    pod, hw, chip, windows = _calibrated_pod(path)
    _paused_cycles(pod, 20)
    assert_equal(pod.power.state, ACTIVE, "walking")
    assert_equal(hw.light_sleeps, 0, "awake for the zone scans while walking")
    chip.still = True
    run_pod(pod, 6)
    assert_equal(pod.power.state, IDLE, "still")
    scans = pod.zones._adcs[0].reads
    hw.reset_counters()
    before = pod.engine.n_imu
    _paused_cycles(pod, 20)
    assert_equal(hw.light_sleeps, 20, "light sleep between drains")
    assert_equal(hw.light_sleep_us, 20 * pod.board.drain_ms * 1000, "asleep between drains")
    assert_equal(pod.zones._adcs[0].reads, scans, "no scans while idle")
    assert pod.engine.n_imu - before >= 19 * pod.board.imu_rate_hz // 10, "IMU kept sampling"
    chip.still = False
    run_pod(pod, 2)
    assert_equal(pod.power.state, ACTIVE, "motion wakes")
    assert pod.zones._adcs[0].reads > scans, "scans resumed"
    assert pod.timer.callback is not None


def test_no_light_sleep_unless_the_board_allows_it_or_under_a_ble_connection():
    for allowed in (False, True):
        path = board_variant(BOARDS[1], "power", idle_after_s=1, deep_sleep_after_min=60,
                             light_sleep=allowed)
        pod, hw, chip, windows = _calibrated_pod(path)
        chip.still = True
        run_pod(pod, 3)
        assert_equal(pod.power.state, IDLE, "still")
        pod.power.radio_connected = True  # a phone syncing the log
        hw.reset_counters()
        _paused_cycles(pod, 10)
        assert_equal(hw.light_sleeps, 0, "connected: awake")
        pod.power.radio_connected = False
        _paused_cycles(pod, 10)
        assert_equal(hw.light_sleeps, 10 if allowed else 0, "light_sleep %s" % allowed)
        assert_equal(pod.counters.imu_lost, 0, "no sample lost")


def test_pod_without_zones_light_sleeps_between_drains_while_running():
    path = board_variant(imu_only_board(BOARDS[0]), "power", light_sleep=True)
    pod, hw, chip, windows = make_pod(path)
    pod.start()
    before = pod.engine.n_imu
    _paused_cycles(pod, 50)  # 5 s of walking
    assert_equal(pod.power.state, ACTIVE, "walking")
    assert_equal(hw.light_sleeps, 50, "asleep between drains")
    assert pod.engine.n_imu - before >= 49 * pod.board.imu_rate_hz // 10, "IMU kept sampling"
    assert_equal(pod.counters.imu_lost, 0, "no sample lost")
    assert len(windows) >= 1, windows


def test_deep_sleep_after_minutes_still_arms_wake_on_motion():
    path = board_variant(BOARDS[1], "power", idle_after_s=2, deep_sleep_after_min=1)
    pod, hw, chip, windows = _calibrated_pod(path)
    chip.still = True
    state = ACTIVE
    while state != DEEP_SLEEP:
        state = pod.service()
        hw.run_for(100000)
    n = len(windows)
    flushed = []
    pod.before_sleep = lambda: flushed.append(len(windows))
    assert_raises(DeepSleep, pod.sleep)
    assert_equal(len(windows), n + 1, "the last partial window was published")
    assert_equal(flushed, [n + 1], "then the log was told to write what it holds")
    assert_equal(hw.wake_pin, (pod.board.imu_int1_pin, 1), "wake pin")
    assert_equal(chip.regs[0x66], 0x07, "wake-on-motion armed on INT1")
    assert hw.now_us > 60 * 1000000


def test_deep_sleep_wakes_on_motion_on_every_imu():
    # the chip models raise INT1 only when wake on motion was armed as each datasheet
    # says (ICM-42688-P: INT_ASYNC_RESET cleared, the 1 ms / 1 ms / 50 ms waits)
    ds3trc = board_variant(BOARDS[0], "imu", name="wake-ds3trc", model="lsm6ds3trc",
                           address=106)
    for path in BOARDS + (ds3trc,):
        pod, hw, chip, windows = make_pod(path)
        pod.start()
        run_pod(pod, 1)
        chip.still = True
        assert_raises(DeepSleep, pod.sleep)
        pin, level = hw.wake_pin
        assert_equal(pin, pod.board.imu_int1_pin, "wake pin")
        hw.run_for(2000000)
        assert_equal(chip.int1(), 1 - level, "%s: INT1 quiet while the pod lies still" % path)
        chip.still = False
        hw.run_for(2000000)
        assert_equal(chip.int1(), level, "%s: INT1 wakes the pod on motion (%s)"
                     % (path, chip.wake_refused or "armed"))


def _run_scheduler(pod, hw, until_s):
    """Runs the pod under its asyncio Scheduler until the simulated clock reaches
    until_s; returns the Scheduler."""
    import asyncio

    from podfw.sampling.scheduler import Scheduler

    sched = Scheduler(pod)

    async def main():
        task = asyncio.create_task(sched.run())
        while hw.now_us < until_s * 1000000:
            await asyncio.sleep_ms(0)
        sched.stop()
        await task

    asyncio.run(main())
    return sched


def test_asyncio_scheduler_runs_the_pod():
    pod, hw, chip, windows = make_pod(BOARDS[0])
    sched = _run_scheduler(pod, hw, 11)
    assert_equal(len(windows), 2, "windows")
    assert sched.cycles >= 100, sched.cycles
    assert pod.led.lit or hw.pixel.writes >= 4


def test_a_failing_cycle_is_counted_and_the_scheduler_goes_on():
    pod, hw, chip, windows = make_pod(BOARDS[1])
    real_push = pod.engine.push_imu
    calls = [0]

    def flaky_push(*sample):
        calls[0] += 1
        if calls[0] == 300:
            raise ValueError("engine bug")
        real_push(*sample)

    pod.engine.push_imu = flaky_push
    _run_scheduler(pod, hw, 6)
    assert_equal(pod.counters.cycle_errors, 1, "errors")
    assert_equal(str(pod.counters.last_error), "engine bug", "last error")
    assert_equal(len(windows), 1, "windows after the error")


def test_calibration_mid_session_pauses_scans_and_reports_the_gap():
    pod, hw, chip, windows = _calibrated_pod(BOARDS[1])
    run_pod(pod, 3)
    scans = pod.engine.n_pressure
    hw.unloaded = True
    t0 = hw.now_us
    assert pod.calibrate()
    hw.unloaded = False
    assert pod.timer.callback is not None, "scans resumed"
    assert_equal(pod.pressure_ring.dropped, 0, "nothing overran meanwhile")
    missed = (hw.now_us - t0) // 10000
    pod.process()
    assert pod.engine.n_pressure - scans >= missed, (pod.engine.n_pressure, scans, missed)
    run_pod(pod, 8)
    assert windows[0].flags & S.FLAG_SAMPLES_LOST, windows[0]  # the calibration's gap
    assert windows[-1].flags & S.FLAG_SAMPLES_LOST == 0, windows[-1]


def test_raw_mode_never_idles():
    class Null:
        def write(self, buf):
            pass

    path = board_variant(BOARDS[0], "power", idle_after_s=1, deep_sleep_after_min=1)
    pod, hw, chip, windows = make_pod(path, raw_out=Null())
    pod.start()
    chip.still = True
    run_pod(pod, 70)
    assert_equal(pod.power.state, ACTIVE, "still streaming")
    assert_equal(hw.light_sleeps, 0, "no light sleep")


def test_pod_runs_across_the_microsecond_tick_wrap():
    from fwtest import assert_small_int

    pod, hw, chip, windows = make_pod(BOARDS[0])
    hw.now_us = (1 << 30) - 3000000  # ticks_us wraps 3 s into the run
    hw.unloaded = True
    pod.calibrate()
    hw.unloaded = False
    pod.start()
    run_pod(pod, 11)
    assert hw.ticks_us() < 9000000, "the clock wrapped"
    assert_equal(len(windows), 2, "windows")
    assert_equal(pod.counters.imu_lost, 0, "no false gaps at the wrap")
    for w in windows:
        assert w.flags & (S.FLAG_SAMPLES_LOST | S.FLAG_IMU_DEGRADED) == 0, w
        assert w.steps >= 6, w
    for i in range(pod.imu_ring.capacity):
        assert_small_int(pod.imu_ring.stamps[i], "stamp")
    assert_small_int(pod.imu._stamp, "next stamp")


def test_board_without_pressure_zones_runs_on_the_imu_alone():
    path = imu_only_board(BOARDS[0])
    pod, hw, chip, windows = make_pod(path, pressure_feed=None)
    assert pod.zones is None and pod.timer is None
    assert not pod.calibrate()  # nothing to calibrate
    pod.start()
    run_pod(pod, 21)
    assert_equal(len(windows), 4, "windows")
    for w in windows[1:]:
        assert w.flags & S.FLAG_NO_PRESSURE, w
        assert w.steps >= 6, w
