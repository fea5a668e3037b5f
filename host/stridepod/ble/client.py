"""Syncing a pod over BLE with bleak: scan by the stridepod service UUID, connect, bond,
subscribe, ask for a backfill from the last stored sequence, store every record exactly
once, and reconnect with exponential backoff when the link drops.

Exactly once: the pod streams its flash log in sequence order from the sequence asked
for, then goes live (docs/protocol.md); a notification carries one or more whole
records (as many as the link's ATT MTU holds), each checked on its own. The client
stores only the record it expects
next (`expected`): an older one is a duplicate and is skipped, a newer one means
something went missing on the way, so it asks again from `expected` (and ignores such
gaps until the pod answers: they are the tail of the stream it replaces). A record never
changes on the pod, so the right sequence number is the right record whichever stream
brought it. Records are written to the store in small transactions;
after any drop the next backfill starts after the last stored one, so a record is
either in the store or asked for again, never both. Records the pod's ring overwrote
before they could be fetched are reported (`lost_on_pod`), not silently skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import podfw  # noqa: F401  (the CPython stand-in for `micropython`, for podfw.link.wire)
from podfw.link import wire
from stridepod.ble import profile
from stridepod.errors import StridepodError
from stridepod.store.database import Store

log = logging.getLogger(__name__)

_BATCH = 128  # records per store transaction during a backfill
_FOLLOW_TICK_S = 0.1  # how often a following sync checks whether it should stop


class BleError(StridepodError):
    """A Bluetooth problem the user can act on."""


class NoAdapterError(BleError):
    pass


class BluetoothOffError(BleError):
    pass


class PodNotFoundError(BleError):
    pass


class LinkLostError(BleError):
    """The link dropped (or the pod stopped answering) during a session."""


@dataclass
class Backoff:
    """Waits between reconnection attempts: first, first*factor, ... up to longest."""

    first_s: float = 0.5
    factor: float = 2.0
    longest_s: float = 15.0
    attempts: int = 8  # consecutive failed attempts before giving up (None: never)

    def delays(self):
        delay = self.first_s
        while True:
            yield delay
            delay = min(delay * self.factor, self.longest_s)


@dataclass
class SyncProgress:
    pod_id: str
    stored: int  # records newly stored in this sync so far
    backfill_total: int  # records the current backfill has to deliver (0 when live)
    backfill_done: int
    phase: str  # "connecting", "backfill", "live", "reconnecting"


@dataclass
class SyncResult:
    pod_id: str = ""
    address: str = ""
    name: str = ""
    stored: int = 0  # records newly written to the store
    duplicates: int = 0  # records received again and skipped
    rejected: int = 0  # notifications that were not intact records (CRC, length, version)
    lost_on_pod: int = 0  # records the pod's ring overwrote before they were fetched
    sessions: int = 0  # connections that reached the backfill
    link_drops: int = 0
    next_seq: int = 0  # the pod's next sequence number when last heard
    att_mtu: int = 0  # the last link's ATT MTU as BlueZ reports it (23 before BlueZ 5.62)
    elapsed_s: float = 0.0
    errors: list[str] = field(default_factory=list)


def bluetooth_error(exc: BaseException) -> BleError:
    """A failure from bleak or D-Bus as one line the user can act on."""
    from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason

    if isinstance(exc, BleError):
        return exc
    if isinstance(exc, BleakBluetoothNotAvailableError):
        if exc.reason == BleakBluetoothNotAvailableReason.POWERED_OFF:
            return BluetoothOffError("Bluetooth is off: turn it on and try again")
        if exc.reason == BleakBluetoothNotAvailableReason.NO_BLUETOOTH:
            return NoAdapterError("no Bluetooth adapter found")
        if exc.reason == BleakBluetoothNotAvailableReason.NO_BLE_CENTRAL_ROLE:
            return NoAdapterError("the Bluetooth adapter cannot act as a BLE central")
        return BleError(f"Bluetooth is not available ({exc})")
    details = str(getattr(exc, "dbus_error_details", None) or "")
    if "abort-by-timeout" in details or "Page Timeout" in details:
        return BleError("the pod did not answer (out of range or asleep?)")
    if getattr(exc, "dbus_error", None) == "org.freedesktop.DBus.Error.ServiceUnknown":
        return NoAdapterError("Bluetooth is not available (the BlueZ service is not running)")
    if isinstance(exc, FileNotFoundError | ConnectionRefusedError | EOFError):
        return NoAdapterError("Bluetooth is not available (cannot reach BlueZ on the system bus)")
    return BleError(f"Bluetooth error: {exc}")


def pod_clock_now() -> int:
    return int((dt.datetime.now(dt.UTC) - profile.POD_EPOCH).total_seconds())


@dataclass
class FoundPod:
    name: str
    address: str
    rssi: int
    device: Any  # bleak BLEDevice


async def scan(timeout: float = 5.0) -> list[FoundPod]:
    """Pods advertising the stridepod service, strongest first."""
    from bleak import BleakScanner

    try:
        found = await BleakScanner.discover(
            timeout=timeout, service_uuids=[profile.STRIDEPOD_SERVICE], return_adv=True
        )
    except Exception as exc:  # noqa: BLE001 - turned into one clear line
        raise bluetooth_error(exc) from exc
    pods = [
        FoundPod(adv.local_name or device.name or "", device.address, adv.rssi, device)
        for device, adv in found.values()
        if profile.STRIDEPOD_SERVICE in adv.service_uuids
    ]
    return sorted(pods, key=lambda p: -p.rssi)


async def find_pod(target: str | None, timeout: float = 10.0) -> Any:
    """The BLEDevice of the pod with this address or name (any pod when None)."""
    from bleak import BleakScanner

    wanted = (target or "").strip().lower()

    def matches(device: Any, adv: Any) -> bool:
        if profile.STRIDEPOD_SERVICE not in adv.service_uuids:
            return False
        if not wanted:
            return True
        names = {(adv.local_name or "").lower(), (device.name or "").lower()}
        return device.address.lower() == wanted or wanted in names

    try:
        device = await BleakScanner.find_device_by_filter(
            matches, timeout=timeout, service_uuids=[profile.STRIDEPOD_SERVICE]
        )
    except Exception as exc:  # noqa: BLE001 - turned into one clear line
        raise bluetooth_error(exc) from exc
    if device is None:
        what = f"pod {target!r}" if target else "stridepod pod"
        raise PodNotFoundError(
            f"no {what} in range (is it awake, charged and not connected to another phone?)"
        )
    return device


@dataclass
class _StreamState:
    """Where one session's record stream stands (see the module docstring)."""

    pod_id: str
    expected: int  # the sequence number to store next
    pending: bool = True  # a backfill request the pod has not answered yet
    gap_at: int = -1  # where the stream last skipped records after we asked for them
    backfill_total: int = 0  # records the current backfill delivers, counting those delivered
    delivered: int = 0  # records stored or batched in this session
    batch: list[wire.Record] = field(default_factory=list)  # waiting for one store transaction
    caught_up: bool = False  # the pod said it has sent everything up to `expected`
    quiet_s: float = 0.0  # following: how long the pod has been silent


