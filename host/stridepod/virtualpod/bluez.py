"""An emulated BlueZ (`org.bluez`) on a private D-Bus bus, for virtual pods.

It implements the parts of the BlueZ D-Bus API that bleak's Linux backend uses
(bleak/backends/bluezdbus): the ObjectManager at "/" (GetManagedObjects,
InterfacesAdded/Removed, served by dbus-fast), Adapter1 (Powered, Roles with "central",
SetDiscoveryFilter, StartDiscovery, StopDiscovery, RemoveDevice), Device1 (Connect,
Disconnect, Pair, Trusted, Connected, ServicesResolved, Paired, Bonded, UUIDs...),
GattService1, GattCharacteristic1 (ReadValue, WriteValue, StartNotify, StopNotify, Value
changes as PropertiesChanged) and GattDescriptor1, with BlueZ's object paths
(/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF/service0010/char0011/desc0013): bleak finds a
device from a characteristic path by trimming it.

The other side is the radio of each virtual pod: a unix socket on which the MicroPython
`bluetooth` stand-in forwards advertising, service registration, notifications and
indications, and receives connection, encryption and write events (`vlink` framing).
What a real controller and BlueZ do between them is done here: advertising stops when a
central connects, only subscribed characteristics reach the client, attributes that
need encryption refuse an unencrypted link with ATT errors, a bonded pod's link is
encrypted on connect, and `drop_link()` loses the link like a radio going out of range
(whatever the pod sends after that is lost on air).
"""

import asyncio
import contextlib
import itertools
import json
import logging
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from dbus_fast import BusType, DBusError, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import (
    DBusBool,
    DBusBytes,
    DBusDict,
    DBusInt16,
    DBusObjectPath,
    DBusSignature,
    DBusStr,
    DBusUInt16,
)
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_method, dbus_property

from stridepod.virtualpod.mp import vlink

log = logging.getLogger(__name__)

ADAPTER_PATH = "/org/bluez/hci0"
ADVERTISING_INTERVAL_S = 0.05  # how often a scanning adapter hears an advertising pod
CCCD_UUID = "00002902-0000-1000-8000-00805f9b34fb"

# MicroPython characteristic flags (bluetooth docs) -> what a GATT client learns
_FLAG_READ = 0x0002
_FLAG_WRITE_NO_RESPONSE = 0x0004
_FLAG_WRITE = 0x0008
_FLAG_NOTIFY = 0x0010
_FLAG_INDICATE = 0x0020
_FLAG_READ_ENCRYPTED = 0x0200
_FLAG_READ_AUTHENTICATED = 0x0400
_FLAG_WRITE_ENCRYPTED = 0x1000
_FLAG_WRITE_AUTHENTICATED = 0x2000
_PROPERTY_NAMES = (
    (0x0001, "broadcast"),
    (_FLAG_READ, "read"),
    (_FLAG_WRITE_NO_RESPONSE, "write-without-response"),
    (_FLAG_WRITE, "write"),
    (_FLAG_NOTIFY, "notify"),
    (_FLAG_INDICATE, "indicate"),
    (0x0040, "authenticated-signed-writes"),
)

# ATT errors as BlueZ reports them ("Operation failed with ATT error: 0x..")
ATT_READ_NOT_PERMITTED = 0x02
ATT_WRITE_NOT_PERMITTED = 0x03
ATT_INSUFFICIENT_AUTHENTICATION = 0x05
ATT_INSUFFICIENT_ENCRYPTION = 0x0F
_INDICATE_FAILED = 0x0E  # indication status when the link went away first

DBusStrList = Annotated[list[str], DBusSignature("as")]
DBusManufacturerData = Annotated[dict[int, Variant], DBusSignature("a{qv}")]


def _att_error(code: int) -> DBusError:
    return DBusError("org.bluez.Error.Failed", f"Operation failed with ATT error: 0x{code:02x}")


def _not_connected() -> DBusError:
    return DBusError("org.bluez.Error.Failed", "Not connected")


def _address_path(address: str) -> str:
    return f"{ADAPTER_PATH}/dev_{address.upper().replace(':', '_')}"


