"""The radio of one virtual pod, as the adapter hears it: the unix-socket link on which
the MicroPython `bluetooth` stand-in (mp/bluetooth.py) forwards advertising, its
configuration, service registration, notifications and indications (pod -> adapter
frames, `vlink` framing), and receives connection, encryption, write and stop events.

`PodRadio` keeps what the pod told the air (advertising payloads, GAP name, address
mode, preferred ATT MTU, the attribute values it set), its `Link` (one BLE connection:
handle, encryption, ATT MTU, and a `LinkClock` that places every ATT PDU in simulated
connection events, airtime.py), the GATT objects the adapter exported for it
(`services`, `chars` by value handle), `AirCounters` (ATT PDUs and bytes, both
directions) and the pod stack's CCCDs (`cccd`: what the connected central subscribed to,
written by StartNotify; as in MicroPython's NimBLE binding, kept for the connection only,
never for a bond, so a reconnected central must subscribe again or the pod must notify
it itself). What happens on air is here: the MTU exchange (the central's on connecting
if its `LinkParams` say so, or the pod's), a notification reaches a subscribed client
only on a live link, an indication is confirmed (or fails once the link is gone), each
PDU the pod sent frees its buffer in the pod's stack (`EV_TX_DONE`, as NimBLE frees its
mbufs once the controller sent them), the faults a test planned (`drop_plan`,
`corrupt_plan`, set through EmulatedBlueZ) hit the values as they pass.
What the pod's frames mean to BlueZ (discovery, GATT export, disconnection) the radio
leaves to its `RadioEvents` (the emulator); it never reaches into the emulator.
"""

import asyncio
import json
import logging
import struct
import time
from collections.abc import Callable
from typing import Protocol

from stridepod.virtualpod.bluez.adapter import Device
from stridepod.virtualpod.bluez.airtime import LinkClock, LinkParams
from stridepod.virtualpod.bluez.gatt import (
    ATT_MTU_BYTES,
    GattCharacteristic,
    GattLayout,
    GattService,
)
from stridepod.virtualpod.mp import vlink

log = logging.getLogger(__name__)

INDICATE_FAILED = 0x0E  # indication status when the link went away first
_ATT_HEADER_BYTES = 3  # opcode + handle


def format_address(raw: bytes) -> str:
    return ":".join(f"{b:02X}" for b in raw)


class Link:
    """One BLE connection between the adapter and a pod: its ATT MTU (23 until an
    exchange) and its simulated air time (`clock`)."""

    def __init__(self, device: "Device[PodRadio]", conn_handle: int, params: LinkParams) -> None:
        self.device = device
        self.conn_handle = conn_handle
        self.encrypted = False
        self.authenticated = False
        self.mtu = ATT_MTU_BYTES
        self.params = params
        self.clock = LinkClock(params)

    def air(self, kind: str, handle: int, value: bytes, att_bytes: int) -> None:
        self.clock.pdu(kind, handle, value, att_bytes, encrypted=self.encrypted)

    @property
    def bonded(self) -> bool:
        return self.device.bonded


class AirCounters:
    """ATT PDUs and their bytes that crossed a link (both directions), and the largest."""

    def __init__(self) -> None:
        self.pdus = 0
        self.bytes = 0
        self.largest = 0

    def add(self, att_bytes: int) -> None:
        self.pdus += 1
        self.bytes += att_bytes
        self.largest = max(self.largest, att_bytes)


class RadioEvents(Protocol):
    """What a pod's radio tells the emulator (EmulatedBlueZ)."""

    def heard_advertising(self, radio: "PodRadio") -> None: ...

    def services_registered(self, radio: "PodRadio") -> None: ...

    async def disconnect(self, device: "Device[PodRadio]", *, notify_pod: bool) -> None: ...

    def drop_link(self, pod: "PodRadio | None" = None, away_s: float = 0.0) -> bool: ...


