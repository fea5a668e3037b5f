"""The pod's GATT profile as the host sees it: full 128-bit UUID strings, as bleak reports
them, from the pod's own definitions (podfw.link.uuids, which the pod's service table in
podfw/link/gatt.py is built from). Also the time base of the pod's records."""

import datetime as dt

import podfw  # noqa: F401  (the CPython stand-in for `micropython`, for podfw.link.uuids)
from podfw.link import uuids as U

STRIDEPOD_SERVICE = U.STRIDEPOD_SERVICE_UUID
SUMMARY = U.SUMMARY_UUID
CONTROL_POINT = U.CONTROL_POINT_UUID

# A record's time_s counts seconds from here (wire format v1; MicroPython's epoch on the
# ESP32), once a central has set the pod's clock.
POD_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def sig_uuid(short: int) -> str:
    """A 16-bit Bluetooth SIG UUID as its full string (Bluetooth base UUID)."""
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


RSC_SERVICE = sig_uuid(U.RSC_SERVICE_UUID)
RSC_MEASUREMENT = sig_uuid(U.RSC_MEASUREMENT_UUID)
RSC_FEATURE = sig_uuid(U.RSC_FEATURE_UUID)
DEVICE_INFORMATION = sig_uuid(U.DEVICE_INFORMATION_UUID)
MANUFACTURER = sig_uuid(U.MANUFACTURER_NAME_UUID)
MODEL = sig_uuid(U.MODEL_NUMBER_UUID)
SERIAL_NUMBER = sig_uuid(U.SERIAL_NUMBER_UUID)
FIRMWARE_REVISION = sig_uuid(U.FIRMWARE_REVISION_UUID)
BATTERY_LEVEL = sig_uuid(U.BATTERY_LEVEL_UUID)
