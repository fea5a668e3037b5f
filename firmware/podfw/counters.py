# What went wrong since boot, in one place. Every part of the pod counts here: the
# sampling (IMU faults and restarts, IMU samples and pressure scans lost, scheduling
# cycles that raised), the BLE link (its errors, the windows it could not log); the last
# error is kept with where it happened. The link sends it all in the read-status
# response (podfw.link.wire.status_payload, which also names the codes), shown by
# `stridepod pod info`. Counters are plain small ints, incremented on per-sample paths
# without allocating; the wire saturates them at u16.
from micropython import const

# where the last error happened (read-status last_error_where; wire.WHERE_NAMES)
WHERE_NONE = const(0)
WHERE_SAMPLING = const(1)  # a scheduling cycle raised (a bug: the pod goes on)
WHERE_IMU = const(2)  # the IMU's bus failed beyond the driver's retries
WHERE_LINK = const(3)  # the BLE link: IRQ handler, a command, an indication dropped
WHERE_LOG = const(4)  # the flash log refused a write


class Counters:
    def __init__(self):
        self.imu_faults = 0  # drains (or restarts) that failed after the driver's retries
        self.imu_restarts = 0  # times a FIFO that stopped filling was reset
        self.imu_lost = 0  # IMU samples reported to the engine as lost
        self.scans_missed = 0  # pressure scans due that never reached the engine
        self.log_failures = 0  # windows the flash log could not keep (so never sent)
        self.link_errors = 0  # failures the BLE link caught
        self.cycle_errors = 0  # scheduling cycles that raised
        self.last_error = None  # the exception itself (on the REPL: pod.counters.last_error)
        self.last_error_where = WHERE_NONE

    def error(self, where, exc):
        self.last_error = exc
        self.last_error_where = where
