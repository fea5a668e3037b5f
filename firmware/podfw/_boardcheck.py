# Validation of a board file (see podfw.board). Needed once at boot: podfw.board.load
# imports it, fills a Board, and unloads it again so its code does not stay on the heap.
import json

from micropython import const

from podfw.board import Board, BoardError, Zone
from podfw.gait.config import FOOT_PLACEMENTS

IMU_MODELS = ("lsm6dso", "lsm6ds3trc", "icm42688p")
MUX_MODELS = ("cd74hc4067",)
LED_KINDS = ("active_high", "active_low", "ws2812")
MUX_CHANNELS = const(16)
# q16 gain of 0.1 N per ADC count; the bound keeps (raw * gain) inside a 31-bit small int
MAX_GAIN_Q16 = const(16000)


def parse(path):
    """Reads and validates a board file; raises BoardError naming the file."""
    try:
        with open(path) as f:
            raw = json.load(f)
    except OSError:
        raise BoardError("%s: cannot read the board file" % path) from None
    except ValueError as exc:
        raise BoardError("%s: not valid JSON (%s)" % (path, exc)) from None
    if not isinstance(raw, dict):
        raise BoardError("%s: expected a JSON object" % path)
    b = Board()
    b.path = path
    b.name = _get(path, raw, "name", str)
    b.chip = _get(path, raw, "chip", str)
    b.placement = _choice(path, raw, "placement", FOOT_PLACEMENTS)

    i2c = _get(path, raw, "i2c", dict)
    b.i2c_id = _int(path, i2c, "i2c.id", "id", 0, 1)
    b.i2c_sda = _pin(path, i2c, "i2c.sda", "sda")
    b.i2c_scl = _pin(path, i2c, "i2c.scl", "scl")
    b.i2c_freq = _int(path, i2c, "i2c.freq", "freq", 100000, 1000000)

    imu = _get(path, raw, "imu", dict)
    b.imu_model = _choice(path, imu, "model", IMU_MODELS, "imu.model")
    b.imu_address = _int(path, imu, "imu.address", "address", 8, 119)
    b.imu_rate_hz = _int(path, imu, "imu.rate_hz", "rate_hz", 50, 1000)
    b.imu_int1_pin = _pin(path, imu, "imu.int1_pin", "int1_pin")
    b.wake_threshold_mg = _int(path, imu, "imu.wake_threshold_mg", "wake_threshold_mg", 16, 2000)

    b.zones = []
    b.mux = None
    pressure = raw.get("pressure")
    if pressure is None:
        b.pressure_rate_hz = 0
        b.default_gain_q16 = 0
        b.saturation_raw = 0
    else:
        if not isinstance(pressure, dict):
            raise BoardError("%s: pressure must be an object" % path)
        b.pressure_rate_hz = _int(path, pressure, "pressure.rate_hz", "rate_hz", 10, 400)
        b.default_gain_q16 = _int(path, pressure, "pressure.default_gain_q16",
                                     "default_gain_q16", 1, MAX_GAIN_Q16)
        b.saturation_raw = _int(path, pressure, "pressure.saturation_raw",
                                   "saturation_raw", 1024, 65535)
        mux = pressure.get("mux")
        if mux is not None:
            b.mux = _load_mux(path, mux)
        b.zones = _load_zones(path, pressure, b.mux is not None)

    battery = _get(path, raw, "battery", dict)
    b.battery_pin = _pin(path, battery, "battery.pin", "pin")
    b.battery_divider_x1000 = _int(path, battery, "battery.divider_ratio_x1000",
                                      "divider_ratio_x1000", 1000, 10000)

    led = _get(path, raw, "status_led", dict)
    b.led_pins = _led_pins(path, led)
    b.led_kind = _choice(path, led, "kind", LED_KINDS, "status_led.kind")

    power = _get(path, raw, "power", dict)
    b.drain_ms = _int(path, power, "power.drain_ms", "drain_ms", 10, 1000)
    b.light_sleep = _get(path, power, "light_sleep", bool, "power.light_sleep")
    b.motion_threshold_dps = _int(path, power, "power.motion_threshold_dps",
                                     "motion_threshold_dps", 1, 500)
    b.idle_after_s = _int(path, power, "power.idle_after_s", "idle_after_s", 1, 3600)
    b.deep_sleep_after_min = _int(path, power, "power.deep_sleep_after_min",
                                     "deep_sleep_after_min", 1, 1440)
    # the FIFO must hold a whole drain period with room to spare
    if b.imu_rate_hz * b.drain_ms > 60 * 1000:
        raise BoardError("%s: power.drain_ms=%d at imu.rate_hz=%d overflows the IMU FIFO "
                         "(keep rate_hz * drain_ms <= 60000)"
                         % (path, b.drain_ms, b.imu_rate_hz))

    return b