class PodSync:
    """Keeps one pod's records flowing into a store; see the module docstring."""

    def __init__(
        self,
        store: Store,
        *,
        progress: Callable[[SyncProgress], None] | None = None,
        backoff: Backoff | None = None,
        response_timeout_s: float = 10.0,
    ) -> None:
        self.store = store
        self.progress = progress
        self.backoff = backoff or Backoff()
        self.response_timeout_s = response_timeout_s
        self.result = SyncResult()
        self._stored_seqs: set[int] = set()  # what this sync wrote (exactly-once check)
        self.stored_twice = 0

    # -- one connection -----------------------------------------------------------------

    async def run(
        self,
        device: Any,
        *,
        follow: bool = False,
        until: Callable[[], bool] | None = None,
    ) -> SyncResult:
        """Syncs `device` (a BLEDevice). Without follow, returns once a backfill has
        caught up; with follow, stays connected (reconnecting as needed) until `until()`
        is true after a catch-up or the task is cancelled."""
        started = time.monotonic()
        self.result.address = device.address
        self.result.name = device.name or ""
        delays = self.backoff.delays()
        failures = 0
        try:
            while True:
                sessions = self.result.sessions
                try:
                    await self._session(device, follow=follow, until=until)
                    return self.result
                except LinkLostError:
                    self.result.link_drops += 1
                except TimeoutError:
                    self.result.link_drops += 1
                    self.result.errors.append("the pod stopped answering")
                except BleError as exc:
                    self.result.errors.append(str(exc))
                except StridepodError:
                    raise  # the store, not the link
                except Exception as exc:  # noqa: BLE001 - bleak and D-Bus errors
                    err = bluetooth_error(exc)
                    if isinstance(err, NoAdapterError | BluetoothOffError):
                        raise err from exc
                    self.result.errors.append(str(err))
                if self.result.sessions > sessions:  # it got somewhere: start afresh
                    failures = 0
                    delays = self.backoff.delays()
                failures += 1
                if self.backoff.attempts is not None and failures >= self.backoff.attempts:
                    raise LinkLostError(
                        f"lost the pod and could not reconnect after {failures} attempts"
                        f" ({self.result.errors[-1] if self.result.errors else 'no answer'})"
                    )
                self._report("reconnecting", 0, 0)
                await asyncio.sleep(next(delays))
        finally:
            self.result.elapsed_s = time.monotonic() - started

    async def _session(self, device: Any, *, follow: bool, until: Callable[[], bool] | None) -> None:
        self._report("connecting", 0, 0)
        async with _connected(device, self.response_timeout_s) as (client, queue):
            self.result.address = client.address  # the identity address once bonded
            serial = await _serial(client)
            self.result.att_mtu = _att_mtu(client)
            await client.start_notify(profile.SUMMARY, lambda _c, data: _queue_records(queue, data))
            await self._command(client, queue, wire.OP_SET_TIME, pod_clock_now())
            # which log the pod keeps: a wiped log restarts numbering under a new id, so
            # its records are a new series in the store rather than clashing with the old
            probe = await self._command(client, queue, wire.OP_BACKFILL, wire.BACKFILL_LIVE_ONLY)
            pod_id = f"{serial}-{probe.fields['log_id']:08x}"
            self.result.pod_id = pod_id
            self.result.sessions += 1
            await self._stream(client, queue, pod_id, follow=follow, until=until)

    async def _command(self, client: Any, queue: asyncio.Queue, op: int,
                       param: int | None) -> wire.Response:
        return await _request(client, queue, op, param, self.response_timeout_s,
                              self.result.errors.append)

    async def _ask_from(self, client: Any, seq: int) -> None:
        await client.write_gatt_char(
            profile.CONTROL_POINT, wire.encode_command(wire.OP_BACKFILL, seq), response=True
        )

    async def _stream(self, client: Any, queue: asyncio.Queue, pod_id: str, *, follow: bool,
                      until: Callable[[], bool] | None) -> None:
        """Asks for the records after the last stored one and stores each exactly once, until
        the pod has caught up (following: and `until()` is true, or the link goes)."""
        last = self.store.last_sequence(pod_id)
        st = _StreamState(pod_id, expected=0 if last is None else last + 1)
        await self._ask_from(client, st.expected)
        try:
            while True:
                if st.caught_up and (not follow or (until is not None and until())):
                    return
                if st.batch and queue.empty():
                    self._flush(st)
                item = await self._receive(queue, st, follow=follow)
                if item is None:
                    continue
                kind, data = item
                if kind == "cp":
                    self._on_indication(st, data)
                else:
                    await self._on_record(client, st, data)
        finally:
            self._flush(st)

    async def _receive(self, queue: asyncio.Queue, st: _StreamState, *,
                       follow: bool) -> tuple[str, bytes] | None:
        """The next notification, or None when a following sync's tick passed in silence.
        TimeoutError when the pod is gone: silent for the response timeout (following: and
        not caught up; a quiet pod that has caught up is simply not running)."""
        try:
            item = await _next(queue, _FOLLOW_TICK_S if follow else self.response_timeout_s)
        except TimeoutError:
            if not follow:
                raise
            st.quiet_s += _FOLLOW_TICK_S
            if st.caught_up or st.quiet_s < self.response_timeout_s:
                return None
            raise
        st.quiet_s = 0.0
        return item

    def _on_indication(self, st: _StreamState, data: bytes) -> None:
        """A control-point indication: the answer to our backfill request, or the pod's
        caught-up event (which counts only once that answer has come)."""
        try:
            answer = wire.decode_indication(data)
        except wire.WireError as exc:
            self.result.errors.append(f"bad control-point indication: {exc}")
            return
        if answer.kind == "response" and answer.op == wire.OP_BACKFILL and st.pending:
            self._on_backfill_answer(st, answer)
        elif answer.kind == "event" and answer.op == wire.EVENT_CAUGHT_UP and not st.pending:
            self.result.next_seq = answer.fields["next_seq"]
            if answer.fields["next_seq"] <= st.expected:
                st.caught_up = True
                self._flush(st)

    def _on_backfill_answer(self, st: _StreamState, answer: wire.Response) -> None:
        """The pod's answer to a backfill request: what it will send, and which of the
        records we expect its ring has overwritten (counted lost, not waited for)."""
        if not answer.ok:
            raise BleError("the pod refused the backfill: " + wire.RESULT_NAMES[answer.result])
        st.pending = False
        first, next_seq = answer.fields["first_seq"], answer.fields["next_seq"]
        if next_seq < st.expected:
            raise BleError(
                f"pod {st.pod_id} has records up to {next_seq - 1} but "
                f"{st.expected} are stored under its log id: the store and "
                "the pod disagree")
        if first > st.expected:
            self.result.lost_on_pod += first - st.expected
            self.result.errors.append(
                f"records {st.expected}..{first - 1} were overwritten on the pod "
                "before they could be fetched")
            st.expected = first
        self.result.next_seq = next_seq
        st.backfill_total = max(0, next_seq - st.expected) + st.delivered
        self._report("backfill" if st.backfill_total else "live", st.backfill_total, st.delivered)

    async def _on_record(self, client: Any, st: _StreamState, data: bytes) -> None:
        """A record notification: batched when it is the one expected, skipped when older
        (a duplicate); a damaged one makes us ask again from the one we still need."""
        try:
            record = wire.decode(data)
        except wire.WireError as exc:
            self.result.rejected += 1
            self.result.errors.append(f"rejected a record: {exc}")
            if not st.pending:
                st.pending = True  # ask again for the record we still need
                await self._ask_from(client, st.expected)
            return
        if record.seq < st.expected:
            self.result.duplicates += 1
            return
        if record.seq > st.expected and not await self._past_gap(client, st, record.seq):
            return
        st.batch.append(record)
        st.expected += 1
        st.delivered += 1
        self.result.next_seq = max(self.result.next_seq, st.expected)
        if len(st.batch) >= _BATCH:
            self._flush(st)

    async def _past_gap(self, client: Any, st: _StreamState, seq: int) -> bool:
        """Record `seq` arrived while an older one is expected. Ignored while our request is
        pending (the rest of a stream we replaced); the first time, ask again from the
        expected one; when the pod skips the same records again they are damaged on its
        flash and will never come: counted lost, and True: the stream goes on from `seq`."""
        if st.pending:
            return False
        if st.gap_at != st.expected:
            st.gap_at = st.expected
            st.pending = True
            await self._ask_from(client, st.expected)
            return False
        self.result.lost_on_pod += seq - st.expected
        self.result.errors.append(f"records {st.expected}..{seq - 1} are unreadable on the pod")
        st.expected = seq
        return True

    def _flush(self, st: _StreamState) -> None:
        """Writes the batched records in one store transaction; counts new and duplicates."""
        if not st.batch:
            return
        new = self.store.add_pod_records(st.pod_id, st.batch)
        for record in st.batch:
            if record.seq in self._stored_seqs:
                self.stored_twice += 1
            self._stored_seqs.add(record.seq)
        self.result.stored += new
        self.result.duplicates += len(st.batch) - new
        st.batch = []
        self._report("live" if st.caught_up else "backfill", st.backfill_total, st.delivered)

    def _report(self, phase: str, total: int, done: int) -> None:
        if self.progress is not None:
            self.progress(SyncProgress(self.result.pod_id, self.result.stored, total, done, phase))


