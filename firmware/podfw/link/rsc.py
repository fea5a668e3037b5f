# Bluetooth SIG Running Speed and Cadence profile (service 0x1814), the part a footpod
# needs so watches and phone apps that know footpods show our cadence.
#
# RSC Measurement 0x2A53 (notify): u8 flags, u16 instantaneous speed in 1/256 m/s,
# u8 cadence in 1/min (we send steps/min, as most apps expect). Flags bit 2 = running
# (else walking). The pod does not estimate speed, so speed is 0; stride length and total
# distance are not claimed, which keeps the SC Control Point 0x2A55 optional: claiming
# total distance, calibration or several sensor locations would make it mandatory.
import struct

from micropython import const

FEATURE_WALKING_RUNNING_STATUS = const(0x0004)
FEATURES = FEATURE_WALKING_RUNNING_STATUS  # RSC Feature 0x2A54, u16
LOCATION_IN_SHOE = const(2)  # Sensor Location 0x2A5D: 1 top of shoe, 2 in shoe
_FLAG_RUNNING = const(0x04)


def measurement(cadence_spm, running, buf=None):
    """RSC Measurement value (4 bytes): cadence clipped to the u8 range."""
    if buf is None:
        buf = bytearray(4)
    if cadence_spm < 0:
        cadence_spm = 0
    elif cadence_spm > 255:
        cadence_spm = 255
    struct.pack_into("<BHB", buf, 0, _FLAG_RUNNING if running else 0, 0, cadence_spm)
    return buf


def feature_value():
    return struct.pack("<H", FEATURES)


def location_value():
    return bytes((LOCATION_IN_SHOE,))
