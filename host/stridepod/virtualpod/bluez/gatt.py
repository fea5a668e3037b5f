"""The GATT objects BlueZ exports for a connected device: org.bluez.GattService1,
GattCharacteristic1 (ReadValue, WriteValue, StartNotify, StopNotify, `Value` changes as
PropertiesChanged) and GattDescriptor1 (the CCCD included), at BlueZ's object paths
(/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF/service0010/char0011/desc0013): bleak finds a
device from a characteristic path by trimming it.

The attribute rules a real stack applies are here: only a subscribed characteristic
passes a notification to the client, an attribute that needs encryption refuses an
unencrypted link with the ATT error BlueZ reports, the CCCD belongs to BlueZ (clients use
StartNotify/StopNotify, which write it on the pod: the pod's stack keeps it, see
radio.PodRadio.cccd). The pod behind the objects is an `AttributePeer` (the radio
layer's PodRadio): its link's security, its attribute values, and the ATT requests that
reach it, which it counts on air. This layer imports neither the radio nor the emulator.
"""

from collections.abc import Iterator
from typing import Annotated, Any, Protocol

from dbus_fast import DBusError
from dbus_fast.annotations import (
    DBusBool,
    DBusBytes,
    DBusDict,
    DBusObjectPath,
    DBusSignature,
    DBusStr,
    DBusUInt16,
)
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_method, dbus_property

from stridepod.virtualpod.mp.vlink import (
    FLAG_AUTHENTICATED_SIGNED_WRITE,
    FLAG_BROADCAST,
    FLAG_INDICATE,
    FLAG_NOTIFY,
    FLAG_READ,
    FLAG_READ_AUTHENTICATED,
    FLAG_READ_ENCRYPTED,
    FLAG_WRITE,
    FLAG_WRITE_AUTHENTICATED,
    FLAG_WRITE_ENCRYPTED,
    FLAG_WRITE_NO_RESPONSE,
)

CCCD_UUID = "00002902-0000-1000-8000-00805f9b34fb"
ATT_MTU_BYTES = 23  # the default ATT MTU, until the link's MTU exchange

# MicroPython characteristic flags (bluetooth docs) -> what a GATT client learns
_PROPERTY_NAMES = (
    (FLAG_BROADCAST, "broadcast"),
    (FLAG_READ, "read"),
    (FLAG_WRITE_NO_RESPONSE, "write-without-response"),
    (FLAG_WRITE, "write"),
    (FLAG_NOTIFY, "notify"),
    (FLAG_INDICATE, "indicate"),
    (FLAG_AUTHENTICATED_SIGNED_WRITE, "authenticated-signed-writes"),
)
_ANY_SECURITY = (FLAG_READ_ENCRYPTED | FLAG_WRITE_ENCRYPTED
                 | FLAG_READ_AUTHENTICATED | FLAG_WRITE_AUTHENTICATED)

# ATT errors as BlueZ reports them ("Operation failed with ATT error: 0x..")
ATT_READ_NOT_PERMITTED = 0x02
ATT_WRITE_NOT_PERMITTED = 0x03
ATT_INSUFFICIENT_AUTHENTICATION = 0x05
ATT_INSUFFICIENT_ENCRYPTION = 0x0F

DBusStrList = Annotated[list[str], DBusSignature("as")]

# the layout a pod registers (vlink.POD_REGISTER):
# [[service uuid, handle, [[uuid, flags, decl, value, cccd, [[uuid, flags, handle]]]]]]
GattLayout = list[Any]


def att_error(code: int) -> DBusError:
    return DBusError("org.bluez.Error.Failed", f"Operation failed with ATT error: 0x{code:02x}")


def not_connected() -> DBusError:
    return DBusError("org.bluez.Error.Failed", "Not connected")


class LinkSecurity(Protocol):
    """What an attribute's permission check needs of the link (radio.Link)."""

    encrypted: bool
    authenticated: bool
    mtu: int

    @property
    def bonded(self) -> bool: ...