@contextlib.asynccontextmanager
async def _connected(device: Any, timeout_s: float) -> AsyncIterator[tuple[Any, asyncio.Queue]]:
    """A bonded connection to the pod with its control point subscribed: (client, queue
    of ("cp", indication) / ("gone", b"") when the link drops)."""
    from bleak import BleakClient

    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    client = BleakClient(
        device, disconnected_callback=lambda _c: queue.put_nowait(("gone", b"")), pair=True,
        timeout=timeout_s,
    )
    await client.connect()
    try:
        await client.start_notify(
            profile.CONTROL_POINT, lambda _c, data: queue.put_nowait(("cp", bytes(data)))
        )
        yield client, queue
    finally:
        # also after the link dropped: bleak gives each connection its own D-Bus
        # connection and closes it only in disconnect(); skipped, it stays open until
        # the bus daemon goes away and its EOFError is never retrieved
        try:
            await client.disconnect()
        except Exception as exc:  # noqa: BLE001 - the link is going anyway
            log.debug("disconnect failed: %s", exc)


def _queue_records(queue: asyncio.Queue, data: bytes | bytearray) -> None:
    """One summary notification: each of its records goes to the queue on its own (a
    notification that is not whole records goes as it is, to be rejected)."""
    try:
        records = wire.split_notification(data)
    except wire.WireError:
        records = [bytes(data)]
    for record in records:
        queue.put_nowait(("rec", record))


