# Force-sensing resistors under the insole, one ADC reading per zone, either straight on
# ADC pins or through a CD74HC4067 16-channel analog multiplexer (4 select lines, one
# common ADC pin). `read_into` runs in the pressure timer's callback (scheduled context,
# podfw.sampling.scans) and only stores raw counts in a ring; `calibrate_row` runs in the processing task and turns a raw row into
# 0.1 N per zone with the per-zone calibration (zero offset, gain, saturation) kept in
# flash as JSON (written by podfw.drivers.pressure_calibration).
import json
from array import array

from micropython import const

# A zone at or above its saturation this many scans in a row is stuck (shorted sensor,
# broken trace), not a foot: it is reported as degraded and left out of the sums.
_STUCK_SECONDS = const(2)
_MAX_DECINEWTON = const(32767)


class PressureZones:
    def __init__(self, board, hw, flash_dir):
        self.board = board
        self.n = len(board.zones)
        self.path = flash_dir + "calib.json"
        self.zero = array("H", bytes(2 * self.n))
        self.gain_q16 = array("H", bytes(2 * self.n))
        self.saturation = array("H", bytes(2 * self.n))
        self._full_run = array("H", bytes(2 * self.n))
        self.stuck_scans = _STUCK_SECONDS * board.pressure_rate_hz
        self.stuck = 0  # bit i: zone i is stuck at full scale
        self.clipped = 0  # scans since the last take_clipped() with a saturated zone
        self.calibrated = False
        self.calibration_note = ""
        self.hw = hw
        self._sources = array("B", [z.source for z in board.zones])
        mux = board.mux
        if mux is None:
            self._adcs = [hw.adc(z.source) for z in board.zones]
            self._select = None
        else:
            self._adcs = None
            self._adc = hw.adc(mux["adc_pin"])
            self._select = [hw.pin_out(p) for p in mux["select_pins"]]
            self._settle_us = mux["settle_us"]
            if mux["enable_pin"] is not None:
                hw.pin_out(mux["enable_pin"]).value(0)  # the 4067's enable is active low
        self._defaults()
        self.load_calibration()

    # --- timer callback (scheduled context): raw counts only, no allocation -------------
    def scan(self, ring, stamp):
        off = ring.free_slot()
        if off >= 0:
            self.read_into(ring.data, off)
            ring.commit(stamp)

    def read_into(self, d, off):
        """One scan of raw counts into d[off:off+n]."""
        if self._select is None:
            adcs = self._adcs
            for i in range(self.n):
                d[off + i] = adcs[i].read_u16()
            return
        sel = self._select
        src = self._sources
        for i in range(self.n):
            ch = src[i]
            sel[0].value(ch & 1)
            sel[1].value((ch >> 1) & 1)
            sel[2].value((ch >> 2) & 1)
            sel[3].value(ch >> 3)
            if self._settle_us:
                self.hw.sleep_us(self._settle_us)
            d[off + i] = self._adc.read_u16()

    # --- task context -----------------------------------------------------------------
    def calibrate_row(self, raw, off, out):
        """Raw counts raw[off:off+n] -> out[i] in 0.1 N. Updates stuck/clipped state."""
        saturated = False
        for i in range(self.n):
            r = raw[off + i]
            bit = 1 << i
            if r >= self.saturation[i]:
                saturated = True
                run = self._full_run[i]
                if run < self.stuck_scans:
                    self._full_run[i] = run + 1
                else:
                    self.stuck |= bit
            else:
                self._full_run[i] = 0
                self.stuck &= ~bit
            if self.stuck & bit:
                out[i] = 0
                continue
            if r > self.saturation[i]:
                r = self.saturation[i]
            v = r - self.zero[i]
            if v <= 0:
                out[i] = 0
            else:
                v = (v * self.gain_q16[i]) >> 16
                out[i] = v if v < _MAX_DECINEWTON else _MAX_DECINEWTON
        if saturated:
            self.clipped += 1

    def take_clipped(self):
        c = self.clipped
        self.clipped = 0
        return c

    # --- calibration ----------------------------------------------------------------
    def _defaults(self):
        for i in range(self.n):
            self.zero[i] = 0
            self.gain_q16[i] = self.board.default_gain_q16
            self.saturation[i] = self.board.saturation_raw

    def load_calibration(self):
        try:
            with open(self.path) as f:
                saved = json.load(f)
        except OSError:
            self.calibration_note = "not calibrated"
            return False
        except ValueError:
            self.calibration_note = "%s: not valid JSON, using board defaults" % self.path
            return False
        rows = saved.get("zones") if isinstance(saved, dict) else None
        if not isinstance(rows, list) or len(rows) != self.n:
            self.calibration_note = "%s: zone count does not match the board" % self.path
            return False
        for row in rows:
            if (not isinstance(row, list) or len(row) != 3
                    or not 0 <= row[0] < 65536 or not 1 <= row[1] <= 16000
                    or not 1024 <= row[2] < 65536):
                self.calibration_note = "%s: values out of range, using board defaults" % self.path
                return False
        for i in range(self.n):
            self.zero[i], self.gain_q16[i], self.saturation[i] = rows[i]
        self.calibrated = True
        self.calibration_note = ""
        return True