def _format_address(raw: bytes) -> str:
    return ":".join(f"{b:02X}" for b in raw)


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
            props["UUIDs"] += [
                f"0000{int.from_bytes(body[i:i + 2], 'little'):04x}-0000-1000-8000-00805f9b34fb"
                for i in range(0, len(body) - 1, 2)
            ]
        elif kind in (0x06, 0x07):
            props["UUIDs"] += [_uuid128(body[i : i + 16]) for i in range(0, len(body) - 15, 16)]
        elif kind == 0xFF and len(body) >= 2:
            props["ManufacturerData"][int.from_bytes(body[:2], "little")] = bytes(body[2:])
        elif kind == 0x16 and len(body) >= 2:
            uuid = f"0000{int.from_bytes(body[:2], 'little'):04x}-0000-1000-8000-00805f9b34fb"
            props["ServiceData"][uuid] = bytes(body[2:])
    return props


def _uuid128(le: bytes) -> str:
    h = bytes(reversed(le)).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Adapter(ServiceInterface):
    def __init__(self, bluez: "EmulatedBlueZ", address: str, powered: bool) -> None:
        super().__init__("org.bluez.Adapter1")
        self._bluez = bluez
        self._address = address
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
            self._bluez.start_scanning()

    @dbus_method()
    def StopDiscovery(self) -> None:
        if not self.discovering:
            raise DBusError("org.bluez.Error.Failed", "No discovery started")
        self.discovering = False
        self._bluez.stop_scanning()
        self.emit_properties_changed({"Discovering": False})

    @dbus_method()
    async def RemoveDevice(self, device: DBusObjectPath) -> None:
        await self._bluez.remove_device(device)

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> DBusStr:
        return self._address

    @dbus_property(access=PropertyAccess.READ)
    def AddressType(self) -> DBusStr:
        return "public"

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> DBusStr:
        return "stridepod-virtual"

    @dbus_property(access=PropertyAccess.READ)
    def Alias(self) -> DBusStr:
        return "stridepod-virtual"

    @dbus_property()
    def Powered(self) -> DBusBool:
        return self.powered

    # mypy pairs a getter and setter for builtin property only
    @Powered.setter  # type: ignore[no-redef]
    def Powered(self, value: DBusBool) -> None:
        self._bluez.set_powered(value)

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


class Device(ServiceInterface):
    """org.bluez.Device1 of one virtual pod, as this adapter sees it."""

    def __init__(self, bluez: "EmulatedBlueZ", pod: "PodRadio", path: str, address: str) -> None:
        super().__init__("org.bluez.Device1")
        self._bluez = bluez
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
        self.rssi = -60

    def update(self, changed: dict[str, Any]) -> None:
        self.emit_properties_changed(changed)

    @dbus_method()
    async def Connect(self) -> None:
        await self._bluez.connect(self)

    @dbus_method()
    async def Disconnect(self) -> None:
        await self._bluez.disconnect(self, notify_pod=True)

    @dbus_method()
    async def Pair(self) -> None:
        await self._bluez.pair(self)

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


class GattService(ServiceInterface):
    def __init__(self, path: str, device_path: str, uuid: str, handle: int) -> None:
        super().__init__("org.bluez.GattService1")
        self.path = path
        self.device_path = device_path
        self.uuid = uuid
        self.handle = handle
        self.characteristics: list[GattCharacteristic] = []

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> DBusStr:
        return self.uuid

    @dbus_property(access=PropertyAccess.READ)
    def Primary(self) -> DBusBool:
        return True

    @dbus_property(access=PropertyAccess.READ)
    def Device(self) -> DBusObjectPath:
        return self.device_path

    @dbus_property(access=PropertyAccess.READ)
    def Includes(self) -> Annotated[list[str], DBusSignature("ao")]:
        return []

    @dbus_property(access=PropertyAccess.READ)
    def Handle(self) -> DBusUInt16:
        return self.handle


