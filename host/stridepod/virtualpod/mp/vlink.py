"""The virtual radio link between a virtual pod (MicroPython, `bluetooth.py` stand-in) and
the emulated BlueZ (CPython, `stridepod.virtualpod.bluez`). One definition, imported by
both sides: MicroPython as `vlink`, CPython as `stridepod.virtualpod.mp.vlink`.

A frame is `u16 LE length` (of what follows), `u8 opcode`, payload. Opcodes below 0x80 go
from the pod to the host, 0x80 and up from the host to the pod. Handles and connection
handles are u16 LE; values are raw bytes to the end of the frame; JSON payloads are UTF-8.
"""

import struct

# pod -> host
POD_REGISTER = 1  # JSON {"services": [[uuid, handle, [[uuid, flags, decl, value, cccd, [[uuid, flags, handle]]]]]]}
POD_ADVERTISE = 2  # JSON {"interval_us": int|None, "adv": hex, "resp": hex, "connectable": bool}
POD_LOCAL_VALUE = 3  # u16 value handle, u8 send_update, value  (gatts_write)
POD_NOTIFY = 4  # u16 conn, u16 value handle, value
POD_INDICATE = 5  # u16 conn, u16 value handle, value
POD_DISCONNECT = 6  # u16 conn  (gap_disconnect)
POD_CONFIG = 7  # JSON {"gap_name": ..., "addr_mode": ..., "addr": hex, "mtu": preferred ATT MTU}
POD_TRACE = 8  # JSON, what the replay script did (windows computed, end of recording)
POD_EXCHANGE_MTU = 9  # u16 conn  (gattc_exchange_mtu: the pod's Exchange MTU request)

# host -> pod
EV_CONNECT = 0x81  # u16 conn, u8 addr type, 6-byte address
EV_DISCONNECT = 0x82  # u16 conn, u8 addr type, 6-byte address
EV_WRITE = 0x83  # u16 conn, u16 value handle, value
EV_ENCRYPTION = 0x84  # u16 conn, u8 encrypted, u8 authenticated, u8 bonded, u8 key size
EV_INDICATE_DONE = 0x85  # u16 conn, u16 value handle, u8 status
EV_STOP = 0x86  # end the replay now
EV_READ = 0x87  # u16 conn, u16 value handle: a central read it (_IRQ_GATTS_READ_REQUEST)
EV_MTU = 0x88  # u16 conn, u16 ATT MTU  (an MTU exchange completed)
EV_TX_DONE = 0x89  # u16 conn, u16 count  (the controller sent that many of the pod's PDUs)

# flags of a characteristic or descriptor in POD_REGISTER: MicroPython's `bluetooth` bits
FLAG_BROADCAST = 0x0001
FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020
FLAG_AUTHENTICATED_SIGNED_WRITE = 0x0040
FLAG_READ_ENCRYPTED = 0x0200
FLAG_READ_AUTHENTICATED = 0x0400
FLAG_WRITE_ENCRYPTED = 0x1000
FLAG_WRITE_AUTHENTICATED = 0x2000


def frame(op, payload=b""):
    return struct.pack("<HB", len(payload) + 1, op) + payload


def frame_u16s(op, values, tail=b""):
    return frame(op, struct.pack("<" + "H" * len(values), *values) + bytes(tail))


def split_frames(buf):
    """Returns (list of (op, payload), rest of buf)."""
    out = []
    pos = 0
    n = len(buf)
    while n - pos >= 2:
        size = buf[pos] | (buf[pos + 1] << 8)
        if size == 0 or n - pos - 2 < size:
            break
        out.append((buf[pos + 2], bytes(buf[pos + 3 : pos + 2 + size])))
        pos += 2 + size
    return out, buf[pos:]