def _load_mux(path, mux):
    if not isinstance(mux, dict):
        raise BoardError("%s: pressure.mux must be an object" % path)
    _choice(path, mux, "model", MUX_MODELS, "pressure.mux.model")
    sel = _get(path, mux, "select_pins", list, "pressure.mux.select_pins")
    if len(sel) != 4:
        raise BoardError("%s: pressure.mux.select_pins needs 4 pins (S0..S3), got %d"
                         % (path, len(sel)))
    for i in range(4):
        _pin(path, sel, "pressure.mux.select_pins[%d]" % i, i)
    enable = mux.get("enable_pin")
    if enable is not None:
        _pin(path, mux, "pressure.mux.enable_pin", "enable_pin")
    return {
        "adc_pin": _pin(path, mux, "pressure.mux.adc_pin", "adc_pin"),
        "select_pins": list(sel),
        "enable_pin": enable,
        "settle_us": _int(path, mux, "pressure.mux.settle_us", "settle_us", 0, 1000),
    }


def _led_pins(path, led):
    # "pin": one GPIO; "pins": the same LED on each of 1..2 GPIOs, for a board whose
    # revisions moved it (ESP32-S3-DevKitC-1: GPIO48 on v1.0, GPIO38 on v1.1)
    if "pins" not in led:
        return [_pin(path, led, "status_led.pin", "pin")]
    pins = _get(path, led, "pins", list, "status_led.pins")
    if not 1 <= len(pins) <= 2:
        raise BoardError("%s: status_led.pins needs 1 or 2 pins, got %d" % (path, len(pins)))
    for i in range(len(pins)):
        _pin(path, pins, "status_led.pins[%d]" % i, i)
    return list(pins)


def _load_zones(path, pressure, muxed):
    zones = _get(path, pressure, "zones", list, "pressure.zones")
    if not 1 <= len(zones) <= MUX_CHANNELS:
        raise BoardError("%s: pressure.zones must list 1..16 zones, got %d" % (path, len(zones)))
    key = "channel" if muxed else "pin"
    out = []
    seen = []
    for i, z in enumerate(zones):
        where = "pressure.zones[%d]" % i
        if not isinstance(z, dict):
            raise BoardError("%s: %s must be an object" % (path, where))
        name = _get(path, z, "name", str, where + ".name")
        if muxed:
            source = _int(path, z, where + ".channel", "channel", 0, MUX_CHANNELS - 1)
        else:
            source = _pin(path, z, where + ".pin", "pin")
        if source in seen:
            raise BoardError("%s: %s.%s %d is used by another zone" % (path, where, key, source))
        seen.append(source)
        x = _int(path, z, where + ".x", "x", -1000, 1000)
        y = _int(path, z, where + ".y", "y", -1000, 1000)
        out.append(Zone(i, name, source, x, y))
    return out


def _get(path, obj, key, kind, label=None):
    label = label or key
    if key not in obj:
        raise BoardError("%s: missing %s" % (path, label))
    value = obj[key]
    if kind is int and isinstance(value, bool):
        value = None
    if not isinstance(value, kind):
        raise BoardError("%s: %s must be %s, got %r" % (path, label, _kind_name(kind), value))
    return value


def _kind_name(kind):
    if kind is dict:
        return "an object"
    if kind is list:
        return "a list"
    if kind is bool:
        return "true or false"
    if kind is int:
        return "an integer"
    return "a string"


def _int(path, obj, label, key, lo, hi):
    if isinstance(obj, list):
        value = obj[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise BoardError("%s: %s must be an integer, got %r" % (path, label, value))
    else:
        value = _get(path, obj, key, int, label)
    if not lo <= value <= hi:
        raise BoardError("%s: %s=%d is outside %d..%d" % (path, label, value, lo, hi))
    return value


def _pin(path, obj, label, key):
    return _int(path, obj, label, key, 0, 48)


def _choice(path, obj, key, choices, label=None):
    value = _get(path, obj, key, str, label)
    if value not in choices:
        raise BoardError("%s: %s %r is not one of %s"
                         % (path, label or key, value, ", ".join(choices)))
    return value


