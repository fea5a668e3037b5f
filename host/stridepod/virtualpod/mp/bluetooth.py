"""Stand-in for MicroPython's low-level `bluetooth` module, for the firmware running under
the `micropython` unix binary as a virtual pod. Same API as on the ESP32 (`BLE()`,
`active`, `config`, `irq`, `gap_advertise`, `gap_disconnect`, `gatts_register_services`,
`gatts_read/write/notify/indicate/set_buffer`, `UUID`, `FLAG_*`); the radio is a local
socket to the emulated BlueZ (`stridepod.virtualpod.bluez`), framed as in `vlink`.

As NimBLE does on the ESP32 (MicroPython's extmod/modbluetooth.c and
extmod/nimble/modbluetooth_nimble.c): `config(mtu=)` sets the MTU the stack offers in
MTU exchanges (only while active: OSError ENODEV; 23-527: else OSError EINVAL);
`gattc_exchange_mtu` asks for one (OSError EALREADY once done on that link); every
exchange raises `_IRQ_MTU_EXCHANGED` (conn, mtu); a notification or indication longer
than MTU - 3 is cut to it (ble_att_tx); each one holds one of TX_BUFFERS buffers (the
mbufs of NimBLE's msys pool) until the controller has sent it, and with none free
`gatts_notify`/`gatts_indicate` raise OSError(ENOMEM) (ble_hs_mbuf_from_flat failing).

Put the directory holding this file on MICROPYPATH; set STRIDEPOD_VPOD_SOCKET to the
emulator's unix socket. The one addition to the real API is `poll_events(timeout_ms)`:
on the ESP32 the stack raises IRQs by itself, running the handler synchronously on the
NimBLE host task (MICROPY_PY_BLUETOOTH_USE_SYNC_EVENTS), between two bytecodes of the
main task; here the replay loop calls it between samples and the IRQ handler runs from
there. Like the ESP32 binding, a read of a characteristic raises
_IRQ_GATTS_READ_REQUEST, and the CCCDs are the stack's (the emulated radio's): no IRQ
when a central subscribes, and nothing kept for a bond when the link ends.
"""

import json
import os
import select
import socket
import struct

import vlink

# the module's FLAG_* (MicroPython's bits), defined once in vlink: the emulator reads them too
from vlink import (  # noqa: F401
    FLAG_INDICATE,
    FLAG_NOTIFY,
    FLAG_READ,
    FLAG_WRITE,
    FLAG_WRITE_NO_RESPONSE,
)

_IRQ_CENTRAL_CONNECT = 1
_IRQ_CENTRAL_DISCONNECT = 2
_IRQ_GATTS_WRITE = 3
_IRQ_GATTS_READ_REQUEST = 4
_IRQ_GATTS_INDICATE_DONE = 20
_IRQ_MTU_EXCHANGED = 21
_IRQ_ENCRYPTION_UPDATE = 28

_FIRST_HANDLE = 0x10  # NimBLE puts GAP/GATT services below this
_DEFAULT_BUFFER = 20
_ENOTCONN = 107
_EINVAL = 22
_ENOMEM = 12
_ENODEV = 19
_EALREADY = 114
_ATT_MTU_DEFAULT = 23
_ATT_MTU_MAX = 527  # NimBLE's BLE_ATT_MTU_MAX
_NIMBLE_PREFERRED_MTU = 256  # NimBLE's default (MicroPython's tests/multi_bluetooth/ble_mtu.py)
# NimBLE's msys_1 pool on the ESP32: 12 blocks of 292 bytes (esp_nimble_cfg.h defaults);
# one holds a notification of up to MTU 247 with its headers
TX_BUFFERS = 12
_FULL_WAIT_MS = 5  # poll_events(0) with every buffer queued waits this long for the radio


