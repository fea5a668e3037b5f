"""Wiring tables generated from the board files: every connection a builder solders, with
the pin as the board's silkscreen names it, the GPIO, and the board-file key that uses it.

Sources, one each:
- the board file (boards/<name>.json): which GPIO does what;
- the board's header labels: the `pins.csv` of its MicroPython board definition
  (boards/micropython/<BOARD>/pins.csv, MicroPython's own file for the board, e.g.
  ports/esp32/boards/SEEED_XIAO_ESP32S3/pins.csv: D6 is GPIO43), or, for a board whose
  silkscreen prints GPIO numbers (Espressif's DevKitC-1), the header list of its user guide;
- the chips' datasheets for what a GPIO can do (ADC1, deep-sleep wake, reserved pins);
- the parts' pinouts (IMU breakouts, the CD74HC4067) for power, ground and straps.

`wiring_table(board_path)` is the table docs/hardware.md carries for that board
(`stridepod dev pinout --write` puts it there; a test fails when the two differ) and
`check_board(board_path)` lists what is wrong with a board file's pins.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from stridepod.devtools.firmware_tree import BOARDS, ROOT

MICROPYTHON_BOARDS = BOARDS / "micropython"
HARDWARE_DOC = ROOT / "docs" / "hardware.md"
FSR_PULLDOWN = "10 kΩ"
I2C_PULLUP = "4.7 kΩ"
BATTERY_DIVIDER = "100 kΩ + 100 kΩ"


@dataclass(frozen=True)
class Chip:
    """What the chip's datasheet allows per GPIO."""

    name: str
    adc1: frozenset[int]  # ADC1 channels (ADC2 is unusable while the radio is on)
    wake: frozenset[int]  # GPIOs that can wake the chip from deep sleep
    reserved: dict[int, str]  # GPIOs a pod must not use, and why
    strapping: frozenset[int]  # sampled at reset: an external pull could change the boot


# ESP32-S3 datasheet (Espressif, v1.9): ADC1 on GPIO1-10; RTC GPIO0-21 wake from deep
# sleep; GPIO19/20 USB; GPIO26-32 the SPI flash, GPIO33-37 the octal flash/PSRAM of
# modules that have one; strapping pins GPIO0 (boot mode), 45 (flash voltage), 46 (boot
# mode). GPIO3 selects the JTAG source only when an eFuse (STRAP_JTAG_SEL) is burnt, which
# stock chips are not: it is an ordinary pin here.
ESP32S3 = Chip(
    "ESP32-S3",
    adc1=frozenset(range(1, 11)),
    wake=frozenset(range(0, 22)),
    reserved={19: "USB D-", 20: "USB D+",
              **{n: "SPI flash" for n in range(26, 33)},
              **{n: "octal flash/PSRAM on modules that have one" for n in range(33, 38)}},
    strapping=frozenset({0, 45, 46}),
)
# ESP32-C3 datasheet (Espressif, v1.6): ADC1 on GPIO0-4; deep-sleep wake on GPIO0-5;
# GPIO12-17 the SPI flash, GPIO18/19 USB; strapping pins GPIO2, 8, 9.
ESP32C3 = Chip(
    "ESP32-C3",
    adc1=frozenset(range(0, 5)),
    wake=frozenset(range(0, 6)),
    reserved={**{n: "SPI flash" for n in range(12, 18)}, 18: "USB D-", 19: "USB D+"},
    strapping=frozenset({2, 8, 9}),
)
CHIPS = {"esp32s3": ESP32S3, "esp32c3": ESP32C3}


@dataclass(frozen=True)
class Header:
    """A board's pin header as its silkscreen labels it."""

    labels: dict[int, str]  # GPIO -> label
    power_3v3: str
    ground: str
    battery: str  # where the LiPo's + is reached
    reserved: dict[int, str] = field(default_factory=dict)  # the board's own use of GPIOs
    on_board_led: dict[int, str] = field(default_factory=dict)  # GPIO -> which revision


