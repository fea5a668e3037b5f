# The UUIDs of the pod's GATT services: the one definition, read by the pod's service
# table (podfw.link.gatt) and by the host (stridepod.ble.profile, which spells the
# 16-bit ones out as the full strings bleak reports). No hardware import: the host
# imports it under CPython. docs/protocol.md has the table.
from micropython import const

# the stridepod service (128-bit, "5370" = "Sp")
STRIDEPOD_SERVICE_UUID = "5370d001-7e1a-4b5c-9d2e-53747269646f"
SUMMARY_UUID = "5370d002-7e1a-4b5c-9d2e-53747269646f"
CONTROL_POINT_UUID = "5370d003-7e1a-4b5c-9d2e-53747269646f"

# Bluetooth SIG assigned numbers (16-bit)
RSC_SERVICE_UUID = const(0x1814)  # Running Speed and Cadence
RSC_MEASUREMENT_UUID = const(0x2A53)
RSC_FEATURE_UUID = const(0x2A54)
SENSOR_LOCATION_UUID = const(0x2A5D)
DEVICE_INFORMATION_UUID = const(0x180A)
MANUFACTURER_NAME_UUID = const(0x2A29)
MODEL_NUMBER_UUID = const(0x2A24)
SERIAL_NUMBER_UUID = const(0x2A25)
HARDWARE_REVISION_UUID = const(0x2A27)
FIRMWARE_REVISION_UUID = const(0x2A26)
BATTERY_SERVICE_UUID = const(0x180F)
BATTERY_LEVEL_UUID = const(0x2A19)