class UUID:
    """16-bit (int) or 128-bit (string) UUID; compares and hashes by value."""

    def __init__(self, value):
        if isinstance(value, UUID):
            self._text = value._text
        elif isinstance(value, int):
            if not 0 <= value <= 0xFFFF:
                raise ValueError("invalid UUID")
            self._text = f"0000{value:04x}-0000-1000-8000-00805f9b34fb"
        elif isinstance(value, str):
            hexdigits = value.replace("-", "").lower()
            if len(hexdigits) != 32:
                raise ValueError("invalid UUID")
            int(hexdigits, 16)
            self._text = "-".join((hexdigits[:8], hexdigits[8:12], hexdigits[12:16],
                                   hexdigits[16:20], hexdigits[20:]))
        else:
            raise TypeError("UUID needs an int or a str")

    def __eq__(self, other):
        return isinstance(other, UUID) and other._text == self._text

    def __hash__(self):
        return hash(self._text)

    def __str__(self):
        return self._text

    def __repr__(self):
        return "UUID('" + self._text + "')"


_singleton = None


def poll_events(timeout_ms=0):
    """Delivers the events the link has received to the IRQ handler; waits up to
    timeout_ms for the first one. Returns False once the host has said stop."""
    if _singleton is None:
        return True
    return _singleton._pump(timeout_ms)


