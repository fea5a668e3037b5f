# The pod's GATT server on MicroPython's low-level `bluetooth` module: service table,
# advertising payload and the bond store. The same code runs on the ESP32 and on the
# virtual pod (whose `bluetooth` stand-in forwards to an emulated BlueZ).
#
# Services (UUIDs from podfw.link.uuids; docs/protocol.md has the full table):
#   stridepod  5370d001-...  summary 5370d002 (read*, notify), control point 5370d003
#                            (write*, indicate)        * needs an encrypted link
#   Running Speed and Cadence 0x1814: RSC Measurement 0x2A53 (notify),
#                            RSC Feature 0x2A54 (read), Sensor Location 0x2A5D (read)
#   Device Information 0x180A: 0x2A29 manufacturer, 0x2A24 model, 0x2A25 serial,
#                            0x2A27 hardware revision, 0x2A26 firmware revision
#   Battery 0x180F: Battery Level 0x2A19 (read, notify)
import json

import bluetooth
from micropython import const

from podfw.link import uuids as U
from podfw.link.uuids import CONTROL_POINT_UUID, STRIDEPOD_SERVICE_UUID, SUMMARY_UUID
from podfw.link.wire import MAX_ATT_MTU

_FLAG_READ = const(0x0002)
_FLAG_WRITE = const(0x0008)
_FLAG_NOTIFY = const(0x0010)
_FLAG_INDICATE = const(0x0020)
_FLAG_READ_ENCRYPTED = const(0x0200)
_FLAG_WRITE_ENCRYPTED = const(0x1000)

_IO_CAPABILITY_NO_INPUT_OUTPUT = const(3)
_ADDR_MODE_RPA = const(2)

APPEARANCE_IN_SHOE_SENSOR = const(0x0441)  # Running Walking Sensor: In-Shoe

ADV_INTERVAL_US = const(250000)

_STRIDEPOD = (
    bluetooth.UUID(STRIDEPOD_SERVICE_UUID),
    (
        (bluetooth.UUID(SUMMARY_UUID), _FLAG_READ | _FLAG_READ_ENCRYPTED | _FLAG_NOTIFY),
        (bluetooth.UUID(CONTROL_POINT_UUID), _FLAG_WRITE | _FLAG_WRITE_ENCRYPTED | _FLAG_INDICATE),
    ),
)
_RSC = (
    bluetooth.UUID(U.RSC_SERVICE_UUID),
    (
        (bluetooth.UUID(U.RSC_MEASUREMENT_UUID), _FLAG_NOTIFY),
        (bluetooth.UUID(U.RSC_FEATURE_UUID), _FLAG_READ),
        (bluetooth.UUID(U.SENSOR_LOCATION_UUID), _FLAG_READ),
    ),
)
_DEVICE_INFO = (
    bluetooth.UUID(U.DEVICE_INFORMATION_UUID),
    (
        (bluetooth.UUID(U.MANUFACTURER_NAME_UUID), _FLAG_READ),
        (bluetooth.UUID(U.MODEL_NUMBER_UUID), _FLAG_READ),
        (bluetooth.UUID(U.SERIAL_NUMBER_UUID), _FLAG_READ),
        (bluetooth.UUID(U.HARDWARE_REVISION_UUID), _FLAG_READ),
        (bluetooth.UUID(U.FIRMWARE_REVISION_UUID), _FLAG_READ),
    ),
)
_BATTERY = (
    bluetooth.UUID(U.BATTERY_SERVICE_UUID),
    ((bluetooth.UUID(U.BATTERY_LEVEL_UUID), _FLAG_READ | _FLAG_NOTIFY),),
)
SERVICES = (_STRIDEPOD, _RSC, _DEVICE_INFO, _BATTERY)


class Handles:
    """Value handles of every characteristic, from gatts_register_services."""

    def __init__(self, registered):
        (self.summary, self.control_point), (self.rsc_measurement, self.rsc_feature,
                                             self.sensor_location), \
            (self.manufacturer, self.model, self.serial, self.hardware_rev,
             self.firmware_rev), (self.battery,) = registered


def setup(ble, name):
    """Configures security, privacy and the preferred ATT MTU (wire.MAX_ATT_MTU: the
    stack offers it in every MTU exchange; the link gets the smaller of the two sides'),
    registers the services; returns Handles.
    LE Secure Connections with bonding; the pod has no display or buttons, so pairing
    is "just works" (no MITM protection). The ESP32 port has the pairing and bonding API
    (MICROPY_PY_BLUETOOTH_ENABLE_PAIRING_BONDING in ports/esp32/mpconfigport.h, since
    MicroPython 1.20)."""
    ble.active(True)
    ble.config(gap_name=name, mtu=MAX_ATT_MTU)  # mtu: only once active (NimBLE's rule)
    ble.config(bond=True, le_secure=True, mitm=False, io=_IO_CAPABILITY_NO_INPUT_OUTPUT)
    ble.config(addr_mode=_ADDR_MODE_RPA)
    return Handles(ble.gatts_register_services(SERVICES))


def _field(ad_type, value):
    return bytes((len(value) + 1, ad_type)) + value


def _uuid128_le(text):
    hexdigits = text.replace("-", "")
    return bytes(int(hexdigits[i:i + 2], 16) for i in range(30, -2, -2))