class PodRadio:
    """The radio of one virtual pod, as the adapter hears it."""

    def __init__(self, events: RadioEvents, writer: asyncio.StreamWriter, index: int) -> None:
        self._events = events
        self._writer = writer
        self.index = index
        self.identity = f"C0:FF:EE:00:00:{index:02X}"
        self.addr_mode = 0
        self.gap_name = ""
        self.bond = False
        self.advertising = False
        self.connectable = True
        self.away_until = 0.0  # out of the adapter's range until then (time.monotonic)
        self.preferred_mtu = ATT_MTU_BYTES  # what the pod's stack offers (config(mtu=))
        self.link_params = LinkParams()  # for the next connection (EmulatedBlueZ sets it)
        self._tx_done: dict[int, int] = {}  # conn -> the pod's PDUs sent since the last report
        # (char UUID, deliveries left, away_s, cut: the last one is lost on the air)
        self.drop_plan: tuple[str, int, float, bool] | None = None
        self.corrupt_plan: tuple[str, int] | None = None  # (char UUID, values left to damage)
        self.busy_plan: tuple[str, int, float] | None = None  # (char UUID, deliveries left, s)
        self.busy_until = 0.0  # the adapter serves none of this pod's frames until then
        self.adv_data = b""
        self.resp_data = b""
        self.adv_interval_us = 0  # the pod's last gap_advertise interval
        self.values: dict[int, bytes] = {}
        self.layout: GattLayout = []
        self.services: list[GattService] = []
        self.chars: dict[int, GattCharacteristic] = {}
        self.device: Device[PodRadio] | None = None
        self.link: Link | None = None
        self.cccd: set[int] = set()  # value handles the connected central subscribed to
        self.last_link: Link | None = None  # the latest link, also once it is gone
        self.traces: list[dict] = []
        self.trace_event = asyncio.Event()
        self.closed = asyncio.Event()
        self.air = AirCounters()
        self._handlers: dict[int, Callable[[int, bytes], None]] = {
            vlink.POD_NOTIFY: self._on_notify,
            vlink.POD_INDICATE: self._on_notify,
            vlink.POD_LOCAL_VALUE: self._on_local_value,
            vlink.POD_TRACE: self._on_trace,
            vlink.POD_ADVERTISE: self._on_advertise,
            vlink.POD_REGISTER: self._on_register,
            vlink.POD_CONFIG: self._on_config,
            vlink.POD_DISCONNECT: self._on_disconnect,
            vlink.POD_EXCHANGE_MTU: self._on_exchange_mtu,
        }

    # -- pod -> adapter -----------------------------------------------------------------

    def handle_frame(self, op: int, payload: bytes) -> None:
        handler = self._handlers.get(op)
        if handler is None:
            log.warning("virtual pod %d sent unknown frame 0x%02x", self.index, op)
            return
        handler(op, payload)

    def _on_notify(self, op: int, payload: bytes) -> None:
        """A notification or (op POD_INDICATE) an indication the pod sent."""
        conn, handle = struct.unpack_from("<HH", payload)
        value = payload[4:]
        link = self.link
        on_link = link is not None and link.conn_handle == conn
        if link is not None and on_link:
            indicate = op == vlink.POD_INDICATE
            self._air(link, "indicate" if indicate else "notify", handle, value,
                      _ATT_HEADER_BYTES + len(value))
            self._tx_done[conn] = self._tx_done.get(conn, 0) + 1
            if indicate:
                link.clock.round_trip()
                self._air(link, "confirm", handle, b"", 1)  # the client's confirmation
            self._reach_client(handle, value)
        if op == vlink.POD_INDICATE:
            # BlueZ confirms every indication on a live link; on a lost one the
            # stack reports a failure (non-zero status) instead
            status = 0 if on_link else INDICATE_FAILED
            self.send(vlink.frame(vlink.EV_INDICATE_DONE, struct.pack("<HHB", conn, handle, status)))

    def _reach_client(self, handle: int, value: bytes) -> None:
        """A value that crossed the link: the planned faults apply, then the client's
        characteristic gets it if subscribed."""
        char = self.chars.get(handle)
        if char is None:
            return
        if self.corrupt_plan is not None:
            value = self._maybe_corrupt(char, value)
        plan = self.drop_plan
        if plan is not None and plan[3] and plan[1] == 1 and char.uuid == plan[0] and char.notifying:
            self.drop_plan = None  # the link drops with this value on the air
            self._events.drop_link(self, plan[2])
            return
        if char.deliver(value) and plan is not None and char.uuid == plan[0]:
            self._count_towards_drop()
        busy = self.busy_plan
        if busy is not None and char.uuid == busy[0]:
            left = busy[1] - 1
            self.busy_plan = (busy[0], left, busy[2]) if left else None
            if not left:
                self.busy_until = time.monotonic() + busy[2]

    def _on_local_value(self, op: int, payload: bytes) -> None:
        """gatts_write: the pod set an attribute value (and maybe sends it)."""
        handle, send_update = struct.unpack_from("<HB", payload)
        value = payload[3:]
        self.values[handle] = value
        char = self.chars.get(handle)
        link = self.link
        if send_update and char is not None and link is not None and handle in self.cccd:
            # the stack notifies (or indicates) the central subscribed to it itself
            self._air(link, "notify", handle, value, _ATT_HEADER_BYTES + len(value))
            char.deliver(value)

    def _on_trace(self, op: int, payload: bytes) -> None:
        self.traces.append(json.loads(payload))
        self.trace_event.set()

    def _on_advertise(self, op: int, payload: bytes) -> None:
        msg = json.loads(payload)
        if "adv" in msg:
            self.adv_data = bytes.fromhex(msg["adv"])
        if "resp" in msg:
            self.resp_data = bytes.fromhex(msg["resp"])
        self.connectable = msg.get("connectable", True)
        self.advertising = msg["interval_us"] is not None
        if self.advertising:
            self.adv_interval_us = msg["interval_us"]
        if self.advertising:
            self._events.heard_advertising(self)

    def _on_register(self, op: int, payload: bytes) -> None:
        self.layout = json.loads(payload)["services"]
        self.values = {}
        self._events.services_registered(self)

    def _on_config(self, op: int, payload: bytes) -> None:
        msg = json.loads(payload)
        self.gap_name = msg["gap_name"]
        self.addr_mode = msg["addr_mode"]
        self.bond = msg["bond"]
        self.identity = format_address(bytes.fromhex(msg["addr"]))
        self.preferred_mtu = msg.get("mtu", ATT_MTU_BYTES)

    def _on_exchange_mtu(self, op: int, payload: bytes) -> None:
        """gattc_exchange_mtu: the pod's Exchange MTU request; the central answers."""
        (conn,) = struct.unpack_from("<H", payload)
        link = self.link
        if link is not None and link.conn_handle == conn:
            self._exchange_mtu(link)

    def _exchange_mtu(self, link: Link) -> None:
        """Exchange MTU request and response (3 bytes each): the link gets the smaller of
        the two sides' MTUs, the pod hears it (_IRQ_MTU_EXCHANGED), BlueZ shows it as
        each characteristic's `MTU`."""
        self._air(link, "mtu", 0, b"", 3)
        link.clock.round_trip()
        self._air(link, "mtu", 0, b"", 3)
        link.mtu = max(ATT_MTU_BYTES, min(link.params.central_mtu, self.preferred_mtu))
        self.send(vlink.frame_u16s(vlink.EV_MTU, (link.conn_handle, link.mtu)))
        for char in self.chars.values():
            char.mtu_changed()

    def _on_disconnect(self, op: int, payload: bytes) -> None:
        """gap_disconnect: the pod ended the link itself (it was told already)."""
        if self.link is not None and self.link.device.pod is self:
            asyncio.ensure_future(self._events.disconnect(self.link.device, notify_pod=False))

    def _air(self, link: Link, kind: str, handle: int, value: bytes, att_bytes: int) -> None:
        """An ATT PDU crossed `link`: counted, and placed in its connection events."""
        self.air.add(att_bytes)
        link.air(kind, handle, value, att_bytes)

    def flush_tx_done(self) -> None:
        """Tells the pod's stack which of its PDUs went out (frees their buffers)."""
        for conn, count in self._tx_done.items():
            self.send(vlink.frame_u16s(vlink.EV_TX_DONE, (conn, count)))
        self._tx_done.clear()

    # -- faults a test planned ----------------------------------------------------------

    def _maybe_corrupt(self, char: GattCharacteristic, value: bytes) -> bytes:
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
        uuid, left, away_s, cut = self.drop_plan
        if left > 1:
            self.drop_plan = (uuid, left - 1, away_s, cut)
            return
        self.drop_plan = None
        self._events.drop_link(self, away_s)

    # -- ATT requests of the client (gatt.AttributePeer) --------------------------------

    def att_read(self, handle: int, offset: int) -> bytes:
        """A read request and its response (one PDU, at most MTU - 1 bytes from
        `offset`); returns the whole value. The pod hears of it (_IRQ_GATTS_READ_REQUEST)."""
        if self.link is not None:
            self.send(vlink.frame_u16s(vlink.EV_READ, (self.link.conn_handle, handle)))
        value = self.values.get(handle, b"")
        link = self._live_link()
        self._air(link, "read", handle, b"", _ATT_HEADER_BYTES)
        link.clock.round_trip()
        self._air(link, "read-response", handle, value, 1 + len(value[offset:][: link.mtu - 1]))
        return value

    def att_write(self, handle: int, value: bytes, *, with_response: bool) -> None:
        """A write request (with its response) or a write command."""
        link = self._live_link()
        self.remote_write(handle, value)
        self._air(link, "write", handle, value, _ATT_HEADER_BYTES + len(value))
        if with_response:
            link.clock.round_trip()
            self._air(link, "write-response", handle, b"", 1)

    def att_subscribe(self, handle: int, on: bool) -> None:
        """The CCCD write request and its response; the pod's stack keeps it for this
        connection (no IRQ tells the firmware)."""
        if on:
            self.cccd.add(handle)
        else:
            self.cccd.discard(handle)
        link = self._live_link()
        self._air(link, "write", handle, b"", _ATT_HEADER_BYTES + 2)
        link.clock.round_trip()
        self._air(link, "write-response", handle, b"", 1)

    def _live_link(self) -> Link:
        assert self.link is not None, "an ATT request needs a link (GattCharacteristic checks)"
        return self.link

    def local_value(self, handle: int) -> bytes:
        return self.values.get(handle, b"")

    def remote_write(self, handle: int, value: bytes) -> None:
        assert self.link is not None
        self.values[handle] = value
        self.send(vlink.frame_u16s(vlink.EV_WRITE, (self.link.conn_handle, handle), value))

    # -- adapter -> pod -----------------------------------------------------------------

    def send(self, data: bytes) -> None:
        if not self._writer.is_closing():
            self._writer.write(data)

    def connected(self, device: "Device[PodRadio]", conn_handle: int, central: bytes) -> Link:
        """A central (6-byte address) connected: a new link; the pod hears of it and a
        connectable advertising set ends."""
        link = self.link = self.last_link = Link(device, conn_handle, self.link_params)
        self.cccd = set()
        self.advertising = False
        self.send(vlink.frame(vlink.EV_CONNECT, struct.pack("<HB", conn_handle, 0) + central))
        if link.params.central_exchanges_mtu:
            self._exchange_mtu(link)
        return link

    def encrypt(self, link: Link) -> None:
        """The link is encrypted (Just Works: the pod has no display or keys)."""
        link.encrypted = True
        link.authenticated = False
        self.send(vlink.frame(
            vlink.EV_ENCRYPTION,
            struct.pack("<HBBBB", link.conn_handle, 1, 0, 1 if link.bonded else 0, 16),
        ))

    def link_lost(self, *, tell_pod: bool, central: bytes) -> None:
        """The link is gone; the pod hears of it if `tell_pod` (and it is still there),
        and the client's subscriptions end."""
        link = self.link
        self.link = None
        self.cccd = set()  # the binding keeps no CCCD, bonded or not
        if link is not None and tell_pod and not self.closed.is_set():
            self.send(vlink.frame(
                vlink.EV_DISCONNECT, struct.pack("<HB", link.conn_handle, 0) + central
            ))
        for char in self.chars.values():
            char.link_lost()

    def stop(self) -> None:
        self.send(vlink.frame(vlink.EV_STOP))

    def ended(self) -> None:
        """The pod's process closed its end: whoever waits on its traces wakes up."""
        self.closed.set()
        self.trace_event.set()
        self._writer.close()

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