# ESP32-S3-DevKitC-1 user guide (Espressif, v1.1 and v1.0): the headers print GPIO
# numbers; J1: 3V3 3V3 RST 4 5 6 7 15 16 17 18 8 3 46 9 10 11 12 13 14 5V G,
# J3: G TX RX 1 2 42 41 40 39 38 37 36 35 0 45 48 47 21 20 19 G G. TX/RX (GPIO43/44)
# carry the USB-to-UART bridge and the REPL of its MicroPython image. The RGB LED is on
# GPIO38 on v1.1, GPIO48 on v1.0.
_DEVKITC1_GPIOS = (4, 5, 6, 7, 15, 16, 17, 18, 8, 3, 46, 9, 10, 11, 12, 13, 14,
                   1, 2, 42, 41, 40, 39, 38, 37, 36, 35, 0, 45, 48, 47, 21, 20, 19)
HEADERS_BY_GPIO_NUMBER = {
    "STRIDEPOD_ESP32S3_DEVKITC1": Header(
        labels={**{n: str(n) for n in _DEVKITC1_GPIOS}, 43: "TX", 44: "RX"},
        power_3v3="3V3", ground="G", battery="the charger board's output (see Battery)",
        reserved={43: "UART0 TX: USB-to-UART bridge and REPL",
                  44: "UART0 RX: USB-to-UART bridge and REPL"},
        on_board_led={38: "RGB LED on v1.1 boards", 48: "RGB LED on v1.0 boards"},
    ),
}
# boards whose MicroPython definition has a pins.csv: the rest of what the header says
HEADER_EXTRAS = {
    "STRIDEPOD_XIAO_ESP32S3": Header(labels={}, power_3v3="3V3", ground="GND",
                                     battery="BAT+ pad (back of the board)",
                                     on_board_led={21: "user LED (yellow)"}),
    # the XIAO ESP32-C3 has no user LED (its only LED shows the charger)
    "STRIDEPOD_XIAO_ESP32C3": Header(labels={}, power_3v3="3V3", ground="GND",
                                     battery="BAT+ pad (back of the board)"),
}

# IMU breakouts: the strap pin that sets the I2C address, the level for each address,
# and the other pin that must be tied for I2C mode (datasheets: ST DS12140 / DS12352,
# TDK DS-000347).
_ST_STRAP = ("SDO/SA0", {0x6A: "GND", 0x6B: "3V3"})
IMU_PARTS = {
    "lsm6dso": ("LSM6DSO breakout", _ST_STRAP),
    "lsm6ds3trc": ("LSM6DS3TR-C breakout", _ST_STRAP),
    "icm42688p": ("ICM-42688-P breakout", ("AP_AD0", {0x68: "GND", 0x69: "3V3"})),
}
MUX_PARTS = {"cd74hc4067": "CD74HC4067 breakout"}


@dataclass(frozen=True)
class Row:
    part: str
    part_pin: str
    board_pin: str  # the silkscreen label, a power pin, or "on board"
    gpio: int | None
    key: str  # the board-file key, "" for power, ground and straps
    note: str = ""


class PinoutError(ValueError):
    pass


def load(board_path: Path) -> dict:
    return json.loads(board_path.read_text())


def board_definition(board: dict, board_path: Path) -> str:
    name = board.get("micropython_board")
    if not name:
        raise PinoutError(f"{board_path.name}: no micropython_board (the board definition "
                          "in boards/micropython/ whose pins.csv names its pins)")
    return name


def header_of(board: dict, board_path: Path) -> Header:
    name = board_definition(board, board_path)
    if name in HEADERS_BY_GPIO_NUMBER:
        return HEADERS_BY_GPIO_NUMBER[name]
    pins_csv = MICROPYTHON_BOARDS / name / "pins.csv"
    if not pins_csv.is_file() or name not in HEADER_EXTRAS:
        raise PinoutError(f"{board_path.name}: no header labels for {name} "
                          f"(add {pins_csv.relative_to(ROOT)} and its HEADER_EXTRAS)")
    extras = HEADER_EXTRAS[name]
    return Header(labels_from_pins_csv(pins_csv), extras.power_3v3, extras.ground,
                  extras.battery, extras.reserved, extras.on_board_led)