def _att_mtu(client: Any) -> int:
    """The link's ATT MTU: bleak derives a characteristic's largest write without
    response (MTU - 3) from BlueZ's `MTU` property (`BleakClient.mtu_size` on BlueZ is
    23 unless a private call asked BlueZ first)."""
    char = client.services.get_characteristic(profile.SUMMARY)
    return char.max_write_without_response_size + 3 if char is not None else 0


async def _serial(client: Any) -> str:
    serial = bytes(await client.read_gatt_char(profile.SERIAL_NUMBER)).decode(errors="replace")
    serial = serial.strip("\x00 ").strip()
    if not serial:
        raise BleError("the pod reports no serial number (Device Information 0x2A25)")
    return serial


async def _next(queue: asyncio.Queue, timeout: float) -> tuple[str, bytes]:
    async with asyncio.timeout(timeout):
        kind, data = await queue.get()
    if kind == "gone":
        raise LinkLostError("link dropped")
    return kind, data


async def _request(client: Any, queue: asyncio.Queue, op: int, param: int | None,
                   timeout_s: float, note: Callable[[str], None]) -> wire.Response:
    """Writes a control-point command and waits for its response; a refusal raises
    BleError naming the result. Records that arrive meanwhile are dropped (a sync's
    backfill asks for them again); undecodable indications go to `note`."""
    await client.write_gatt_char(profile.CONTROL_POINT, wire.encode_command(op, param),
                                 response=True)
    while True:
        kind, data = await _next(queue, timeout_s)
        if kind == "rec":
            continue
        try:
            answer = wire.decode_indication(data)
        except wire.WireError as exc:
            note(f"bad control-point indication: {exc}")
            continue
        if answer.kind == "response" and answer.op == op:
            if not answer.ok:
                raise BleError(
                    f"the pod refused {wire.OP_NAMES[op]}: {wire.RESULT_NAMES[answer.result]}"
                )
            return answer


