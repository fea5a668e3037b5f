# Board files: both shipped boards load; every mistake is one error naming the file.
import json

from fwtest import assert_equal, assert_raises
from podfw import board as boardfile
from sim_pod import BOARDS

BAD = "/tmp/stridepod-bad-board.json"


def _variant(change):
    with open(BOARDS[0]) as f:
        raw = json.load(f)
    change(raw)
    with open(BAD, "w") as f:
        json.dump(raw, f)
    return assert_raises(boardfile.BoardError, boardfile.load, BAD)


def test_shipped_boards_load_with_eight_zones_and_positions():
    direct = boardfile.load(BOARDS[0])
    muxed = boardfile.load(BOARDS[1])
    assert_equal(direct.imu_model, "lsm6dso", "devkit imu")
    assert_equal(muxed.imu_model, "icm42688p", "xiao imu")
    assert_equal(len(direct.zones), 8, "zones")
    assert_equal(len(muxed.zones), 8, "zones")
    assert direct.mux is None
    assert_equal(muxed.mux["select_pins"], [3, 4, 7, 8], "mux select pins")
    assert_equal(direct.zone_xy()[0], (-12, -95), "heel position")
    # heel zones are behind the toe zones on both boards
    for b in (direct, muxed):
        ys = {z.name: z.y for z in b.zones}
        assert ys["heel_medial"] < ys["met1"] < ys["hallux"]


def test_unknown_imu_model_names_file_and_choices():
    exc = _variant(lambda raw: raw["imu"].update(model="mpu9250"))
    msg = str(exc)
    assert msg.startswith(BAD + ": imu.model 'mpu9250' is not one of lsm6dso, lsm6ds3trc, icm42688p"), msg


def test_missing_section_and_out_of_range_values_are_named():
    exc = _variant(lambda raw: raw.pop("battery"))
    assert_equal(str(exc), BAD + ": missing battery", "missing section")
    exc = _variant(lambda raw: raw["imu"].update(address=300))
    assert_equal(str(exc), BAD + ": imu.address=300 is outside 8..119", "address")
    exc = _variant(lambda raw: raw["i2c"].update(sda="17"))
    assert_equal(str(exc), BAD + ": i2c.sda must be an integer, got '17'", "type")


def test_two_zones_on_one_pin_is_an_error():
    def dup(raw):
        raw["pressure"]["zones"][1]["pin"] = raw["pressure"]["zones"][0]["pin"]

    exc = _variant(dup)
    assert_equal(str(exc), BAD + ": pressure.zones[1].pin 1 is used by another zone", "dup")


def test_drain_period_that_overflows_the_fifo_is_refused():
    exc = _variant(lambda raw: raw["power"].update(drain_ms=1000))
    assert "overflows the IMU FIFO" in str(exc), str(exc)


def test_broken_json_and_missing_file():
    with open(BAD, "w") as f:
        f.write('{"name": "x",')
    exc = assert_raises(boardfile.BoardError, boardfile.load, BAD)
    assert str(exc).startswith(BAD + ": not valid JSON"), str(exc)
    exc = assert_raises(boardfile.BoardError, boardfile.load, "/tmp/no-such-board.json")
    assert_equal(str(exc), "/tmp/no-such-board.json: cannot read the board file", "missing")


def test_validation_code_is_unloaded_after_reading_the_board():
    import sys

    import podfw

    boardfile.load(BOARDS[0])
    assert "podfw._boardcheck" not in sys.modules
    assert not hasattr(podfw, "_boardcheck")
    boardfile.load(BOARDS[1])  # and loads again when needed


def test_devkitc_status_led_lights_on_both_revisions_pins():
    # ESP32-S3-DevKitC-1: the RGB LED is on GPIO48 on v1.0 boards, GPIO38 on v1.1
    from sim_pod import make_pod

    pod, hw, chip, windows = make_pod(BOARDS[0])
    assert_equal(pod.board.led_pins, [38, 48], "LED pins")
    lit = []
    pod.led.set(True)
    for pixel in pod.led._pixels:
        lit.append(pixel.colour != (0, 0, 0))
    assert_equal(lit, [True, True], "both pixels lit")
    exc = _variant(lambda raw: raw["status_led"].update(pins=[38, 48, 1]))
    assert_equal(str(exc), BAD + ": status_led.pins needs 1 or 2 pins, got 3", "three pins")