def labels_from_pins_csv(path: Path) -> dict[int, str]:
    """GPIO -> silkscreen label from a MicroPython pins.csv ("D6,GPIO43"): the D-numbered
    name when a GPIO has several (A0 is D0's analog name), else the first one."""
    labels: dict[int, str] = {}
    with path.open(newline="") as f:
        for row in csv.reader(f):
            if len(row) < 2 or not row[1].startswith("GPIO"):
                continue
            gpio = int(row[1][4:])
            name = row[0].strip()
            if gpio not in labels or (re.fullmatch(r"D\d+", name)
                                      and not re.fullmatch(r"D\d+", labels[gpio])):
                labels[gpio] = name
    return labels


def _label(header: Header, gpio: int) -> str:
    label = header.labels.get(gpio)
    if gpio in header.on_board_led and (label is None or not re.fullmatch(r"D?\d+", label)):
        return "on board"  # an LED wired on the board, not a header pin
    return label or f"(GPIO{gpio} is not on the header)"


def _imu_rows(board: dict, header: Header) -> list[Row]:
    imu, i2c = board["imu"], board["i2c"]
    part, (strap_pin, levels) = IMU_PARTS[imu["model"]]
    strap = levels.get(imu["address"], f"(no strap gives 0x{imu['address']:02x})")
    return [
        Row(part, "VCC", header.power_3v3, None, "", "3.3 V"),
        Row(part, "GND", header.ground, None, ""),
        Row(part, "SDA", _label(header, i2c["sda"]), i2c["sda"], "i2c.sda",
            f"{I2C_PULLUP} pull-up to 3V3 unless the breakout has one"),
        Row(part, "SCL", _label(header, i2c["scl"]), i2c["scl"], "i2c.scl",
            f"{I2C_PULLUP} pull-up to 3V3 unless the breakout has one"),
        Row(part, "INT1", _label(header, imu["int1_pin"]), imu["int1_pin"], "imu.int1_pin",
            "wakes the pod from deep sleep"),
        Row(part, strap_pin, strap, None, "", f"I2C address 0x{imu['address']:02x}"),
        Row(part, "CS", header.power_3v3, None, "", "high: I2C mode"),
    ]


def _zone_rows(board: dict, header: Header) -> list[Row]:
    pressure = board.get("pressure")
    if not pressure:
        return []
    rows = []
    mux = pressure.get("mux")
    if mux:
        part = MUX_PARTS[mux["model"]]
        rows += [
            Row(part, "VCC", header.power_3v3, None, ""),
            Row(part, "GND", header.ground, None, ""),
            Row(part, "SIG", _label(header, mux["adc_pin"]), mux["adc_pin"],
                "pressure.mux.adc_pin", "ADC1"),
        ]
        for i, gpio in enumerate(mux["select_pins"]):
            rows.append(Row(part, f"S{i}", _label(header, gpio), gpio,
                            f"pressure.mux.select_pins[{i}]"))
        enable = mux.get("enable_pin")
        if enable is None:
            rows.append(Row(part, "EN", header.ground, None, "", "always on (active low)"))
        else:
            rows.append(Row(part, "EN", _label(header, enable), enable,
                            "pressure.mux.enable_pin", "active low"))
    for i, zone in enumerate(pressure["zones"]):
        part = f"FSR {zone['name']} ({zone['x']}, {zone['y']}) mm"
        if mux:
            rows.append(Row(part, "divider", f"CD74HC4067 C{zone['channel']}", None,
                            f"pressure.zones[{i}].channel",
                            f"3V3 - FSR - C{zone['channel']} - {FSR_PULLDOWN} - GND"))
        else:
            rows.append(Row(part, "divider", _label(header, zone["pin"]), zone["pin"],
                            f"pressure.zones[{i}].pin",
                            f"3V3 - FSR - pin - {FSR_PULLDOWN} - GND; ADC1"))
    return rows


def _power_rows(board: dict, header: Header) -> list[Row]:
    battery = board["battery"]
    led = board["status_led"]
    rows = [Row("battery divider", "top", header.battery, None, "",
                f"{BATTERY_DIVIDER}: VBAT - 100 kΩ - pin - 100 kΩ - GND, 100 nF to GND"),
            Row("battery divider", "middle", _label(header, battery["pin"]), battery["pin"],
                "battery.pin", "ADC1"),
            Row("battery divider", "bottom", header.ground, None, "")]
    pins = led.get("pins", [led.get("pin")])
    for i, gpio in enumerate(pins):
        key = "status_led.pin" if "pin" in led else f"status_led.pins[{i}]"
        note = header.on_board_led.get(gpio, "external LED + resistor")
        rows.append(Row("status LED", led["kind"], _label(header, gpio), gpio, key, note))
    return rows


