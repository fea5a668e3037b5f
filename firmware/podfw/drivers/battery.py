# Battery voltage through a resistor divider on an ADC pin, reported as percent of a
# single-cell LiPo's charge from its resting voltage curve.
from micropython import const

# (millivolts, percent), highest first: typical 1-cell LiPo at light load
_CURVE = ((4200, 100), (4100, 90), (4000, 79), (3900, 64), (3850, 54), (3800, 40),
          (3750, 26), (3700, 15), (3600, 5), (3300, 0))
LOW_PERCENT = const(15)


class Battery:
    def __init__(self, adc, divider_x1000):
        self.adc = adc
        self.divider_x1000 = divider_x1000

    def millivolts(self):
        # read_uv is the ESP32's calibrated reading; millivolts first keeps it a small int
        return (self.adc.read_uv() // 1000) * self.divider_x1000 // 1000

    def percent(self):
        return percent_from_mv(self.millivolts())


def percent_from_mv(mv):
    hi_mv, hi_pct = _CURVE[0]
    if mv >= hi_mv:
        return 100
    for lo_mv, lo_pct in _CURVE[1:]:
        if mv >= lo_mv:
            return lo_pct + (mv - lo_mv) * (hi_pct - lo_pct) // (hi_mv - lo_mv)
        hi_mv, hi_pct = lo_mv, lo_pct
    return 0
