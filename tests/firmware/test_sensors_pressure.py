# Pressure zones (direct ADC pins and the CD74HC4067 multiplexer), calibration kept in
# flash, stuck-zone detection, and the battery gauge.
from array import array

import micropython

from fwtest import assert_equal
from podfw.drivers.battery import Battery, percent_from_mv
from podfw.drivers.pressure import PressureZones
from podfw.drivers.pressure_calibration import calibrate_gain, calibrate_zero
from podfw.sampling.ring import Ring
from sim_pod import BOARDS, make_hardware


def _zones(path):
    board, hw, chip = make_hardware(path)
    return board, hw, PressureZones(board, hw, hw.flash_dir)


def _scan_calibrated(zones, hw):
    ring = Ring(zones.n, 4, "H")
    zones.scan(ring, hw.now_us)
    out = array("h", bytes(2 * zones.n))
    zones.calibrate_row(ring.data, ring.oldest(), out)
    return out


def _recording_decinewton(board, hw):
    """What the zones should read now: the recording's force in 0.1 N."""
    i = hw.zone_feed.index_at(hw.now_us)
    out = []
    for z in board.zones:
        raw = hw.zone_arrays[z.source][i] - hw.zone_zero[z.source]
        out.append(raw * board.default_gain_q16 >> 16)
    return out


def test_each_zone_reads_its_own_sensor_direct_and_through_the_mux():
    for path in BOARDS:
        board, hw, zones = _zones(path)
        hw.unloaded = True
        calibrate_zero(zones, scans=5)
        hw.unloaded = False
        for t in (1.3, 2.7, 4.1):
            hw.now_us = int(t * 1000000)
            got = list(_scan_calibrated(zones, hw))
            assert_equal(got, _recording_decinewton(board, hw), path + " zones")
            assert max(got) > 300, got  # a foot on the insole: > 30 N somewhere


def test_mux_select_lines_follow_each_zone_channel():
    board, hw, zones = _zones(BOARDS[1])
    ring = Ring(zones.n, 2, "H")
    hw.stuck_full_scale = board.zones[5].source  # only channel 5 reads full scale
    zones.scan(ring, 0)
    row = list(ring.data[:zones.n])
    assert_equal([i for i, v in enumerate(row) if v == 65535], [5], "full-scale zone")


def test_zero_calibration_is_saved_and_survives_a_reboot():
    board, hw, zones = _zones(BOARDS[0])
    assert not zones.calibrated
    assert_equal(zones.calibration_note, "not calibrated", "note")
    hw.unloaded = True
    calibrate_zero(zones, scans=5)
    again = PressureZones(board, hw, hw.flash_dir)
    assert again.calibrated
    assert_equal(list(again.zero), [600 + 13 * i for i in range(8)], "zeros from flash")


def test_gain_calibration_with_a_known_load():
    board, hw, zones = _zones(BOARDS[0])
    hw.unloaded = True
    calibrate_zero(zones, scans=5)
    hw.unloaded = False
    hw.now_us = 2000000
    # a 20 kg reference weight on zone 0 replaces the recording there
    load_dn = 1962
    src = board.zones[0].source
    raw = hw.zone_zero[src] + 12000
    n = len(hw.zone_arrays[src])
    hw.zone_arrays[src] = array("H", raw.to_bytes(2, "little") * n)  # raw at every sample
    calibrate_gain(zones, 0, load_dn, scans=5)
    assert_equal(zones.gain_q16[0], load_dn * 65536 // 12000, "gain")
    assert_equal(_scan_calibrated(zones, hw)[0], load_dn - 1, "reads the load (floor)")
    again = PressureZones(board, hw, hw.flash_dir)
    assert_equal(again.gain_q16[0], zones.gain_q16[0], "gain from flash")


def test_corrupt_calibration_file_falls_back_to_board_defaults():
    board, hw, zones = _zones(BOARDS[0])
    with open(zones.path, "w") as f:
        f.write('{"zones": [[1, 2')
    again = PressureZones(board, hw, hw.flash_dir)
    assert not again.calibrated
    assert again.calibration_note.startswith(zones.path + ": not valid JSON"), again.calibration_note
    assert_equal(again.gain_q16[3], board.default_gain_q16, "default gain")
    with open(zones.path, "w") as f:
        f.write('{"zones": [[0, 99999, 64000]]}')
    again = PressureZones(board, hw, hw.flash_dir)
    assert_equal(again.calibration_note, zones.path + ": zone count does not match the board",
                 "note")


def test_zone_stuck_at_full_scale_is_dropped_after_two_seconds():
    board, hw, zones = _zones(BOARDS[1])
    stuck = board.zones[2]
    hw.stuck_full_scale = stuck.source
    ring = Ring(zones.n, 4, "H")
    out = array("h", bytes(2 * zones.n))
    for n in range(2 * board.pressure_rate_hz + 1):
        hw.now_us += 10000
        zones.scan(ring, hw.now_us)
        zones.calibrate_row(ring.data, ring.oldest(), out)
        ring.release()
        if n == 10:
            assert zones.stuck == 0  # briefly at full scale: clipped, still counted
            assert out[2] > 0
    assert_equal(zones.stuck, 1 << 2, "stuck bit")
    assert_equal(out[2], 0, "stuck zone left out")
    assert zones.take_clipped() > 0
    hw.stuck_full_scale = -1
    zones.scan(ring, hw.now_us)
    zones.calibrate_row(ring.data, ring.oldest(), out)
    assert_equal(zones.stuck, 0, "recovers when the reading comes back")


def test_scan_in_interrupt_context_allocates_nothing():
    for path in BOARDS:
        board, hw, zones = _zones(path)
        ring = Ring(zones.n, 8, "H")
        out = array("h", bytes(2 * zones.n))
        micropython.heap_lock()
        try:
            for _ in range(4):
                zones.scan(ring, 1)
                zones.calibrate_row(ring.data, ring.oldest(), out)
                ring.release()
        finally:
            micropython.heap_unlock()


def test_battery_percent_from_the_divider():
    board, hw, zones = _zones(BOARDS[0])
    bat = Battery(hw.adc(board.battery_pin), board.battery_divider_x1000)
    hw.battery_mv = 4200
    assert_equal(bat.percent(), 100, "full")
    hw.battery_mv = 3300
    assert_equal(bat.percent(), 0, "empty")
    hw.battery_mv = 3850
    assert_equal(bat.millivolts(), 3850, "divider undone")
    assert_equal(bat.percent(), 54, "mid")
    last = 101
    for mv in range(4300, 3200, -10):
        p = percent_from_mv(mv)
        assert p <= last, mv
        last = p