def wiring_rows(board_path: Path) -> list[Row]:
    board = load(board_path)
    header = header_of(board, board_path)
    return _imu_rows(board, header) + _zone_rows(board, header) + _power_rows(board, header)


def wiring_table(board_path: Path) -> str:
    """The markdown table of every connection of the board file's pod."""
    lines = ["| part | part pin | board pin | GPIO | board file | note |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in wiring_rows(board_path):
        gpio = f"GPIO{r.gpio}" if r.gpio is not None else ""
        key = f"`{r.key}`" if r.key else ""
        lines.append(f"| {r.part} | {r.part_pin} | {r.board_pin} | {gpio} | {key} | {r.note} |")
    return "\n".join(lines) + "\n"


def check_board(board_path: Path) -> list[str]:
    """What is wrong with the board file's pins, one line each (empty when nothing)."""
    board = load(board_path)
    chip = CHIPS.get(str(board.get("chip", "")).lower())
    if chip is None:
        return [f"{board_path.name}: no pin facts for chip {board.get('chip')!r}"]
    header = header_of(board, board_path)
    problems = []
    seen: dict[int, str] = {}
    for r in wiring_rows(board_path):
        if r.gpio is None:
            continue
        where = f"{board_path.name}: {r.key} GPIO{r.gpio}"
        if r.gpio in seen:
            problems.append(f"{where} is also {seen[r.gpio]}")
        seen[r.gpio] = r.key
        why = chip.reserved.get(r.gpio) or header.reserved.get(r.gpio)
        if why:
            problems.append(f"{where} is taken ({why})")
        if r.gpio not in header.labels and r.gpio not in header.on_board_led:
            problems.append(f"{where} is not on the board's header")
        if "ADC1" in r.note and r.gpio not in chip.adc1:
            problems.append(f"{where} is not an ADC1 pin of the {chip.name}")
        if r.key == "imu.int1_pin" and r.gpio not in chip.wake:
            problems.append(f"{where} cannot wake the {chip.name} from deep sleep")
        driven_from_outside = r.key.startswith(("i2c.", "imu.", "battery", "pressure.zones",
                                                "pressure.mux.adc"))
        if r.gpio in chip.strapping and driven_from_outside:
            problems.append(f"{where} is a strapping pin: what drives it could change the boot")
    return problems


_WIRING_BLOCK = re.compile(r"(<!-- wiring: (?P<board>[\w.-]+) -->\n)(?P<table>.*?)(<!-- /wiring -->)",
                    re.DOTALL)


def doc_tables(text: str) -> dict[str, str]:
    """board file stem -> the table between its wiring markers in a document."""
    return {m.group("board"): m.group("table") for m in _WIRING_BLOCK.finditer(text)}


def rewrite_doc(text: str) -> str:
    """The document with every wiring block regenerated from its board file."""
    def table(m: re.Match) -> str:
        board_path = BOARDS / f"{m.group('board')}.json"
        return m.group(1) + wiring_table(board_path) + m.group(4)

    return _WIRING_BLOCK.sub(table, text)


# "D7 (GPIO43)": a silkscreen label with its GPIO, as docs write XIAO pins
_LABEL_MENTION = re.compile(r"\b(D\d+|A\d+) \(GPIO(\d+)\)")


def label_mentions_wrong(text: str) -> list[str]:
    """Mentions like "D7 (GPIO43)" that no board definition's pins.csv agrees with."""
    known: set[tuple[str, int]] = set()
    for pins_csv in MICROPYTHON_BOARDS.glob("*/pins.csv"):
        with pins_csv.open(newline="") as f:
            known |= {(row[0].strip(), int(row[1][4:])) for row in csv.reader(f)
                      if len(row) >= 2 and row[1].startswith("GPIO")}
    return [m.group(0) for m in _LABEL_MENTION.finditer(text)
            if (m.group(1), int(m.group(2))) not in known]
