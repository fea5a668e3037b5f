"""Pins as the boards label them: the wiring tables in docs/hardware.md are generated from
the board files, every pin is checked against what the chip and the board allow, and every
"Dn (GPIOm)" in the docs agrees with the board's MicroPython pins.csv (for the XIAO
ESP32-S3, MicroPython's own ports/esp32/boards/SEEED_XIAO_ESP32S3/pins.csv, copied
unchanged into boards/micropython/STRIDEPOD_XIAO_ESP32S3/)."""

import json
import subprocess
import sys

import pytest

from stridepod.devtools import firmware_tree, pinout

BOARDS = firmware_tree.list_boards()
DOCS = sorted((firmware_tree.ROOT / "docs").glob("*.md")) + [firmware_tree.ROOT / "README.md"]


def test_docs_wiring_tables_are_the_generated_ones_and_every_pin_checks_out():
    proc = subprocess.run([sys.executable, "-m", "stridepod", "dev", "pinout", "--check"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    tables = pinout.doc_tables(pinout.HARDWARE_DOC.read_text())
    assert set(tables) == {b.stem for b in BOARDS}, "one wiring table per board file"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_silkscreen_labels_in_the_docs_match_pins_csv(doc):
    assert pinout.label_mentions_wrong(doc.read_text()) == []


def test_xiao_mux_enable_is_d6_as_the_silkscreen_says():
    xiao = firmware_tree.BOARDS / "seeed-xiao-esp32s3.json"
    labels = pinout.labels_from_pins_csv(
        pinout.MICROPYTHON_BOARDS / "STRIDEPOD_XIAO_ESP32S3" / "pins.csv")
    assert (labels[43], labels[44]) == ("D6", "D7")
    row = next(r for r in pinout.wiring_rows(xiao) if r.key == "pressure.mux.enable_pin")
    assert (row.board_pin, row.gpio) == ("D6", 43)


def test_devkitc_led_is_driven_on_both_revisions_pins():
    devkit = firmware_tree.BOARDS / "esp32-s3-devkitc-1.json"
    leds = {r.gpio: r.note for r in pinout.wiring_rows(devkit) if r.part == "status LED"}
    assert leds == {38: "RGB LED on v1.1 boards", 48: "RGB LED on v1.0 boards"}


@pytest.mark.parametrize("board", BOARDS, ids=lambda p: p.stem)
def test_every_breakout_has_power_and_ground(board):
    rows = pinout.wiring_rows(board)
    parts = {r.part for r in rows if "breakout" in r.part}
    assert parts, "a pod has at least an IMU breakout"
    for part in parts:
        pins = {r.part_pin: r.board_pin for r in rows if r.part == part}
        header = pinout.header_of(pinout.load(board), board)
        assert pins.get("VCC") == header.power_3v3 and pins.get("GND") == header.ground, part


@pytest.mark.parametrize(("section", "change", "complaint"), [
    ("imu", {"int1_pin": 40}, "imu.int1_pin GPIO40 cannot wake the ESP32-S3 from deep sleep"),
    ("battery", {"pin": 11}, "battery.pin GPIO11 is not an ADC1 pin of the ESP32-S3"),
    ("i2c", {"sda": 19}, "i2c.sda GPIO19 is taken (USB D-)"),
    ("i2c", {"scl": 13}, "imu.int1_pin GPIO13 is also i2c.scl"),
    ("i2c", {"sda": 0}, "i2c.sda GPIO0 is a strapping pin"),
    ("imu", {"int1_pin": 43}, "imu.int1_pin GPIO43 is taken (UART0 TX"),
])
def test_pin_mistakes_are_named(tmp_path, section, change, complaint):
    raw = json.loads((firmware_tree.BOARDS / "esp32-s3-devkitc-1.json").read_text())
    raw[section].update(change)
    path = tmp_path / "mistake.json"
    path.write_text(json.dumps(raw))
    problems = pinout.check_board(path)
    assert any(complaint in p for p in problems), problems


def test_a_wrong_label_in_prose_is_caught():
    assert pinout.label_mentions_wrong("enable on D7 (GPIO43), select on D2 (GPIO3)") == [
        "D7 (GPIO43)"]
