# A recording stand-in for MicroPython's `bluetooth` module, for GATT-level tests of
# podfw.link under the unix port (which has no `bluetooth`) and under CPython. It keeps
# the same call signatures as the ESP32 port and records what the firmware sent; the
# end-to-end path through a real BLE client is the virtual pod's job. Plain Python that
# runs under both interpreters.
#
# Like the ESP32 port's NimBLE binding: a read of a characteristic raises
# _IRQ_GATTS_READ_REQUEST; a central's CCCD write (subscribe) is the stack's own
# business (no IRQ) and lasts for its connection only: the binding keeps no CCCD for a
# bond (extmod/nimble/modbluetooth_nimble.c: "TODO: Implement CCCD persistence");
# gatts_write(..., send_update=True) notifies the connections subscribed now, and
# gatts_notify sends whatever the subscriptions.
#
# What NimBLE does on the ESP32 (MicroPython extmod/modbluetooth.c and
# extmod/nimble/modbluetooth_nimble.c) and this module does too: config(mtu=) needs an
# active stack (OSError ENODEV) and 23..527 (BLE_ATT_MTU_MAX; else OSError EINVAL); a
# notification longer than the link's MTU - 3 is cut to it (ble_att_tx; MicroPython's
# tests/multi_bluetooth/ble_mtu.py sends 64 bytes at MTU 50 and 47 arrive);
# gatts_notify raises OSError(ENOMEM) when the stack's buffers are gone (notify_room);
# gattc_exchange_mtu raises OSError(EALREADY) once the MTU was exchanged.
import sys

FLAG_READ = 0x0002
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020

IRQ_CENTRAL_CONNECT = 1
IRQ_CENTRAL_DISCONNECT = 2
IRQ_GATTS_WRITE = 3
IRQ_GATTS_READ_REQUEST = 4
IRQ_GATTS_INDICATE_DONE = 20
IRQ_ENCRYPTION_UPDATE = 28
IRQ_GET_SECRET = 29
IRQ_SET_SECRET = 30

IRQ_MTU_EXCHANGED = 21

ENOTCONN = 107
ENOMEM = 12
ENODEV = 19
EINVAL = 22
EALREADY = 114
ATT_MTU_MAX = 527  # NimBLE's BLE_ATT_MTU_MAX
# value updates kept for tests to inspect: a long run must not keep every one (the
# firmware tests run with the pod's heap budget)
UPDATES_KEPT = 64


class UUID:
    def __init__(self, value):
        self.value = value.lower() if isinstance(value, str) else value

    def __eq__(self, other):
        return isinstance(other, UUID) and other.value == self.value

    def __hash__(self):
        return hash(self.value)

    def __repr__(self):
        return "UUID(%r)" % (self.value,)


