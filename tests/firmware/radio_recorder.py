# A recording stand-in for MicroPython's `bluetooth` module, for GATT-level tests of
# podfw.link under the unix port (which has no `bluetooth`) and under CPython. It keeps
# the same call signatures as the ESP32 port and records what the firmware sent; the
# end-to-end path through a real BLE client is the virtual pod's job. Plain Python that
# runs under both interpreters.
import sys

FLAG_READ = 0x0002
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020

IRQ_CENTRAL_CONNECT = 1
IRQ_CENTRAL_DISCONNECT = 2
IRQ_GATTS_WRITE = 3
IRQ_GATTS_INDICATE_DONE = 20
IRQ_ENCRYPTION_UPDATE = 28
IRQ_GET_SECRET = 29
IRQ_SET_SECRET = 30

ENOTCONN = 107
ENOMEM = 12


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
    def __init__(self, pairing_api=True):
        # pairing_api=False behaves like a build without the pairing/bonding API
        # (the stock ESP32 port): bond/le_secure/mitm/io are unknown config keys
        self.pairing_api = pairing_api
        self.handler = None
        self.is_active = False
        self.settings = {}
        self.values = {}
        self.flags = {}  # value handle -> characteristic flags
        self.uuids = {}  # value handle -> UUID
        self.connected = set()
        self.notified = []  # (conn, handle, bytes)
        self.indicated = []  # (conn, handle, bytes)
        self.updates = []  # (handle, bytes) written with send_update
        self.advertising = []  # (interval_us, adv, resp)
        self.notify_room = None  # None = unlimited; else notifications before ENOMEM

    # -- the module API ---------------------------------------------------------------
    def active(self, *args):
        if args:
            self.is_active = bool(args[0])
        return self.is_active

    def config(self, *args, **kwargs):
        if args:
            return self.settings[args[0]]
        for key in ("bond", "le_secure", "mitm", "io"):
            if key in kwargs and not self.pairing_api:
                raise ValueError("unknown config param")
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
        if send_update:  # the stack notifies or indicates the subscribed centrals
            self.updates.append((handle, bytes(data)))

    def gatts_read(self, handle):
        return self.values[handle]

    def gatts_notify(self, conn, handle, data=None):
        if conn not in self.connected:
            raise OSError(ENOTCONN)
        if self.notify_room is not None:
            if self.notify_room == 0:
                raise OSError(ENOMEM)
            self.notify_room -= 1
        self.notified.append((conn, handle, bytes(self.values[handle] if data is None else data)))

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

    def connect(self, conn):
        self.connected.add(conn)
        return self.handler(IRQ_CENTRAL_CONNECT, (conn, 1, b"\x01\x02\x03\x04\x05\x06"))

    def disconnect(self, conn):
        self.connected.discard(conn)
        return self.handler(IRQ_CENTRAL_DISCONNECT, (conn, 1, b"\x01\x02\x03\x04\x05\x06"))

    def encrypt(self, conn, bonded=True):
        return self.handler(IRQ_ENCRYPTION_UPDATE, (conn, True, False, bonded, 16))

    def write(self, conn, handle, data):
        self.values[handle] = bytes(data[:20])  # the default 20-byte value buffer truncates
        return self.handler(IRQ_GATTS_WRITE, (conn, handle))

    def ack_indication(self, conn, handle):
        return self.handler(IRQ_GATTS_INDICATE_DONE, (conn, handle, 0))


def install():
    """Makes `import bluetooth` give this module (call before importing podfw.link.gatt)."""
    sys.modules["bluetooth"] = sys.modules[__name__]
