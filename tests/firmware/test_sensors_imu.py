# IMU drivers against the register-level chip models: identity check, range and rate
# configuration, FIFO burst drain with per-sample timestamps, overflow, no allocation.
import micropython

from fwtest import assert_equal, assert_raises
from podfw.drivers.imu import ImuError, open_imu
from podfw.sampling.ring import STAMP_MASK, Ring
from sim_imu import expected_rows
from sim_pod import BOARDS, board_variant, make_hardware

# the two shipped boards, and the DevKitC with an LSM6DS3TR-C breakout instead
DS3TRC = board_variant(BOARDS[0], "imu", name="ds3trc", model="lsm6ds3trc", address=106)
IMU_BOARDS = BOARDS + (DS3TRC,)


def _started(board_path, **kw):
    board, hw, chip = make_hardware(board_path, pressure_feed=None, **kw)
    imu = open_imu(board, hw.i2c_bus, hw)
    imu.start()
    return board, hw, chip, imu


def _rows(ring):
    rows = []
    while ring.available():
        o = ring.oldest()
        rows.append(tuple(ring.data[o:o + 6]))
        ring.release()
    return rows


def test_wrong_who_am_i_names_the_board_file():
    for path, wrong in ((BOARDS[0], 0x6A), (BOARDS[1], 0x6C), (DS3TRC, 0x6C)):
        board, hw, chip = make_hardware(path, pressure_feed=None, who_am_i=wrong)
        imu = open_imu(board, hw.i2c_bus, hw)
        exc = assert_raises(ImuError, imu.start)
        msg = str(exc)
        assert msg.startswith(path + ": imu.model " + board.imu_model), msg
        assert "read 0x%02x" % wrong in msg, msg


def test_drain_delivers_the_recording_at_16g_2000dps_in_order():
    for path in IMU_BOARDS:
        board, hw, chip, imu = _started(path)
        ring = Ring(6, 256)
        rows = []
        for _ in range(10):  # 1 s in 100 ms drains
            hw.run_for(100000)
            imu.drain(ring, hw.now_us)
            rows.extend(_rows(ring))
        assert_equal(len(rows), chip.produced, path + " samples")
        assert chip.produced >= board.imu_rate_hz - 1, chip.produced
        assert_equal(rows, expected_rows(chip, 0, len(rows)), path + " values")
        # the sim serves values at ±16 g / ±2000 dps only if the driver selected them,
        # so the recording's 1 g of gravity must show as the chip's LSB per g
        mag = max(abs(r[0]) + abs(r[1]) + abs(r[2]) for r in rows[:20])
        assert 0.8 * imu.ACC_LSB_PER_G < mag < 2 * imu.ACC_LSB_PER_G, mag


def test_per_sample_timestamps_follow_the_odr_and_end_at_the_drain():
    board, hw, chip, imu = _started(BOARDS[1])
    ring = Ring(6, 64)
    imu.drain(ring, hw.now_us)  # what accumulated during the gyroscope start-up
    ring.clear()
    hw.run_for(100000)
    now = hw.now_us
    n = imu.drain(ring, now)
    assert n == 20, n
    stamps = []
    while ring.available():
        stamps.append(ring.oldest_stamp())
        ring.release()
    assert_equal(stamps[-1], now, "newest sample stamped at the drain")
    for i in range(1, len(stamps)):
        assert_equal((stamps[i] - stamps[i - 1]) & STAMP_MASK, 5000, "200 Hz spacing")


def test_fifo_overflow_is_reported_not_hidden():
    for path in IMU_BOARDS:
        board, hw, chip, imu = _started(path)
        ring = Ring(6, 1024)  # more than either FIFO holds (at most 511 samples)
        hw.run_for(10 * 1000000)  # far more than either FIFO holds
        got = imu.drain(ring, hw.now_us)
        assert imu.fifo_overflowed, path
        assert_equal(imu.overflows, 1, "overflow count")
        assert got < chip.produced, (got, chip.produced)
        # the newest samples survive: the last one delivered is the last one produced
        rows = _rows(ring)
        assert_equal(rows[-1], expected_rows(chip, chip.produced - 1, 1)[0], "newest sample")


