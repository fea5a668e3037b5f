"""The pod's GATT profile as the host sees it: full 128-bit UUID strings, as bleak reports
them. The pod side defines the same UUIDs in firmware/podfw/link/gatt.py (a MicroPython
module the host cannot import, it needs `bluetooth`); tests/host/test_ble_profile.py
checks the two agree. Also the time base of the pod's records, as a datetime."""

import datetime as dt

STRIDEPOD_SERVICE = "5370d001-7e1a-4b5c-9d2e-53747269646f"
SUMMARY = "5370d002-7e1a-4b5c-9d2e-53747269646f"
CONTROL_POINT = "5370d003-7e1a-4b5c-9d2e-53747269646f"

# A record's time_s counts seconds from here (wire format v1; MicroPython's epoch on the
# ESP32), once a central has set the pod's clock.
POD_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def sig_uuid(short: int) -> str:
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


RSC_SERVICE = sig_uuid(0x1814)
RSC_MEASUREMENT = sig_uuid(0x2A53)
DEVICE_INFORMATION = sig_uuid(0x180A)
MANUFACTURER = sig_uuid(0x2A29)
MODEL = sig_uuid(0x2A24)
SERIAL_NUMBER = sig_uuid(0x2A25)
FIRMWARE_REVISION = sig_uuid(0x2A26)
BATTERY_LEVEL = sig_uuid(0x2A19)