class AttributePeer(Protocol):
    """The pod behind the GATT objects (radio.PodRadio): `link` is None while it is not
    connected; the att_* requests cross the air (and are counted there); `local_value`
    and `remote_write` reach the pod's attribute table without being counted."""

    @property
    def link(self) -> LinkSecurity | None: ...

    def att_read(self, handle: int, offset: int) -> bytes: ...

    def att_write(self, handle: int, value: bytes, *, with_response: bool) -> None: ...

    def att_subscribe(self, handle: int, on: bool) -> None: ...

    def local_value(self, handle: int) -> bytes: ...

    def remote_write(self, handle: int, value: bytes) -> None: ...


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
        self, peer: AttributePeer, service: GattService, uuid: str, flags: int, decl: int,
        value_handle: int,
    ) -> None:
        super().__init__("org.bluez.GattCharacteristic1")
        self.peer = peer
        self.service = service
        self.path = f"{service.path}/char{decl:04x}"
        self.uuid = uuid
        self.flags = flags
        self.value_handle = value_handle
        self.value = b""
        self.notifying = False
        self.descriptors: list[GattDescriptor] = []

    def _check(self, needed: int, encrypted: int, authenticated: int, denied: int) -> None:
        link = self.peer.link
        if link is None:
            raise not_connected()
        if not self.flags & needed:
            raise att_error(denied)
        if self.flags & (encrypted | authenticated) and not link.encrypted:
            raise att_error(
                ATT_INSUFFICIENT_ENCRYPTION if link.bonded else ATT_INSUFFICIENT_AUTHENTICATION
            )
        if self.flags & authenticated and not link.authenticated:
            raise att_error(ATT_INSUFFICIENT_AUTHENTICATION)

    @dbus_method()
    def ReadValue(self, options: DBusDict) -> DBusBytes:
        self._check(FLAG_READ, FLAG_READ_ENCRYPTED, FLAG_READ_AUTHENTICATED, ATT_READ_NOT_PERMITTED)
        offset = options["offset"].value if "offset" in options else 0
        self.value = self.peer.att_read(self.value_handle, offset)
        return self.value[offset:]

    @dbus_method()
    def WriteValue(self, value: DBusBytes, options: DBusDict) -> None:
        kind = options["type"].value if "type" in options else "request"
        needed = FLAG_WRITE_NO_RESPONSE if kind == "command" else FLAG_WRITE
        if kind == "command" and not self.flags & FLAG_WRITE_NO_RESPONSE:
            needed = FLAG_WRITE
        self._check(needed, FLAG_WRITE_ENCRYPTED, FLAG_WRITE_AUTHENTICATED, ATT_WRITE_NOT_PERMITTED)
        self.peer.att_write(self.value_handle, bytes(value), with_response=kind != "command")

    @dbus_method()
    def StartNotify(self) -> None:
        if not self.flags & (FLAG_NOTIFY | FLAG_INDICATE):
            raise DBusError("org.bluez.Error.NotSupported", "Operation is not supported")
        # the CCCD inherits the characteristic's security (NimBLE does the same)
        self._check(self.flags, self.flags & _ANY_SECURITY, 0, ATT_WRITE_NOT_PERMITTED)
        if not self.notifying:
            self.notifying = True
            self.peer.att_subscribe(self.value_handle, True)
            self.emit_properties_changed({"Notifying": True})

    @dbus_method()
    def StopNotify(self) -> None:
        if self.notifying:
            self.notifying = False
            if self.peer.link is not None:
                self.peer.att_subscribe(self.value_handle, False)
            self.emit_properties_changed({"Notifying": False})

    def deliver(self, value: bytes) -> bool:
        """A notification or indication from the pod reached the adapter: True if the
        client is subscribed (it then sees the value)."""
        if not self.notifying:
            return False
        self.value = value
        self.emit_properties_changed({"Value": value})
        return True

    def mtu_changed(self) -> None:
        """The link's MTU was exchanged: BlueZ (5.62+) shows it as `MTU`."""
        self.emit_properties_changed({"MTU": self.MTU})

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
        link = self.peer.link
        return link.mtu if link is not None else ATT_MTU_BYTES

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
        if self.char.peer.link is None:
            raise not_connected()
        if self.uuid == CCCD_UUID:
            return bytes((1 if self.char.notifying else 0, 0))
        if not self.flags & FLAG_READ:
            raise att_error(ATT_READ_NOT_PERMITTED)
        return self.char.peer.local_value(self.handle)

    @dbus_method()
    def WriteValue(self, value: DBusBytes, options: DBusDict) -> None:
        if self.char.peer.link is None:
            raise not_connected()
        if self.uuid == CCCD_UUID:
            # BlueZ owns the CCCD: clients use StartNotify/StopNotify
            raise DBusError("org.bluez.Error.NotPermitted", "Write not permitted")
        if not self.flags & (FLAG_WRITE | FLAG_WRITE_NO_RESPONSE):
            raise att_error(ATT_WRITE_NOT_PERMITTED)
        self.char.peer.remote_write(self.handle, bytes(value))

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


def build_gatt_objects(peer: AttributePeer, device_path: str,
                       layout: GattLayout) -> list[GattService]:
    """The services, characteristics and descriptors (a CCCD for each characteristic
    that notifies or indicates) of the layout a pod registered, under `device_path`."""
    services = []
    for service_uuid, service_handle, chars in layout:
        service = GattService(
            f"{device_path}/service{service_handle:04x}", device_path, service_uuid,
            service_handle,
        )
        services.append(service)
        for char_uuid, flags, decl, value_handle, cccd, descs in chars:
            char = GattCharacteristic(peer, service, char_uuid, flags, decl, value_handle)
            service.characteristics.append(char)
            if cccd:
                char.descriptors.append(GattDescriptor(char, CCCD_UUID, FLAG_READ | FLAG_WRITE, cccd))
            for desc_uuid, desc_flags, desc_handle in descs:
                char.descriptors.append(GattDescriptor(char, desc_uuid, desc_flags, desc_handle))
    return services


def objects_in_export_order(services: list[GattService]) -> Iterator[tuple[str, ServiceInterface]]:
    """(path, object) of each service, then of each of its characteristics followed by
    its descriptors: the order InterfacesAdded announces them (a parent before its
    children)."""
    for service in services:
        yield service.path, service
        for char in service.characteristics:
            yield char.path, char
            for desc in char.descriptors:
                yield desc.path, desc


def objects_in_unexport_order(services: list[GattService]) -> Iterator[tuple[str, ServiceInterface]]:
    """(path, object), children before their parent: a characteristic's descriptors, the
    characteristic, ..., then the service."""
    for service in services:
        for char in service.characteristics:
            for desc in char.descriptors:
                yield desc.path, desc
            yield char.path, char
        yield service.path, service