class GattCharacteristic(ServiceInterface):
    def __init__(
        self, pod: "PodRadio", service: GattService, uuid: str, flags: int, decl: int,
        value_handle: int,
    ) -> None:
        super().__init__("org.bluez.GattCharacteristic1")
        self.pod = pod
        self.service = service
        self.path = f"{service.path}/char{decl:04x}"
        self.uuid = uuid
        self.flags = flags
        self.value_handle = value_handle
        self.value = b""
        self.notifying = False
        self.descriptors: list[GattDescriptor] = []

    def _check(self, needed: int, encrypted: int, authenticated: int, denied: int) -> None:
        link = self.pod.link
        if link is None:
            raise _not_connected()
        if not self.flags & needed:
            raise _att_error(denied)
        if self.flags & (encrypted | authenticated) and not link.encrypted:
            raise _att_error(
                ATT_INSUFFICIENT_ENCRYPTION if link.device.bonded else ATT_INSUFFICIENT_AUTHENTICATION
            )
        if self.flags & authenticated and not link.authenticated:
            raise _att_error(ATT_INSUFFICIENT_AUTHENTICATION)

    @dbus_method()
    def ReadValue(self, options: DBusDict) -> DBusBytes:
        self._check(_FLAG_READ, _FLAG_READ_ENCRYPTED, _FLAG_READ_AUTHENTICATED, ATT_READ_NOT_PERMITTED)
        offset = options["offset"].value if "offset" in options else 0
        self.value = self.pod.values.get(self.value_handle, b"")
        self.pod.air.add(3)  # read request
        self.pod.air.add(1 + len(self.value[offset:][:22]))  # read response (MTU 23)
        return self.value[offset:]

    @dbus_method()
    def WriteValue(self, value: DBusBytes, options: DBusDict) -> None:
        kind = options["type"].value if "type" in options else "request"
        needed = _FLAG_WRITE_NO_RESPONSE if kind == "command" else _FLAG_WRITE
        if kind == "command" and not self.flags & _FLAG_WRITE_NO_RESPONSE:
            needed = _FLAG_WRITE
        self._check(needed, _FLAG_WRITE_ENCRYPTED, _FLAG_WRITE_AUTHENTICATED, ATT_WRITE_NOT_PERMITTED)
        self.pod.remote_write(self.value_handle, bytes(value))
        self.pod.air.add(3 + len(value))
        if kind != "command":
            self.pod.air.add(1)  # write response

    @dbus_method()
    def StartNotify(self) -> None:
        if not self.flags & (_FLAG_NOTIFY | _FLAG_INDICATE):
            raise DBusError("org.bluez.Error.NotSupported", "Operation is not supported")
        # the CCCD inherits the characteristic's security (NimBLE does the same)
        security = self.flags & (_FLAG_READ_ENCRYPTED | _FLAG_WRITE_ENCRYPTED |
                                 _FLAG_READ_AUTHENTICATED | _FLAG_WRITE_AUTHENTICATED)
        self._check(self.flags, security, 0, ATT_WRITE_NOT_PERMITTED)
        if not self.notifying:
            self.notifying = True
            self.pod.air.add(5)  # CCCD write request
            self.pod.air.add(1)  # write response
            self.emit_properties_changed({"Notifying": True})

    @dbus_method()
    def StopNotify(self) -> None:
        if self.notifying:
            self.notifying = False
            self.emit_properties_changed({"Notifying": False})

    def deliver(self, value: bytes) -> bool:
        """A notification or indication from the pod reached the adapter."""
        if not self.notifying:
            return False
        self.value = value
        self.emit_properties_changed({"Value": value})
        return True

    def link_lost(self) -> None:
        if self.notifying:
            self.notifying = False
            self.emit_properties_changed({"Notifying": False})

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> DBusStr:
        return self.uuid

    @dbus_property(access=PropertyAccess.READ)
    def Service(self) -> DBusObjectPath:
        return self.service.path

    @dbus_property(access=PropertyAccess.READ)
    def Value(self) -> DBusBytes:
        return self.value

    @dbus_property(access=PropertyAccess.READ)
    def Notifying(self) -> DBusBool:
        return self.notifying

    @dbus_property(access=PropertyAccess.READ)
    def Flags(self) -> DBusStrList:
        return [name for bit, name in _PROPERTY_NAMES if self.flags & bit]

    @dbus_property(access=PropertyAccess.READ)
    def MTU(self) -> DBusUInt16:
        return 23

    @dbus_property(access=PropertyAccess.READ)
    def Handle(self) -> DBusUInt16:
        return self.value_handle - 1