class BLE:
    def __new__(cls):
        global _singleton
        if _singleton is None:
            _singleton = object.__new__(cls)
            _singleton._setup()
        return _singleton

    def __init__(self):
        pass

    def _setup(self):
        path = os.getenv("STRIDEPOD_VPOD_SOCKET")
        if not path:
            raise OSError("STRIDEPOD_VPOD_SOCKET is not set: the virtual radio has no link")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # the unix port takes a raw struct sockaddr_un
        self._sock.connect(struct.pack("<H", socket.AF_UNIX) + path.encode() + b"\0")
        self._poller = select.poll()
        self._poller.register(self._sock, select.POLLIN)
        self._rx = b""
        self._active = False
        self._handler = None
        self._stopped = False
        self._conns = {}  # conn handle -> (addr_type, addr)
        self._mtus = {}  # conn handle -> exchanged ATT MTU (or None: the pod's request is out)
        self._tx_held = {}  # conn handle -> buffers its PDUs hold until sent
        self.enomem = 0  # notifications and indications refused for want of a buffer
        self._values = {}  # value handle -> bytearray
        self._buffers = {}  # value handle -> [max length, append]
        self._config = {
            "gap_name": "",
            "addr_mode": 0,
            "mtu": _NIMBLE_PREFERRED_MTU,
            "rxbuf": 1024,
            "bond": False,
            "mitm": False,
            "io": 3,
            "le_secure": False,
        }
        addr = os.getenv("STRIDEPOD_VPOD_ADDR") or "c0ffee000001"
        self._addr = bytes.fromhex(addr.replace(":", ""))

    # -- link ---------------------------------------------------------------------------

    def _send(self, data):
        view = memoryview(data)
        while len(view):
            sent = self._sock.send(view)
            view = view[sent:]

    def _send_json(self, op, obj):
        self._send(vlink.frame(op, json.dumps(obj).encode()))

    def _pump(self, timeout_ms):
        if self._stopped:
            return False
        wait = timeout_ms
        if wait == 0 and self._tx_free() == 0:
            wait = _FULL_WAIT_MS  # nothing to do but wait for the radio to send
        while True:
            ready = self._poller.poll(wait)
            if not ready:
                return not self._stopped
            chunk = self._sock.recv(4096)
            if not chunk:
                # the host went away: behave like a radio that lost every link, then stop
                for conn in list(self._conns):
                    self._drop(conn)
                self._stopped = True
                return False
            frames, self._rx = vlink.split_frames(self._rx + chunk)
            for op, payload in frames:
                self._dispatch(op, payload)
            wait = 0

    def _irq(self, event, data):
        if self._handler is not None:
            self._handler(event, data)

    def _dispatch(self, op, payload):
        if op == vlink.EV_CONNECT:
            conn, addr_type = struct.unpack_from("<HB", payload)
            addr = payload[3:9]
            self._conns[conn] = (addr_type, addr)
            self._irq(_IRQ_CENTRAL_CONNECT, (conn, addr_type, addr))
        elif op == vlink.EV_DISCONNECT:
            conn = struct.unpack_from("<H", payload)[0]
            if conn in self._conns:
                self._drop(conn)
        elif op == vlink.EV_WRITE:
            conn, handle = struct.unpack_from("<HH", payload)
            if conn not in self._conns or handle not in self._values:
                return
            self._store_remote_write(handle, payload[4:])
            self._irq(_IRQ_GATTS_WRITE, (conn, handle))
        elif op == vlink.EV_READ:
            conn, handle = struct.unpack_from("<HH", payload)
            if conn in self._conns and handle in self._values:
                self._irq(_IRQ_GATTS_READ_REQUEST, (conn, handle))
        elif op == vlink.EV_ENCRYPTION:
            conn, encrypted, authenticated, bonded, key_size = struct.unpack_from("<HBBBB", payload)
            if conn in self._conns:
                self._irq(
                    _IRQ_ENCRYPTION_UPDATE,
                    (conn, bool(encrypted), bool(authenticated), bool(bonded), key_size),
                )
        elif op == vlink.EV_MTU:
            conn, mtu = struct.unpack_from("<HH", payload)
            if conn in self._conns:
                self._mtus[conn] = mtu
                self._irq(_IRQ_MTU_EXCHANGED, (conn, mtu))
        elif op == vlink.EV_TX_DONE:
            conn, count = struct.unpack_from("<HH", payload)
            if conn in self._tx_held:
                self._tx_held[conn] = max(0, self._tx_held[conn] - count)
        elif op == vlink.EV_INDICATE_DONE:
            conn, handle, status = struct.unpack_from("<HHB", payload)
            self._irq(_IRQ_GATTS_INDICATE_DONE, (conn, handle, status))
        elif op == vlink.EV_STOP:
            self._stopped = True

    def _drop(self, conn):
        addr_type, addr = self._conns.pop(conn)
        self._mtus.pop(conn, None)
        self._tx_held.pop(conn, None)  # the stack frees what it still held for the link
        self._irq(_IRQ_CENTRAL_DISCONNECT, (conn, addr_type, addr))

    def _store_remote_write(self, handle, data):
        limit, append = self._buffers.get(handle, (_DEFAULT_BUFFER, False))
        if append:
            value = self._values[handle] + data
            self._values[handle] = bytearray(value[:limit])
        else:
            self._values[handle] = bytearray(data[:limit])

    # -- configuration ------------------------------------------------------------------

    def active(self, *args):
        if args:
            self._active = bool(args[0])
            if not self._active:
                for conn in list(self._conns):
                    self._drop(conn)
                self._send_json(vlink.POD_ADVERTISE, {"interval_us": None})
        return self._active

    def config(self, *args, **kwargs):
        if args:
            if len(args) != 1 or kwargs:
                raise TypeError("config takes one name to query or keywords to set")
            name = args[0]
            if name == "mac":
                self._need_active()
                return (1 if self._config["addr_mode"] else 0, self._addr)
            if name not in self._config:
                raise ValueError("unknown config param")
            return self._config[name]
        for name in kwargs:
            if name not in self._config:
                raise ValueError("unknown config param")
        if "mtu" in kwargs:
            self._need_active(_ENODEV)
            if not _ATT_MTU_DEFAULT <= kwargs["mtu"] <= _ATT_MTU_MAX:
                raise OSError(_EINVAL)
        self._config.update(kwargs)
        self._send_json(
            vlink.POD_CONFIG,
            {
                "gap_name": str(self._config["gap_name"]),
                "addr_mode": self._config["addr_mode"],
                "addr": self._addr.hex(),
                "bond": bool(self._config["bond"]),
                "le_secure": bool(self._config["le_secure"]),
                "mtu": self._config["mtu"],
            },
        )
        return None

    def irq(self, handler):
        self._handler = handler

    def _need_active(self, errno=_EINVAL):
        if not self._active:
            raise OSError(errno)

    # -- GAP ----------------------------------------------------------------------------

    def gap_advertise(self, interval_us, adv_data=None, resp_data=None, connectable=True):
        self._need_active()
        msg = {"interval_us": interval_us, "connectable": bool(connectable)}
        if adv_data is not None:
            msg["adv"] = bytes(adv_data).hex()
        if resp_data is not None:
            msg["resp"] = bytes(resp_data).hex()
        self._send_json(vlink.POD_ADVERTISE, msg)

    def gap_disconnect(self, conn_handle):
        if conn_handle not in self._conns:
            return False
        self._send(vlink.frame_u16s(vlink.POD_DISCONNECT, (conn_handle,)))
        self._drop(conn_handle)
        return True

    # -- GATT server --------------------------------------------------------------------

    def gatts_register_services(self, services_definition):
        self._need_active()
        handle = _FIRST_HANDLE
        result = []
        described = []
        self._values = {}
        self._buffers = {}
        for service in services_definition:
            service_uuid, characteristics = service[0], service[1]
            service_handle = handle
            handle += 1
            value_handles = []
            chars = []
            for char in characteristics:
                char_uuid, flags = char[0], char[1]
                descriptors = char[2] if len(char) > 2 else ()
                decl = handle
                value = handle + 1
                handle += 2
                cccd = 0
                if flags & (FLAG_NOTIFY | FLAG_INDICATE):
                    cccd = handle
                    handle += 1
                self._values[value] = bytearray()
                value_handles.append(value)
                descs = []
                for desc in descriptors:
                    self._values[handle] = bytearray()
                    value_handles.append(handle)
                    descs.append([str(UUID(desc[0])), desc[1], handle])
                    handle += 1
                chars.append([str(UUID(char_uuid)), flags, decl, value, cccd, descs])
            described.append([str(UUID(service_uuid)), service_handle, chars])
            result.append(tuple(value_handles))
        self._send_json(vlink.POD_REGISTER, {"services": described})
        return tuple(result)

    def _value(self, value_handle):
        value = self._values.get(value_handle)
        if value is None:
            raise OSError(_EINVAL)
        return value

    def gatts_read(self, value_handle):
        value = bytes(self._value(value_handle))
        limit, append = self._buffers.get(value_handle, (_DEFAULT_BUFFER, False))
        if append:
            self._values[value_handle] = bytearray()
        return value

    def gatts_write(self, value_handle, data, send_update=False):
        self._value(value_handle)
        self._values[value_handle] = bytearray(data)
        limit, append = self._buffers.get(value_handle, (_DEFAULT_BUFFER, False))
        if len(data) > limit:
            self._buffers[value_handle] = (len(data), append)
        self._send(
            vlink.frame(
                vlink.POD_LOCAL_VALUE,
                struct.pack("<HB", value_handle, 1 if send_update else 0) + bytes(data),
            )
        )

    def gatts_set_buffer(self, value_handle, length, append=False):
        self._value(value_handle)
        self._buffers[value_handle] = (length, bool(append))

    def gatts_notify(self, conn_handle, value_handle, data=None):
        self._send_to_central(vlink.POD_NOTIFY, conn_handle, value_handle, data)

    def gatts_indicate(self, conn_handle, value_handle, data=None):
        self._send_to_central(vlink.POD_INDICATE, conn_handle, value_handle, data)

    def _send_to_central(self, op, conn_handle, value_handle, data):
        value = self._value(value_handle) if data is None else data
        if conn_handle not in self._conns:
            raise OSError(_ENOTCONN)
        if self._tx_free() == 0:
            self.enomem += 1
            raise OSError(_ENOMEM)
        room = (self._mtus.get(conn_handle) or _ATT_MTU_DEFAULT) - 3
        if len(value) > room:
            value = memoryview(value)[:room]  # NimBLE cuts the value to the link's MTU
        self._tx_held[conn_handle] = self._tx_held.get(conn_handle, 0) + 1
        self._send(vlink.frame_u16s(op, (conn_handle, value_handle), value))

    def _tx_free(self):
        held = 0
        for n in self._tx_held.values():
            held += n
        return TX_BUFFERS - held

    # -- GATT client (only what a peripheral uses) --------------------------------------

    def gattc_exchange_mtu(self, conn_handle):
        if conn_handle not in self._conns:
            raise OSError(_ENOTCONN)
        if conn_handle in self._mtus:
            raise OSError(_EALREADY)
        self._mtus[conn_handle] = None  # asked; EV_MTU brings the result
        self._send(vlink.frame_u16s(vlink.POD_EXCHANGE_MTU, (conn_handle,)))

    # -- virtual pod only ---------------------------------------------------------------

    def trace(self, obj):
        """Reports what the firmware computed (not part of the real module)."""
        self._send_json(vlink.POD_TRACE, obj)
