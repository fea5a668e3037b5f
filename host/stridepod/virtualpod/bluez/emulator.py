"""EmulatedBlueZ: `org.bluez` on a private D-Bus bus, for virtual pods.

It owns the bus connection (the ObjectManager at "/" with GetManagedObjects and
InterfacesAdded/Removed is dbus-fast's), the adapter hci0 (adapter.Adapter), a Device1
per pod it has heard (adapter.Device), their GATT objects (gatt.*), and a unix socket
(`pod_socket`) on which each virtual pod's radio connects (radio.PodRadio). It does what
a real controller and BlueZ do between the pods and the client: a scanning adapter hears
each advertising pod every ADVERTISING_INTERVAL_S; advertising stops when a central
connects; a bonded pod's link is encrypted on connect; a pod using a resolvable private
address shows its identity address once bonded and, after a reboot (a new radio with
the same identity), resolves to the device BlueZ already knows; BlueZ keeps the GATT
objects of bonded devices only.

The radio link's timing is `LinkParams` (airtime.py: connection interval, packets per
event, PHY, Data Length Extension, the central's MTU and whether it exchanges MTUs), set
for the next connections with `EmulatedBlueZ(link=...)` or `link_params`; each link's
`clock` keeps its simulated air time.

Fault injection for tests: `drop_link()` loses a link like a radio going out of range
(whatever the pod sends after that is lost on air), `out_of_range()` hides a pod,
`drop_after()` drops a link right after the n-th value of a characteristic reached the
client (or, with `cut=True`, while the n-th is on the air: it never arrives),
`corrupt_next()` flips a bit in the next values, `set_powered(False)` turns the
adapter off, `EmulatedBlueZ(adapter=False)` has none.

Layers: adapter and gatt (D-Bus objects) call back through narrow protocols this class
implements (AdapterControl, DeviceControl, RadioEvents); the radio knows the GATT
objects it delivers to; only this module knows all of them.
"""

import asyncio
import contextlib
import itertools
import tempfile
import time
from pathlib import Path
from typing import Any

from dbus_fast import BusType, DBusError
from dbus_fast.aio import MessageBus

from stridepod.virtualpod.bluez.adapter import (
    ADAPTER_PATH,
    RSSI_DBM,
    Adapter,
    Device,
    device_path,
    parse_advertising,
)
from stridepod.virtualpod.bluez.airtime import LinkParams
from stridepod.virtualpod.bluez.gatt import (
    build_gatt_objects,
    objects_in_export_order,
    objects_in_unexport_order,
)
from stridepod.virtualpod.bluez.radio import PodRadio
from stridepod.virtualpod.mp import vlink