class GattDescriptor(ServiceInterface):
    def __init__(self, char: GattCharacteristic, uuid: str, flags: int, handle: int) -> None:
        super().__init__("org.bluez.GattDescriptor1")
        self.char = char
        self.path = f"{char.path}/desc{handle:04x}"
        self.uuid = uuid
        self.flags = flags
        self.handle = handle

    @dbus_method()
    def ReadValue(self, options: DBusDict) -> DBusBytes:
        if self.char.pod.link is None:
            raise _not_connected()
        if self.uuid == CCCD_UUID:
            return bytes((1 if self.char.notifying else 0, 0))
        if not self.flags & _FLAG_READ:
            raise _att_error(ATT_READ_NOT_PERMITTED)
        return self.char.pod.values.get(self.handle, b"")

    @dbus_method()
    def WriteValue(self, value: DBusBytes, options: DBusDict) -> None:
        if self.char.pod.link is None:
            raise _not_connected()
        if self.uuid == CCCD_UUID:
            # BlueZ owns the CCCD: clients use StartNotify/StopNotify
            raise DBusError("org.bluez.Error.NotPermitted", "Write not permitted")
        if not self.flags & (_FLAG_WRITE | _FLAG_WRITE_NO_RESPONSE):
            raise _att_error(ATT_WRITE_NOT_PERMITTED)
        self.char.pod.remote_write(self.handle, bytes(value))

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> DBusStr:
        return self.uuid

    @dbus_property(access=PropertyAccess.READ)
    def Characteristic(self) -> DBusObjectPath:
        return self.char.path

    @dbus_property(access=PropertyAccess.READ)
    def Value(self) -> DBusBytes:
        return b""

    @dbus_property(access=PropertyAccess.READ)
    def Flags(self) -> DBusStrList:
        return [name for bit, name in _PROPERTY_NAMES[:4] if self.flags & bit]

    @dbus_property(access=PropertyAccess.READ)
    def Handle(self) -> DBusUInt16:
        return self.handle


class Link:
    """One BLE connection between the adapter and a pod."""

    def __init__(self, device: Device, conn_handle: int) -> None:
        self.device = device
        self.conn_handle = conn_handle
        self.encrypted = False
        self.authenticated = False


class AirCounters:
    """ATT PDUs and their bytes that crossed a link (both directions)."""

    def __init__(self) -> None:
        self.pdus = 0
        self.bytes = 0

    def add(self, att_bytes: int) -> None:
        self.pdus += 1
        self.bytes += att_bytes