class BLE:
    def __init__(self):
        self.handler = None
        self.is_active = False
        self.settings = {}
        self.values = {}
        self.flags = {}  # value handle -> characteristic flags
        self.uuids = {}  # value handle -> UUID
        self.connected = set()
        self.cccd = {}  # conn -> value handles it subscribed to on this connection
        self.notified = []  # (conn, handle, bytes)
        self.indicated = []  # (conn, handle, bytes)
        self.updates = []  # (handle, bytes) written with send_update, the last UPDATES_KEPT
        self.advertising = []  # (interval_us, adv, resp)
        self.notify_room = None  # None = unlimited; else notifications before ENOMEM
        self.enomem = 0  # notifications refused for want of buffers
        self.mtu = {}  # conn -> exchanged ATT MTU (23 until exchange_mtu)
        self.mtu_requests = []  # conns the firmware asked to exchange MTUs with
        self.sink = None  # a bytearray: notifications are copied here instead of listed
        self.sink_len = 0  # (no allocation, for tests under micropython.heap_lock)
        self.discard = False  # True: notifications are only counted (as fast as C would)
        self.discarded = 0

    # -- the module API ---------------------------------------------------------------
    def active(self, *args):
        if args:
            self.is_active = bool(args[0])
        return self.is_active

    def config(self, *args, **kwargs):
        if args:
            return self.settings[args[0]]
        if "mtu" in kwargs:
            if not self.is_active:
                raise OSError(ENODEV)
            if not 23 <= kwargs["mtu"] <= ATT_MTU_MAX:
                raise OSError(EINVAL)
        self.settings.update(kwargs)
        return None

    def irq(self, handler):
        self.handler = handler

    def gap_advertise(self, interval_us, adv_data=None, resp_data=None, connectable=True):
        self.advertising.append((interval_us, adv_data, resp_data))

    def gatts_register_services(self, services):
        handle = 0x10
        result = []
        for _service_uuid, chars in services:
            handle += 1
            handles = []
            for char in chars:
                handle += 2
                self.values[handle] = b""
                self.flags[handle] = char[1]
                self.uuids[handle] = char[0]
                handles.append(handle)
                if char[1] & (FLAG_NOTIFY | FLAG_INDICATE):
                    handle += 1
            result.append(tuple(handles))
        return tuple(result)

    def gatts_write(self, handle, data, send_update=False):
        if handle not in self.values:
            raise OSError(22)
        self.values[handle] = bytes(data)
        if send_update:  # the stack notifies the centrals subscribed on this connection
            self.updates.append((handle, bytes(data)))
            for conn in sorted(self.cccd):
                if handle in self.cccd[conn]:
                    self.notified.append((conn, handle, bytes(data)))
            if len(self.updates) > UPDATES_KEPT:
                del self.updates[0]

    def gatts_read(self, handle):
        return self.values[handle]

    def gatts_notify(self, conn, handle, data=None):
        if conn not in self.connected:
            raise OSError(ENOTCONN)
        if self.notify_room is not None:
            if self.notify_room == 0:
                self.enomem += 1
                raise OSError(ENOMEM)
            self.notify_room -= 1
        if data is None:
            data = self.values[handle]
        n = len(data)
        room = self.mtu.get(conn, 23) - 3
        if n > room:
            n = room  # NimBLE cuts the value to the MTU
        if self.discard:
            self.discarded += 1
            return
        if self.sink is not None:
            sink = self.sink
            at = self.sink_len
            for i in range(n):
                sink[at + i] = data[i]
            self.sink_len = at + n
            return
        self.notified.append((conn, handle, bytes(data[:n])))

    def gattc_exchange_mtu(self, conn):
        if conn not in self.connected:
            raise OSError(ENOTCONN)
        if conn in self.mtu:
            raise OSError(EALREADY)
        self.mtu_requests.append(conn)

    def gatts_indicate(self, conn, handle, data=None):
        if conn not in self.connected:
            raise OSError(ENOTCONN)
        self.indicated.append((conn, handle, bytes(self.values[handle] if data is None else data)))

    # -- the central's side, driven by tests ------------------------------------------
    def handle_of(self, uuid):
        for handle, known in self.uuids.items():
            if known == UUID(uuid):
                return handle
        raise KeyError(uuid)

    def connect(self, conn, addr=b"\x01\x02\x03\x04\x05\x06", addr_type=1):
        self.connected.add(conn)
        self.cccd[conn] = set()
        return self.handler(IRQ_CENTRAL_CONNECT, (conn, addr_type, addr))

    def disconnect(self, conn, addr=b"\x01\x02\x03\x04\x05\x06", addr_type=1):
        self.connected.discard(conn)
        self.cccd.pop(conn, None)  # the binding keeps no CCCD, bonded or not
        self.mtu.pop(conn, None)
        return self.handler(IRQ_CENTRAL_DISCONNECT, (conn, addr_type, addr))

    def read(self, conn, handle):
        """A central reads a characteristic: the IRQ may refuse it (non-zero)."""
        refused = self.handler(IRQ_GATTS_READ_REQUEST, (conn, handle))
        return None if refused else self.values[handle]

    def subscribe(self, conn, handle):
        """A central writes the CCCD of `handle` (notifications on): NimBLE's business."""
        if not self.flags[handle] & (FLAG_NOTIFY | FLAG_INDICATE):
            raise OSError(3)  # ATT "write not permitted"
        self.cccd[conn].add(handle)

    def encrypt(self, conn, bonded=True):
        return self.handler(IRQ_ENCRYPTION_UPDATE, (conn, True, False, bonded, 16))

    def write(self, conn, handle, data):
        self.values[handle] = bytes(data[:20])  # the default 20-byte value buffer truncates
        return self.handler(IRQ_GATTS_WRITE, (conn, handle))

    def exchange_mtu(self, conn, central_mtu):
        """The central's Exchange MTU request (or its answer to the pod's): the link
        gets the smaller of the two preferred MTUs and the IRQ reports it."""
        mtu = min(central_mtu, self.settings.get("mtu", 23))
        self.mtu[conn] = mtu
        return self.handler(IRQ_MTU_EXCHANGED, (conn, mtu))

    def ack_indication(self, conn, handle):
        return self.handler(IRQ_GATTS_INDICATE_DONE, (conn, handle, 0))


def install():
    """Makes `import bluetooth` give this module (call before importing podfw.link.gatt)."""
    sys.modules["bluetooth"] = sys.modules[__name__]
