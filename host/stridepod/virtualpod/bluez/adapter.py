"""org.bluez.Adapter1 (hci0) and the org.bluez.Device1 objects it discovers: the parts
bleak's Linux backend uses (bleak/backends/bluezdbus). Adapter1: Powered, Roles with
"central", SetDiscoveryFilter, StartDiscovery, StopDiscovery, RemoveDevice. Device1:
Connect, Disconnect, Pair, writable Trusted, Connected, ServicesResolved, Paired, Bonded,
and what advertising showed (Name, UUIDs, ManufacturerData, ServiceData, RSSI), which
`parse_advertising` derives from the AD structures as BlueZ does.

The objects hold state and answer D-Bus calls; what a call does to the radio is the
emulator's: an Adapter asks an `AdapterControl`, a Device a `DeviceControl` (both
EmulatedBlueZ). A Device's `pod` is the radio it reaches (a `DevicePeer`: GAP name,
address mode, GATT services once resolved). This layer imports neither the radio nor
the emulator.
"""

from typing import Annotated, Any, Generic, Protocol, TypeVar

from dbus_fast import DBusError, Variant
from dbus_fast.annotations import (
    DBusBool,
    DBusDict,
    DBusInt16,
    DBusObjectPath,
    DBusSignature,
    DBusStr,
)
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_method, dbus_property

from stridepod.virtualpod.bluez.gatt import DBusStrList, GattService

ADAPTER_PATH = "/org/bluez/hci0"
ADAPTER_NAME = "stridepod-virtual"
RSSI_DBM = -60  # what the adapter reports for every pod in range

DBusManufacturerData = Annotated[dict[int, Variant], DBusSignature("a{qv}")]


def device_path(address: str) -> str:
    """BlueZ's object path of the device with `address` (AA:BB:..)."""
    return f"{ADAPTER_PATH}/dev_{address.upper().replace(':', '_')}"


def _uuid16(value: int) -> str:
    return f"0000{value:04x}-0000-1000-8000-00805f9b34fb"


def _uuid128(le: bytes) -> str:
    h = bytes(reversed(le)).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def parse_advertising(data: bytes) -> dict[str, Any]:
    """AD structures -> the Device1 properties BlueZ derives from them."""
    props: dict[str, Any] = {"UUIDs": [], "ManufacturerData": {}, "ServiceData": {}}
    pos = 0
    while pos + 1 < len(data):
        length = data[pos]
        if length == 0 or pos + 1 + length > len(data):
            break
        kind, body = data[pos + 1], data[pos + 2 : pos + 1 + length]
        pos += 1 + length
        if kind == 0x01 and body:
            props["AdvertisingFlags"] = bytes(body[:1])
        elif kind in (0x08, 0x09):
            props["Name"] = body.decode("utf-8", "replace")
        elif kind in (0x02, 0x03):
            props["UUIDs"] += [_uuid16(int.from_bytes(body[i:i + 2], "little"))
                               for i in range(0, len(body) - 1, 2)]
        elif kind in (0x06, 0x07):
            props["UUIDs"] += [_uuid128(body[i : i + 16]) for i in range(0, len(body) - 15, 16)]
        elif kind == 0xFF and len(body) >= 2:
            props["ManufacturerData"][int.from_bytes(body[:2], "little")] = bytes(body[2:])
        elif kind == 0x16 and len(body) >= 2:
            props["ServiceData"][_uuid16(int.from_bytes(body[:2], "little"))] = bytes(body[2:])
    return props


class AdapterControl(Protocol):
    """What Adapter1's calls ask of the emulator."""

    def start_scanning(self) -> None: ...

    def stop_scanning(self) -> None: ...

    async def remove_device(self, path: str) -> None: ...

    def set_powered(self, powered: bool) -> None: ...


class DevicePeer(Protocol):
    """What Device1 shows of the pod's radio."""

    gap_name: str
    addr_mode: int  # 0 public, 1 random static, 2 resolvable private (MicroPython's)
    services: list[GattService]  # exported while resolved


PeerT = TypeVar("PeerT", bound=DevicePeer)


class DeviceControl(Protocol[PeerT]):
    """What Device1's calls ask of the emulator."""

    async def connect(self, device: "Device[PeerT]") -> None: ...

    async def disconnect(self, device: "Device[PeerT]", *, notify_pod: bool) -> None: ...

    async def pair(self, device: "Device[PeerT]") -> None: ...


