# Configuration of the gait engine: sensor rates, units and placement. Floats are allowed
# here (evaluated once at start-up); the engine derives integer thresholds from them.

# Where a pod can be worn: the one definition. A board (podfw._boardcheck) is one of the
# foot placements; recordings (stridepod.recordings.dumpfile) may also come from the
# sacrum. The wire format's read-config sends a placement as its position here + 1
# (0 = unknown), so new placements go at the end.
FOOT_PLACEMENTS = ("left_foot", "right_foot", "left_insole", "right_insole")
PLACEMENTS = FOOT_PLACEMENTS + ("sacrum",)

# Fixed-point scale of gyro_lsb_per_dps (16.4 LSB/dps is stored as 16400 / 1000).
GYRO_SCALE = 1000


class GaitConfig:
    def __init__(self, imu_rate_hz=200, pressure_rate_hz=100, placement="left_foot",
                 acc_lsb_per_g=2048, gyro_lsb_per_dps=16.4, has_gyro=True, zone_xy=None,
                 pressure_lsb_per_newton=10, window_s=5, events=64):
        if placement not in PLACEMENTS:
            raise ValueError("placement must be one of " + ", ".join(PLACEMENTS))
        if imu_rate_hz < 0 or imu_rate_hz > 4000:
            raise ValueError("imu_rate_hz must be 0 (no IMU) or up to 4000")
        if zone_xy is not None and (pressure_rate_hz <= 0 or pressure_rate_hz > 1000):
            raise ValueError("pressure_rate_hz must be in 1..1000 when zones are given")
        if imu_rate_hz == 0 and zone_xy is None:
            raise ValueError("need an IMU (imu_rate_hz > 0) or pressure zones (zone_xy)")
        if imu_rate_hz and (acc_lsb_per_g < 64 or acc_lsb_per_g > 65536):
            raise ValueError("acc_lsb_per_g out of range")
        if has_gyro and imu_rate_hz and not (0.5 <= gyro_lsb_per_dps <= 1000):
            raise ValueError("gyro_lsb_per_dps out of range")
        if window_s < 1 or window_s > 600:
            raise ValueError("window_s must be 1..600 s")
        if events < 0 or events > 1024:
            raise ValueError("events must be 0 (no event ring) to 1024")
        self.imu_rate_hz = imu_rate_hz
        self.pressure_rate_hz = pressure_rate_hz
        self.placement = placement
        self.acc_lsb_per_g = int(acc_lsb_per_g)
        self.gyro_lsb_per_dps_x1000 = int(round(gyro_lsb_per_dps * GYRO_SCALE))
        self.has_gyro = bool(has_gyro) and imu_rate_hz > 0
        self.zone_xy = [(int(x), int(y)) for x, y in zone_xy] if zone_xy is not None else None
        self.pressure_lsb_per_newton = int(round(pressure_lsb_per_newton))
        self.window_s = int(window_s)
        self.events = int(events)  # capacity of the engine's gait event ring

    @property
    def has_imu(self):
        return self.imu_rate_hz > 0

    @property
    def has_pressure(self):
        return self.zone_xy is not None and len(self.zone_xy) > 0

    @property
    def foot(self):
        return self.placement != "sacrum"

    @property
    def gyro_lsb_per_dps(self):
        return self.gyro_lsb_per_dps_x1000 / GYRO_SCALE