def test_burst_drain_allocates_nothing():
    for path in IMU_BOARDS:
        board, hw, chip, imu = _started(path)
        ring = Ring(6, 256)
        hw.run_for(100000)
        imu.drain(ring, hw.now_us)  # warm-up
        ring.clear()
        hw.run_for(100000)
        chip.catch_up()  # the model's work, outside the lock
        micropython.heap_lock()
        try:
            got = imu.drain(ring, hw.now_us)
        finally:
            micropython.heap_unlock()
        assert got >= 19, got


def test_transient_nacks_are_retried_and_counted():
    board, hw, chip, imu = _started(BOARDS[0])
    hw.i2c_bus.fail_per_mille = 200
    ring = Ring(6, 512)  # the 2.1 s below at 208 Hz: 437 samples
    total = 0
    for _ in range(20):
        hw.run_for(100000)
        try:
            total += imu.drain(ring, hw.now_us)
        except OSError:
            pass  # four failures in a row: the pod counts it; samples stay in the FIFO
    hw.i2c_bus.fail_per_mille = 0
    hw.run_for(100000)
    total += imu.drain(ring, hw.now_us)
    assert imu.dev.retries > 10, imu.dev.retries
    assert_equal(total, chip.produced, "every sample arrives despite NACKs")
    assert_equal(_rows(ring), expected_rows(chip, 0, total), "in order, none doubled")


def test_wake_on_motion_is_configured_from_the_board_threshold():
    board, hw, chip, imu = _started(BOARDS[0])
    imu.enable_wake(board.wake_threshold_mg)
    assert_equal(chip.regs[0x5E], 0x20, "INT1_WU routed")
    assert_equal(chip.regs[0x5B], 250 * 64 // 16000, "wake threshold (FS/64 LSB)")
    assert_equal(chip.regs[0x58], 0x80, "interrupts enabled")
    assert_equal(chip.regs[0x56] & 0x01, 0x01, "latched: INT1 stays high for the wake")
    board, hw, chip, imu = _started(DS3TRC)
    imu.enable_wake(board.wake_threshold_mg)
    assert_equal(chip.regs[0x5E], 0x20, "INT1_WU routed")
    assert_equal(chip.regs[0x58], 0x81, "interrupts enabled, latched")
    assert_equal(chip.regs[0x0A], 0x00, "FIFO bypassed")
    board, hw, chip, imu = _started(BOARDS[1])
    imu.enable_wake(board.wake_threshold_mg)
    assert_equal(chip.regs[0x66], 0x07, "WOM X/Y/Z on INT1")
    assert_equal(chip.regs[0x57], 0x05, "WOM mode")
    assert_equal(chip.regs[0x14], 0x07, "INT1 latched, push-pull, active high")
    assert_equal(chip.regs[0x64] & 0x10, 0, "INT_ASYNC_RESET cleared: INT1 works")


def test_fifo_capacity_is_the_datasheets():
    # LSM6DS3TR-C: 4 KB = 2048 16-bit words (DS12352: DIFF_FIFO counts at most 2047),
    # 682 three-word records; ICM-42688-P: 2 KB of 16-byte packets. The chip models hold
    # exactly that much.
    from sim_imu import SimICM42688P, SimLSM6DS3TRC

    for path, model, records in ((DS3TRC, SimLSM6DS3TRC, 682), (BOARDS[1], SimICM42688P, 128)):
        board, hw, chip, imu = _started(path)
        assert_equal(imu.FIFO_RECORDS, records, "%s FIFO records" % imu.NAME)
        assert_equal(model.FIFO_BYTES // model.RECORD, records, "%s model" % imu.NAME)


def test_damaged_fifo_level_never_reads_past_the_fifo():
    board, hw, chip, imu = _started(BOARDS[1])
    ring = Ring(6, 256)
    real_read = chip.read

    def glitch(reg, buf):  # the status burst comes back as all ones once
        real_read(reg, buf)
        if reg == 0x2D:
            for i in range(len(buf)):
                buf[i] = 0xFF
            chip.read = real_read

    chip.read = glitch
    hw.run_for(100000)
    before = hw.i2c_bus.transactions
    got = imu.drain(ring, hw.now_us)
    assert got <= 128, got
    assert hw.i2c_bus.transactions - before <= 1 + 8, "bursts of at most the FIFO size"
    hw.run_for(100000)
    imu.drain(ring, hw.now_us)  # and the next drain is normal again
    assert imu.bad_packets > 0