class Adapter(ServiceInterface):
    def __init__(self, control: AdapterControl, address: str, powered: bool) -> None:
        super().__init__("org.bluez.Adapter1")
        self._control = control
        self.address = address
        self.powered = powered
        self.discovering = False
        self.uuid_filter: set[str] = set()

    @dbus_method()
    def SetDiscoveryFilter(self, filters: DBusDict) -> None:
        uuids = filters.get("UUIDs")
        self.uuid_filter = {u.lower() for u in uuids.value} if uuids is not None else set()

    @dbus_method()
    def StartDiscovery(self) -> None:
        if not self.powered:
            raise DBusError("org.bluez.Error.NotReady", "Resource Not Ready")
        if not self.discovering:
            self.discovering = True
            self.emit_properties_changed({"Discovering": True})
            self._control.start_scanning()

    @dbus_method()
    def StopDiscovery(self) -> None:
        if not self.discovering:
            raise DBusError("org.bluez.Error.Failed", "No discovery started")
        self.discovering = False
        self._control.stop_scanning()
        self.emit_properties_changed({"Discovering": False})

    @dbus_method()
    async def RemoveDevice(self, device: DBusObjectPath) -> None:
        await self._control.remove_device(device)

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> DBusStr:
        return self.address

    @dbus_property(access=PropertyAccess.READ)
    def AddressType(self) -> DBusStr:
        return "public"

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> DBusStr:
        return ADAPTER_NAME

    @dbus_property(access=PropertyAccess.READ)
    def Alias(self) -> DBusStr:
        return ADAPTER_NAME

    @dbus_property()
    def Powered(self) -> DBusBool:
        return self.powered

    # mypy pairs a getter and setter for builtin property only
    @Powered.setter  # type: ignore[no-redef]
    def Powered(self, value: DBusBool) -> None:
        self._control.set_powered(value)

    @dbus_property(access=PropertyAccess.READ)
    def Discovering(self) -> DBusBool:
        return self.discovering

    @dbus_property(access=PropertyAccess.READ)
    def Pairable(self) -> DBusBool:
        return True

    @dbus_property(access=PropertyAccess.READ)
    def Roles(self) -> DBusStrList:
        return ["central", "peripheral"]

    @dbus_property(access=PropertyAccess.READ)
    def UUIDs(self) -> DBusStrList:
        return []


class Device(ServiceInterface, Generic[PeerT]):
    """org.bluez.Device1 of one virtual pod, as this adapter sees it."""

    def __init__(self, control: DeviceControl[PeerT], pod: PeerT, path: str, address: str) -> None:
        super().__init__("org.bluez.Device1")
        self._control = control
        self.pod = pod
        self.path = path
        self.address = address
        self.address_type = "random" if pod.addr_mode else "public"
        self.connected = False
        self.services_resolved = False
        self.paired = False
        self.bonded = False
        self.trusted = False
        self.adv: dict[str, Any] = {}
        self.rssi = RSSI_DBM

    def update(self, changed: dict[str, Any]) -> None:
        self.emit_properties_changed(changed)

    @dbus_method()
    async def Connect(self) -> None:
        await self._control.connect(self)

    @dbus_method()
    async def Disconnect(self) -> None:
        await self._control.disconnect(self, notify_pod=True)

    @dbus_method()
    async def Pair(self) -> None:
        await self._control.pair(self)

    @dbus_method()
    def CancelPairing(self) -> None:
        pass

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> DBusStr:
        return self.address

    @dbus_property(access=PropertyAccess.READ)
    def AddressType(self) -> DBusStr:
        return self.address_type

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> DBusStr:
        return self.adv.get("Name") or self.pod.gap_name or ""

    @dbus_property(access=PropertyAccess.READ)
    def Alias(self) -> DBusStr:
        return self.adv.get("Name") or self.pod.gap_name or self.address.replace(":", "-")

    @dbus_property(access=PropertyAccess.READ)
    def Adapter(self) -> DBusObjectPath:
        return ADAPTER_PATH

    @dbus_property(access=PropertyAccess.READ)
    def Connected(self) -> DBusBool:
        return self.connected

    @dbus_property(access=PropertyAccess.READ)
    def ServicesResolved(self) -> DBusBool:
        return self.services_resolved

    @dbus_property(access=PropertyAccess.READ)
    def Paired(self) -> DBusBool:
        return self.paired

    @dbus_property(access=PropertyAccess.READ)
    def Bonded(self) -> DBusBool:
        return self.bonded

    @dbus_property()
    def Trusted(self) -> DBusBool:
        return self.trusted

    # mypy pairs a getter and setter for builtin property only
    @Trusted.setter  # type: ignore[no-redef]
    def Trusted(self, value: DBusBool) -> None:
        self.trusted = bool(value)

    @dbus_property(access=PropertyAccess.READ)
    def Blocked(self) -> DBusBool:
        return False

    @dbus_property(access=PropertyAccess.READ)
    def LegacyPairing(self) -> DBusBool:
        return False

    @dbus_property(access=PropertyAccess.READ)
    def RSSI(self) -> DBusInt16:
        return self.rssi

    @dbus_property(access=PropertyAccess.READ)
    def UUIDs(self) -> DBusStrList:
        seen = list(self.adv.get("UUIDs", []))
        if self.services_resolved:
            seen += [s.uuid for s in self.pod.services if s.uuid not in seen]
        return seen

    @dbus_property(access=PropertyAccess.READ)
    def ManufacturerData(self) -> DBusManufacturerData:
        return {k: Variant("ay", v) for k, v in self.adv.get("ManufacturerData", {}).items()}

    @dbus_property(access=PropertyAccess.READ)
    def ServiceData(self) -> DBusDict:
        return {k: Variant("ay", v) for k, v in self.adv.get("ServiceData", {}).items()}