@dataclass
class CommandResult:
    serial: str
    address: str
    response: wire.Response
    notes: list[str] = field(default_factory=list)  # indications that could not be decoded
    # answers to the follow-up ops asked on the same link (None: the pod refused one)
    more: dict[int, wire.Response | None] = field(default_factory=dict)


async def run_command(device: Any, op: int, param: int | None = None,
                      timeout_s: float = 10.0, more: tuple[int, ...] = ()) -> CommandResult:
    """Connects to `device` (a BLEDevice), bonds, runs one control-point command
    (podfw.link.wire OP_*) and disconnects. A refused command raises BleError. `more`:
    ops without a parameter asked next on the same link; a pod that refuses one (older
    firmware) answers None for it."""
    try:
        async with _connected(device, timeout_s) as (client, queue):
            notes: list[str] = []
            serial = await _serial(client)
            response = await _request(client, queue, op, param, timeout_s, notes.append)
            result = CommandResult(serial, client.address, response, notes)
            for extra in more:
                try:
                    result.more[extra] = await _request(client, queue, extra, None, timeout_s,
                                                        notes.append)
                except BleError:
                    result.more[extra] = None
            return result
    except TimeoutError:
        raise BleError(f"the pod did not answer {wire.OP_NAMES[op]} within {timeout_s:g} s") from None
    except LinkLostError:
        raise BleError(f"the link dropped before the pod answered {wire.OP_NAMES[op]}") from None
    except BleError:
        raise
    except Exception as exc:  # noqa: BLE001 - bleak and D-Bus errors
        raise bluetooth_error(exc) from exc


async def command(target: str | None, op: int, param: int | None = None, *,
                  scan_timeout: float = 10.0, timeout_s: float = 10.0,
                  more: tuple[int, ...] = ()) -> CommandResult:
    """run_command on a real pod (address or name; the strongest one in range when None)."""
    device = await find_pod(target, scan_timeout)
    return await run_command(device, op, param, timeout_s, more)


async def sync(
    target: str | None,
    store: Store,
    *,
    progress: Callable[[SyncProgress], None] | None = None,
    scan_timeout: float = 10.0,
    follow: bool = False,
    backoff: Backoff | None = None,
) -> SyncResult:
    """Syncs a real pod (address or name; the strongest one in range when None)."""
    device = await find_pod(target, scan_timeout)
    return await PodSync(store, progress=progress, backoff=backoff).run(device, follow=follow)
