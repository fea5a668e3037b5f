"""An emulated BlueZ (`org.bluez`) on a private D-Bus bus, carrying virtual pods' radios
to an unmodified bleak client. Three layers, lowest first:

- `gatt` and `adapter`: the D-Bus objects (GattService1/Characteristic1/Descriptor1 with
  the ATT permission rules; Adapter1, Device1 and advertising parsing). They know the
  layers above only through small protocols.
- `radio`: one virtual pod's socket link (`vlink` frames), its BLE `Link`, what crossed
  the air (`AirCounters`) and the faults a test planned for it.
- `emulator`: `EmulatedBlueZ`, the bus, scanning, GATT export, connections, pairing and
  the fault-injection knobs.

    async with EmulatedBlueZ(bus.address) as bluez:  # then start a VirtualPod on it
"""

from stridepod.virtualpod.bluez.emulator import EmulatedBlueZ
from stridepod.virtualpod.bluez.radio import PodRadio

__all__ = ["EmulatedBlueZ", "PodRadio"]