def advertising_data(name):
    """(adv_data, resp_data): flags, the stridepod service UUID, RSC and the appearance
    in the advertisement (29 of 31 bytes); the name in the scan response."""
    adv = (_field(0x01, b"\x06")
           + _field(0x03, bytes((U.RSC_SERVICE_UUID & 0xFF, U.RSC_SERVICE_UUID >> 8)))
           + _field(0x07, _uuid128_le(STRIDEPOD_SERVICE_UUID))
           + _field(0x19, bytes((APPEARANCE_IN_SHOE_SENSOR & 0xFF,
                                 APPEARANCE_IN_SHOE_SENSOR >> 8))))
    encoded = name.encode()[:29]
    return adv, _field(0x09, encoded)


def advertise(ble, name):
    adv, resp = advertising_data(name)
    ble.gap_advertise(ADV_INTERVAL_US, adv_data=adv, resp_data=resp, connectable=True)


# Subscriptions a bonded central keeps (BondStore.subscriptions): bits of the standard
# characteristics the pod notifies it without a new CCCD write. MicroPython's NimBLE
# binding neither tells the firmware about CCCD writes nor keeps them for a bond (its
# secret store answers NimBLE's CCCD reads with "not found" and drops CCCD writes:
# extmod/nimble/modbluetooth_nimble.c, "TODO: Implement CCCD persistence"), so after a
# reconnection, and after a reboot, a bonded watch that does not write its CCCDs again
# would hear nothing. What the binding does report is reads (_IRQ_GATTS_READ_REQUEST):
# an RSC Collector reads RSC Feature when it sets the sensor up (RSC Profile 4.3), a
# battery client reads Battery Level; the link keeps those per bond and notifies them.
SUBSCRIBED_RSC = const(1)
SUBSCRIBED_BATTERY = const(2)


def peer_key(addr_type, addr):
    """A central's key in the bond store: its address as NimBLE's store keys a bond
    (ble_addr_t: type, then the address least significant byte first), from the
    address type and the address MicroPython's connect IRQ reports (most significant
    byte first; for a bonded central NimBLE reports its identity address)."""
    return bytes((addr_type,)) + bytes(reversed(bytes(addr)))


class BondStore:
    """Keys the BLE stack asks us to keep (_IRQ_SET_SECRET / _IRQ_GET_SECRET) and the
    subscriptions of each bonded central, in one JSON file so both survive a reboot:
    {"keys": [[sec_type, key hex, value hex], ...], "subscriptions": [[key hex, bits],
    ...]}. A file of the older form (the bare list of keys) is read too. The file is
    read at boot and written when something changes; get() and subscriptions() only
    read memory (the IRQ handler calls them on the NimBLE task and must answer at once)."""

    MAX_ENTRIES = 32
    MAX_SUBSCRIBERS = 8

    def __init__(self, path):
        self.path = path
        self._entries = []  # [sec_type, key hex, value hex], oldest first
        self._subscriptions = []  # [key hex, bits], oldest first
        try:
            with open(path) as f:
                loaded = json.load(f)
        except (OSError, ValueError):
            loaded = []  # no store yet, or unreadable: bonds have to be redone
        keys = loaded.get("keys", []) if isinstance(loaded, dict) else loaded
        subs = loaded.get("subscriptions", []) if isinstance(loaded, dict) else []
        for entry in keys if isinstance(keys, list) else ():
            if (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], int)
                    and isinstance(entry[1], str) and isinstance(entry[2], str)):
                self._entries.append(entry)
        for entry in subs if isinstance(subs, list) else ():
            if (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
                    and isinstance(entry[1], int)):
                self._subscriptions.append(entry)

    def get(self, sec_type, index, key):
        if key is None:
            n = 0
            for entry in self._entries:
                if entry[0] == sec_type:
                    if n == index:
                        return bytes.fromhex(entry[2])
                    n += 1
            return None
        wanted = bytes(key).hex()
        for entry in self._entries:
            if entry[0] == sec_type and entry[1] == wanted:
                return bytes.fromhex(entry[2])
        return None

    def set(self, sec_type, key, value):
        wanted = bytes(key).hex()
        self._entries = [e for e in self._entries if not (e[0] == sec_type and e[1] == wanted)]
        if value is not None:
            self._entries.append([sec_type, wanted, bytes(value).hex()])
            while len(self._entries) > BondStore.MAX_ENTRIES:
                self._entries.pop(0)
        elif not any(e[1] == wanted for e in self._entries):
            # the bond is gone: so are its subscriptions
            self._subscriptions = [s for s in self._subscriptions if s[0] != wanted]
        return self._save()

    def subscriptions(self, peer):
        """SUBSCRIBED_* bits kept for the bonded central `peer` (peer_key), 0 if none."""
        wanted = bytes(peer).hex()
        for entry in self._subscriptions:
            if entry[0] == wanted:
                return entry[1]
        return 0

    def subscribe(self, peer, bits):
        """Keeps `bits` (SUBSCRIBED_*) for `peer`, with what it had; False if the file
        could not be written."""
        wanted = bytes(peer).hex()
        bits |= self.subscriptions(peer)
        self._subscriptions = [s for s in self._subscriptions if s[0] != wanted]
        self._subscriptions.append([wanted, bits])
        while len(self._subscriptions) > BondStore.MAX_SUBSCRIBERS:
            self._subscriptions.pop(0)
        return self._save()

    def _save(self):
        try:
            with open(self.path, "w") as f:
                json.dump({"keys": self._entries, "subscriptions": self._subscriptions}, f)
        except OSError:
            return False
        return True