class PodRadio:
    """The radio of one virtual pod, as the adapter hears it."""

    def __init__(self, bluez: "EmulatedBlueZ", writer: asyncio.StreamWriter, index: int) -> None:
        self._bluez = bluez
        self._writer = writer
        self.index = index
        self.identity = f"C0:FF:EE:00:00:{index:02X}"
        self.addr_mode = 0
        self.gap_name = ""
        self.bond = False
        self.advertising = False
        self.connectable = True
        self.away_until = 0.0  # out of the adapter's range until then (time.monotonic)
        self.drop_plan: tuple[str, int, float] | None = None  # (char UUID, deliveries, away)
        self.corrupt_plan: tuple[str, int] | None = None  # (char UUID, values left to damage)
        self.adv_data = b""
        self.resp_data = b""
        self.values: dict[int, bytes] = {}
        self.layout: list[Any] = []
        self.services: list[GattService] = []
        self.chars: dict[int, GattCharacteristic] = {}
        self.device: Device | None = None
        self.link: Link | None = None
        self.traces: list[dict] = []
        self.trace_event = asyncio.Event()
        self.closed = asyncio.Event()
        self.air = AirCounters()

    # -- pod -> adapter -----------------------------------------------------------------

    def handle_frame(self, op: int, payload: bytes) -> None:
        if op == vlink.POD_NOTIFY or op == vlink.POD_INDICATE:
            conn, handle = struct.unpack_from("<HH", payload)
            value = payload[4:]
            link = self.link
            if link is not None and link.conn_handle == conn:
                self.air.add(3 + len(value))  # ATT opcode + handle + value
                if op == vlink.POD_INDICATE:
                    self.air.add(1)  # the client's confirmation
                char = self.chars.get(handle)
                if char is not None and self.corrupt_plan is not None:
                    value = self._maybe_corrupt(char, value)
                if (char is not None and char.deliver(value) and self.drop_plan is not None
                        and char.uuid == self.drop_plan[0]):
                    self._count_towards_drop()
            if op == vlink.POD_INDICATE:
                # BlueZ confirms every indication on a live link; on a lost one the
                # stack reports a failure (non-zero status) instead
                status = 0 if link is not None and link.conn_handle == conn else _INDICATE_FAILED
                self.send(vlink.frame(vlink.EV_INDICATE_DONE, struct.pack("<HHB", conn, handle, status)))
        elif op == vlink.POD_LOCAL_VALUE:
            handle, send_update = struct.unpack_from("<HB", payload)
            value = payload[3:]
            self.values[handle] = value
            char = self.chars.get(handle)
            if send_update and char is not None and self.link is not None:
                # the stack notifies (or indicates) the subscribed central itself
                if char.deliver(value):
                    self.air.add(3 + len(value))
        elif op == vlink.POD_TRACE:
            self.traces.append(json.loads(payload))
            self.trace_event.set()
        elif op == vlink.POD_ADVERTISE:
            msg = json.loads(payload)
            if "adv" in msg:
                self.adv_data = bytes.fromhex(msg["adv"])
            if "resp" in msg:
                self.resp_data = bytes.fromhex(msg["resp"])
            self.connectable = msg.get("connectable", True)
            self.advertising = msg["interval_us"] is not None
            if self.advertising:
                self._bluez.heard_advertising(self)
        elif op == vlink.POD_REGISTER:
            self.layout = json.loads(payload)["services"]
            self.values = {}
            self._bluez.rebuild_gatt(self)
        elif op == vlink.POD_CONFIG:
            msg = json.loads(payload)
            self.gap_name = msg["gap_name"]
            self.addr_mode = msg["addr_mode"]
            self.bond = msg["bond"]
            self.identity = _format_address(bytes.fromhex(msg["addr"]))
        elif op == vlink.POD_DISCONNECT:
            if self.link is not None and self.link.device.pod is self:
                asyncio.ensure_future(self._bluez.disconnect(self.link.device, notify_pod=False))
        else:
            log.warning("virtual pod %d sent unknown frame 0x%02x", self.index, op)

    def _maybe_corrupt(self, char: "GattCharacteristic", value: bytes) -> bytes:
        assert self.corrupt_plan is not None
        uuid, left = self.corrupt_plan
        if char.uuid != uuid or not char.notifying or not value:
            return value
        self.corrupt_plan = (uuid, left - 1) if left > 1 else None
        damaged = bytearray(value)
        damaged[len(damaged) // 2] ^= 0x40  # one flipped bit, as interference does
        return bytes(damaged)

    def _count_towards_drop(self) -> None:
        assert self.drop_plan is not None and self.link is not None
        uuid, left, away_s = self.drop_plan
        if left > 1:
            self.drop_plan = (uuid, left - 1, away_s)
            return
        self.drop_plan = None
        self._bluez.drop_link(self, away_s)

    # -- adapter -> pod -----------------------------------------------------------------

    def send(self, data: bytes) -> None:
        if not self._writer.is_closing():
            self._writer.write(data)

    def remote_write(self, handle: int, value: bytes) -> None:
        assert self.link is not None
        self.values[handle] = value
        self.send(vlink.frame_u16s(vlink.EV_WRITE, (self.link.conn_handle, handle), value))

    def stop(self) -> None:
        self.send(vlink.frame(vlink.EV_STOP))

    async def wait_trace(self, predicate: Callable[[dict], bool], timeout: float) -> dict:
        """Waits until the pod reports a trace entry that satisfies predicate."""
        seen = 0
        async with asyncio.timeout(timeout):
            while True:
                while seen < len(self.traces):
                    entry = self.traces[seen]
                    seen += 1
                    if predicate(entry):
                        return entry
                if self.closed.is_set():
                    raise ConnectionError("the virtual pod ended before reporting that")
                self.trace_event.clear()
                closed = asyncio.ensure_future(self.closed.wait())
                traced = asyncio.ensure_future(self.trace_event.wait())
                try:
                    await asyncio.wait({closed, traced}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    closed.cancel()
                    traced.cancel()


_MAX_BUS_BACKLOG = 64  # D-Bus messages queued in this process before pods are held back


class _NonBlockingSend:
    """dbus-fast 5.2's writer treats EAGAIN from a full socket as a dead connection
    (write_callback does not catch BlockingIOError) and drops the bus; this wrapper
    reports "0 bytes sent" instead, so the writer waits for the socket to drain."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock

    def send(self, data: Any) -> int:
        try:
            return self._sock.send(data)
        except BlockingIOError:
            return 0

    def sendmsg(self, buffers: Any, ancdata: Any) -> int:
        try:
            return self._sock.sendmsg(buffers, ancdata)
        except BlockingIOError:
            return 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _tolerate_full_socket(bus: MessageBus) -> None:
    writer = getattr(bus, "_writer", None)
    if writer is not None and hasattr(writer, "sock"):
        writer.sock = _NonBlockingSend(writer.sock)


class EmulatedBlueZ:
    """org.bluez on the bus at `bus_address`, with one adapter (hci0) unless
    `adapter=False`, and a unix socket (`pod_socket`) for virtual pods' radios."""

    def __init__(self, bus_address: str, *, adapter: bool = True, powered: bool = True) -> None:
        self.bus_address = bus_address
        self._with_adapter = adapter
        self._powered = powered
        self.bus: MessageBus | None = None
        self.adapter: Adapter | None = None
        self.pods: list[PodRadio] = []
        self.devices: dict[str, Device] = {}
        self._server: asyncio.AbstractServer | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._conn_handles = itertools.count(1)
        self._pod_index = itertools.count(1)
        self._pod_arrived = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._scanner: asyncio.Future[None] | None = None

    @property
    def pod_socket(self) -> str:
        assert self._dir is not None, "not started"
        return str(Path(self._dir.name) / "radio.sock")

    async def start(self) -> "EmulatedBlueZ":
        self._dir = tempfile.TemporaryDirectory(prefix="stridepod-radio-")
        self._server = await asyncio.start_unix_server(self._serve_pod, path=self.pod_socket)
        self.bus = await MessageBus(bus_address=self.bus_address, bus_type=BusType.SYSTEM).connect()
        _tolerate_full_socket(self.bus)
        if self._with_adapter:
            self.adapter = Adapter(self, "00:1A:7D:DA:71:13", self._powered)
            self.bus.export(ADAPTER_PATH, self.adapter)
        await self.bus.request_name("org.bluez")
        return self

    async def stop(self) -> None:
        self.stop_scanning()
        for pod in self.pods:
            pod.stop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self.bus is not None:
            self.bus.disconnect()
            with contextlib.suppress(Exception):
                await self.bus.wait_for_disconnect()
            self.bus = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    async def __aenter__(self) -> "EmulatedBlueZ":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- pods' radios -------------------------------------------------------------------

    async def _serve_pod(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pod = PodRadio(self, writer, next(self._pod_index))
        self.pods.append(pod)
        self._pod_arrived.set()
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        rest = b""
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                frames, rest = vlink.split_frames(rest + chunk)
                for op, payload in frames:
                    pod.handle_frame(op, payload)
                await self._drain_bus()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            pod.advertising = False
            if pod.link is not None:
                self.link_lost(pod.link.device)
            pod.closed.set()
            pod.trace_event.set()
            writer.close()

    async def _drain_bus(self) -> None:
        """Backpressure: while the bus has a backlog of signals to write, stop reading
        the pods' radios, so a pod that sends faster than the link carries stalls in
        its stack (as it would on air) instead of the backlog growing without bound."""
        writer = getattr(self.bus, "_writer", None)
        while writer is not None and len(writer.messages) > _MAX_BUS_BACKLOG:
            await asyncio.sleep(0.001)

    async def wait_for_pod(self, timeout: float = 30) -> PodRadio:
        async with asyncio.timeout(timeout):
            while not self.pods:
                self._pod_arrived.clear()
                await self._pod_arrived.wait()
        return self.pods[-1]

    def heard_advertising(self, pod: PodRadio) -> None:
        if pod.device is None:
            self._resolve_bonded(pod)
        if (self.adapter is not None and self.adapter.discovering
                and pod.away_until <= time.monotonic()):
            self._discovered(pod)

    def start_scanning(self) -> None:
        self._scanner = asyncio.ensure_future(self._scan())

    def stop_scanning(self) -> None:
        if self._scanner is not None:
            self._scanner.cancel()
            self._scanner = None

    async def _scan(self) -> None:
        # each advertising pod is heard once per advertising interval, as a fresh
        # report (BlueZ updates RSSI), so scanners that start listening late hear it too
        while True:
            await asyncio.sleep(ADVERTISING_INTERVAL_S)
            now = time.monotonic()
            for pod in self.pods:
                if pod.advertising and pod.away_until <= now:
                    self._discovered(pod)

    def _air_address(self, pod: PodRadio) -> str:
        if pod.addr_mode == 2:
            # a resolvable private address: top bits 01, the rest stable per pod here
            return f"{0x40 | (pod.index & 0x3F):02X}:5E:C0:{pod.index:02X}:A1:B2"
        return pod.identity

    def _discovered(self, pod: PodRadio) -> None:
        assert self.adapter is not None and self.bus is not None
        adv = parse_advertising(pod.adv_data + pod.resp_data)
        if self.adapter.uuid_filter and not self.adapter.uuid_filter & set(adv["UUIDs"]):
            return
        device = pod.device or self._resolve_bonded(pod)
        if device is None:
            address = self._air_address(pod)
            device = Device(self, pod, _address_path(address), address)
            device.adv = adv
            pod.device = device
            self.devices[device.path] = device
            self.bus.export(device.path, device)
        else:
            device.adv = adv
            device.rssi = -60 if device.rssi != -60 else -61  # a fresh report, as BlueZ sends
            device.update({"RSSI": device.rssi, "UUIDs": device.UUIDs, "Name": device.Name})

    def _resolve_bonded(self, pod: PodRadio) -> Device | None:
        """A pod this adapter is bonded with, heard on a new radio (it rebooted): its
        private address resolves to the device BlueZ already knows, which from now on
        is this radio (so a bonded central reconnects without scanning)."""
        for device in self.devices.values():
            previous = device.pod
            if (device.paired and previous is not pod and previous.identity == pod.identity
                    and previous.link is None):
                self._unexport_gatt(previous)
                previous.device = None
                device.pod = pod
                pod.device = device
                return device
        return None

    def set_powered(self, powered: bool) -> None:
        assert self.adapter is not None
        self.adapter.powered = bool(powered)
        self.adapter.emit_properties_changed({"Powered": self.adapter.powered})
        if not powered:
            for device in self.devices.values():
                if device.pod.link is not None:
                    self.link_lost(device)

    # -- GATT objects -------------------------------------------------------------------

    def rebuild_gatt(self, pod: PodRadio) -> None:
        self._unexport_gatt(pod)
        if pod.device is not None and pod.device.connected:
            self._export_gatt(pod)

    def _unexport_gatt(self, pod: PodRadio) -> None:
        assert self.bus is not None
        for service in pod.services:
            for char in service.characteristics:
                for desc in char.descriptors:
                    self.bus.unexport(desc.path, desc)
                self.bus.unexport(char.path, char)
            self.bus.unexport(service.path, service)
        pod.services = []
        pod.chars = {}

    def _export_gatt(self, pod: PodRadio) -> None:
        assert self.bus is not None and pod.device is not None
        if pod.services:
            return
        for service_uuid, service_handle, chars in pod.layout:
            service = GattService(
                f"{pod.device.path}/service{service_handle:04x}", pod.device.path,
                service_uuid, service_handle,
            )
            self.bus.export(service.path, service)
            pod.services.append(service)
            for char_uuid, flags, decl, value_handle, cccd, descs in chars:
                char = GattCharacteristic(pod, service, char_uuid, flags, decl, value_handle)
                self.bus.export(char.path, char)
                service.characteristics.append(char)
                pod.chars[value_handle] = char
                if cccd:
                    desc = GattDescriptor(char, CCCD_UUID, _FLAG_READ | _FLAG_WRITE, cccd)
                    self.bus.export(desc.path, desc)
                    char.descriptors.append(desc)
                for desc_uuid, desc_flags, desc_handle in descs:
                    desc = GattDescriptor(char, desc_uuid, desc_flags, desc_handle)
                    self.bus.export(desc.path, desc)
                    char.descriptors.append(desc)

    # -- connections --------------------------------------------------------------------

    async def connect(self, device: Device) -> None:
        pod = device.pod
        if self.adapter is None or not self.adapter.powered:
            raise DBusError("org.bluez.Error.NotReady", "Resource Not Ready")
        if pod.link is not None:
            if pod.link.device is device:
                return
            raise DBusError("org.bluez.Error.Failed", "Software caused connection abort")
        if (pod.closed.is_set() or not pod.advertising or not pod.connectable
                or pod.away_until > time.monotonic()):
            await asyncio.sleep(0.05)  # a connection attempt that hears nothing
            raise DBusError("org.bluez.Error.Failed", "le-connection-abort-by-timeout")
        link = Link(device, next(self._conn_handles) & 0xFFFF)
        pod.link = link
        pod.advertising = False  # a connectable advertising set ends when a central connects
        adapter_addr = bytes.fromhex(self.adapter._address.replace(":", ""))
        pod.send(vlink.frame(vlink.EV_CONNECT, struct.pack("<HB", link.conn_handle, 0) + adapter_addr))
        if device.paired:
            self._encrypt(link)
        device.connected = True
        device.update({"Connected": True})
        self._export_gatt(pod)
        device.services_resolved = True
        device.update({"ServicesResolved": True, "UUIDs": device.UUIDs})

    def _encrypt(self, link: Link) -> None:
        pod = link.device.pod
        link.encrypted = True
        link.authenticated = False  # Just Works: the pod has no display or keys
        pod.send(vlink.frame(
            vlink.EV_ENCRYPTION,
            struct.pack("<HBBBB", link.conn_handle, 1, 0, 1 if link.device.bonded else 0, 16),
        ))

    async def pair(self, device: Device) -> None:
        if device.paired:
            raise DBusError("org.bluez.Error.AlreadyExists", "Already Exists")
        if device.pod.link is None:
            await self.connect(device)
        link = device.pod.link
        assert link is not None
        device.paired = True
        device.bonded = device.pod.bond
        self._encrypt(link)
        changed: dict[str, Any] = {"Paired": True, "Bonded": device.bonded}
        if device.address != device.pod.identity:
            # once bonded, the identity address is known (the RPA is resolved)
            device.address = device.pod.identity
            device.address_type = "public" if device.pod.addr_mode == 0 else "random"
            changed["Address"] = device.address
        device.update(changed)

    async def disconnect(self, device: Device, *, notify_pod: bool) -> None:
        link = device.pod.link
        if link is None or link.device is not device:
            return
        self.link_lost(device, tell_pod=notify_pod)

    def _tell_pod_disconnected(self, link: Link) -> None:
        adapter_addr = bytes.fromhex(self.adapter._address.replace(":", "")) if self.adapter else bytes(6)
        link.device.pod.send(vlink.frame(
            vlink.EV_DISCONNECT, struct.pack("<HB", link.conn_handle, 0) + adapter_addr
        ))

    def link_lost(self, device: Device, *, tell_pod: bool = True) -> None:
        """The link is gone (supervision timeout, power, out of range)."""
        pod = device.pod
        link = pod.link
        pod.link = None
        if link is not None and tell_pod and not pod.closed.is_set():
            self._tell_pod_disconnected(link)
        for char in pod.chars.values():
            char.link_lost()
        if not device.paired:
            self._unexport_gatt(pod)  # BlueZ keeps the GATT cache of bonded devices only
        if device.services_resolved:
            device.services_resolved = False
            device.update({"ServicesResolved": False})
        if device.connected:
            device.connected = False
            device.update({"Connected": False})

    def drop_link(self, pod: PodRadio | None = None, away_s: float = 0.0) -> bool:
        """Loses the radio link to `pod` (default: any connected pod) at this moment;
        with away_s the pod then stays out of range (not heard, not connectable) that
        long. Returns False if there was no link."""
        for candidate in [pod] if pod is not None else self.pods:
            if candidate is not None and candidate.link is not None:
                self.out_of_range(candidate, away_s)
                self.link_lost(candidate.link.device)
                return True
        return False

    def out_of_range(self, pod: PodRadio, seconds: float) -> None:
        """For `seconds` from now the adapter neither hears nor reaches `pod`."""
        pod.away_until = time.monotonic() + seconds

    def drop_after(self, pod: PodRadio, char_uuid: str, deliveries: int, away_s: float = 0.0) -> None:
        """Drops the link right after the pod's next `deliveries` notifications or
        indications of characteristic `char_uuid` reach the client (e.g. in the middle of
        a backfill), then keeps the pod away_s out of range."""
        if deliveries < 1:
            raise ValueError("deliveries must be at least 1")
        pod.drop_plan = (char_uuid.lower(), deliveries, away_s)

    def corrupt_next(self, pod: PodRadio, char_uuid: str, count: int) -> None:
        """Flips a bit in each of the next `count` values of `char_uuid` that reach the
        client (what the link layer's CRC would normally catch; tests the host's)."""
        pod.corrupt_plan = (char_uuid.lower(), count) if count > 0 else None

    async def remove_device(self, path: str) -> None:
        device = self.devices.get(path)
        if device is None:
            raise DBusError("org.bluez.Error.DoesNotExist", "Does Not Exist")
        if device.pod.link is not None:
            await self.disconnect(device, notify_pod=True)
        assert self.bus is not None
        self._unexport_gatt(device.pod)
        self.bus.unexport(path, device)
        del self.devices[path]
        device.pod.device = None
