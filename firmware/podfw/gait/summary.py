# One finished window of gait metrics: what the pod sends over BLE and writes to its
# flash log. All attributes are ints so the wire encoder packs them directly.

FLAG_IMU_DEGRADED = 1
FLAG_PRESSURE_DEGRADED = 2
FLAG_CLIPPED = 4
FLAG_SAMPLES_LOST = 8
FLAG_WALKING = 16
FLAG_LOW_BATTERY = 32
FLAG_NO_IMU = 64
FLAG_NO_PRESSURE = 128

FIELDS = (
    "index",
    "start_ms",
    "duration_ms",
    "steps",
    "cadence_spm",
    "impact_mean_cg",
    "impact_peak_cg",
    "contact_ms",
    "flight_ms",
    "strike_heel",
    "strike_mid",
    "strike_fore",
    "flags",
)


class WindowSummary:
    __slots__ = FIELDS

    def __init__(self, index=0, start_ms=0, duration_ms=0, steps=0, cadence_spm=0,
                 impact_mean_cg=0, impact_peak_cg=0, contact_ms=0, flight_ms=0,
                 strike_heel=0, strike_mid=0, strike_fore=0, flags=0):
        self.index = index
        self.start_ms = start_ms
        self.duration_ms = duration_ms
        self.steps = steps  # whole-body steps (a single foot pod counts 2 per stride)
        self.cadence_spm = cadence_spm  # steps per minute, 0 = no steady stepping
        self.impact_mean_cg = impact_mean_cg  # centi-g, acceleration magnitude at strikes
        self.impact_peak_cg = impact_peak_cg
        self.contact_ms = contact_ms  # mean ground contact time, 0 = unknown
        self.flight_ms = flight_ms  # mean flight time, 0 = none or unknown
        self.strike_heel = strike_heel
        self.strike_mid = strike_mid
        self.strike_fore = strike_fore
        self.flags = flags

    def as_dict(self):
        return {name: getattr(self, name) for name in FIELDS}

    def __eq__(self, other):
        return isinstance(other, WindowSummary) and self.as_dict() == other.as_dict()

    def __repr__(self):
        return "WindowSummary(%s)" % ", ".join(
            "%s=%d" % (name, getattr(self, name)) for name in FIELDS)