ADVERTISING_INTERVAL_S = 0.05  # how often a scanning adapter hears an advertising pod
ADAPTER_ADDRESS = "00:1A:7D:DA:71:13"
CONNECT_ATTEMPT_S = 0.05  # how long a connection attempt to an unreachable pod lasts
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

    def __init__(self, bus_address: str, *, adapter: bool = True, powered: bool = True,
                 link: LinkParams | None = None) -> None:
        self.bus_address = bus_address
        self.link_params = link or LinkParams()
        self._with_adapter = adapter
        self._powered = powered
        self.bus: MessageBus | None = None
        self.adapter: Adapter | None = None
        self.pods: list[PodRadio] = []
        self.devices: dict[str, Device[PodRadio]] = {}
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
        try:
            self._server = await asyncio.start_unix_server(self._serve_pod, path=self.pod_socket)
            self.bus = await MessageBus(bus_address=self.bus_address,
                                        bus_type=BusType.SYSTEM).connect()
            _tolerate_full_socket(self.bus)
            if self._with_adapter:
                self.adapter = Adapter(self, ADAPTER_ADDRESS, self._powered)
                self.bus.export(ADAPTER_PATH, self.adapter)
            await self.bus.request_name("org.bluez")
        except BaseException:  # failed, or cancelled (Ctrl-C) while starting: undo it all
            await self.stop()
            raise
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
        try:
            await self._read_frames(pod, reader)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            self._pod_ended(pod)

    async def _read_frames(self, pod: PodRadio, reader: asyncio.StreamReader) -> None:
        rest = b""
        while True:
            busy_s = pod.busy_until - time.monotonic()
            if busy_s > 0:
                await asyncio.sleep(busy_s)  # busy_after: the pod's frames wait unread
            chunk = await reader.read(65536)
            if not chunk:
                return
            frames, rest = vlink.split_frames(rest + chunk)
            for op, payload in frames:
                pod.handle_frame(op, payload)
            pod.flush_tx_done()
            await self._drain_bus()

    def _pod_ended(self, pod: PodRadio) -> None:
        """The pod's process is gone: its link with it."""
        pod.advertising = False
        if pod.link is not None:
            self.link_lost(pod.link.device)
        pod.ended()

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

    # -- scanning -----------------------------------------------------------------------

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
        assert self.adapter is not None
        adv = parse_advertising(pod.adv_data + pod.resp_data)
        if self.adapter.uuid_filter and not self.adapter.uuid_filter & set(adv["UUIDs"]):
            return
        device = pod.device or self._resolve_bonded(pod)
        if device is None:
            self._new_device(pod, adv)
        else:
            device.adv = adv
            # a fresh report, as BlueZ sends
            device.rssi = RSSI_DBM if device.rssi != RSSI_DBM else RSSI_DBM - 1
            device.update({"RSSI": device.rssi, "UUIDs": device.UUIDs, "Name": device.Name})

    def _new_device(self, pod: PodRadio, adv: dict[str, Any]) -> None:
        assert self.bus is not None
        address = self._air_address(pod)
        device = Device(self, pod, device_path(address), address)
        device.adv = adv
        pod.device = device
        self.devices[device.path] = device
        self.bus.export(device.path, device)

    def _resolve_bonded(self, pod: PodRadio) -> Device[PodRadio] | None:
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

    def services_registered(self, pod: PodRadio) -> None:
        self._unexport_gatt(pod)
        if pod.device is not None and pod.device.connected:
            self._export_gatt(pod)

    def _unexport_gatt(self, pod: PodRadio) -> None:
        assert self.bus is not None
        for path, obj in objects_in_unexport_order(pod.services):
            self.bus.unexport(path, obj)
        pod.services = []
        pod.chars = {}

    def _export_gatt(self, pod: PodRadio) -> None:
        assert self.bus is not None and pod.device is not None
        if pod.services:
            return
        pod.services = build_gatt_objects(pod, pod.device.path, pod.layout)
        pod.chars = {char.value_handle: char
                     for service in pod.services for char in service.characteristics}
        for path, obj in objects_in_export_order(pod.services):
            self.bus.export(path, obj)

    # -- connections --------------------------------------------------------------------

    def _central_address(self) -> bytes:
        """The adapter's address as the pod hears it (6 bytes)."""
        return bytes.fromhex(self.adapter.address.replace(":", "")) if self.adapter else bytes(6)

    async def connect(self, device: Device[PodRadio]) -> None:
        pod = device.pod
        if self.adapter is None or not self.adapter.powered:
            raise DBusError("org.bluez.Error.NotReady", "Resource Not Ready")
        if pod.link is not None:
            if pod.link.device is device:
                return
            raise DBusError("org.bluez.Error.Failed", "Software caused connection abort")
        if (pod.closed.is_set() or not pod.advertising or not pod.connectable
                or pod.away_until > time.monotonic()):
            await asyncio.sleep(CONNECT_ATTEMPT_S)  # a connection attempt that hears nothing
            raise DBusError("org.bluez.Error.Failed", "le-connection-abort-by-timeout")
        pod.link_params = self.link_params
        link = pod.connected(device, next(self._conn_handles) & 0xFFFF, self._central_address())
        if device.paired:
            pod.encrypt(link)
        device.connected = True
        device.update({"Connected": True})
        self._export_gatt(pod)
        device.services_resolved = True
        device.update({"ServicesResolved": True, "UUIDs": device.UUIDs})

    async def pair(self, device: Device[PodRadio]) -> None:
        if device.paired:
            raise DBusError("org.bluez.Error.AlreadyExists", "Already Exists")
        if device.pod.link is None:
            await self.connect(device)
        link = device.pod.link
        assert link is not None
        device.paired = True
        device.bonded = device.pod.bond
        device.pod.encrypt(link)
        changed: dict[str, Any] = {"Paired": True, "Bonded": device.bonded}
        if device.address != device.pod.identity:
            # once bonded, the identity address is known (the RPA is resolved)
            device.address = device.pod.identity
            device.address_type = "public" if device.pod.addr_mode == 0 else "random"
            changed["Address"] = device.address
        device.update(changed)

    async def disconnect(self, device: Device[PodRadio], *, notify_pod: bool) -> None:
        link = device.pod.link
        if link is None or link.device is not device:
            return
        self.link_lost(device, tell_pod=notify_pod)

    def link_lost(self, device: Device[PodRadio], *, tell_pod: bool = True) -> None:
        """The link is gone (supervision timeout, power, out of range)."""
        pod = device.pod
        pod.link_lost(tell_pod=tell_pod, central=self._central_address())
        if not device.paired:
            self._unexport_gatt(pod)  # BlueZ keeps the GATT cache of bonded devices only
        if device.services_resolved:
            device.services_resolved = False
            device.update({"ServicesResolved": False})
        if device.connected:
            device.connected = False
            device.update({"Connected": False})

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

    # -- faults for tests ---------------------------------------------------------------

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

    def drop_after(self, pod: PodRadio, char_uuid: str, deliveries: int, away_s: float = 0.0,
                   *, cut: bool = False) -> None:
        """Drops the link right after the pod's next `deliveries` notifications or
        indications of characteristic `char_uuid` reach the client (e.g. in the middle of
        a backfill), then keeps the pod away_s out of range. With `cut` the link drops
        while the last of them is on the air: the client never gets it (a notification of
        several records is lost whole, as a link-layer PDU cut short is)."""
        if deliveries < 1:
            raise ValueError("deliveries must be at least 1")
        pod.drop_plan = (char_uuid.lower(), deliveries, away_s, cut)

    def busy_after(self, pod: PodRadio, char_uuid: str, deliveries: int, busy_s: float) -> None:
        """After the pod's next `deliveries` values of `char_uuid` reach the client, the
        adapter serves no connection event of the pod's for busy_s (a phone's radio busy
        with Wi-Fi, as coexistence schedules it): the link stays up, but nothing the pod
        sends is taken or acknowledged, so its stack runs out of buffers (ENOMEM)."""
        if deliveries < 1:
            raise ValueError("deliveries must be at least 1")
        pod.busy_plan = (char_uuid.lower(), deliveries, busy_s)

    def corrupt_next(self, pod: PodRadio, char_uuid: str, count: int) -> None:
        """Flips a bit in each of the next `count` values of `char_uuid` that reach the
        client (what the link layer's CRC would normally catch; tests the host's)."""
        pod.corrupt_plan = (char_uuid.lower(), count) if count > 0 else None
