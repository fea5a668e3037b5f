# PodLink: the pod's side of the BLE link. Every finished window is encoded (wire v1),
# appended to the flash log and only then offered to the centrals; a bonded central
# streams the log from any sequence number with a backfill command and then stays live
# on the same stream, so records arrive in sequence order, each once per stream.
#
# Threading: on the ESP32 the BLE IRQ handler is not a scheduled callback: the port
# runs it synchronously on the NimBLE host task (MICROPY_PY_BLUETOOTH_USE_SYNC_EVENTS in
# ports/esp32/mpconfigport.h), holding the GIL, so it interleaves with the main task at
# bytecode boundaries. It therefore only records what happened (connection state, reads
# of the standard characteristics, a copy of each control-point write) with operations
# that are atomic under the GIL (list append/pop, attribute stores), answers the bond
# store's _IRQ_GET_SECRET from memory at once (NimBLE waits for it), and catches every
# exception (one that escapes disables the handler for good: "Unhandled exception in IRQ
# callback handler"). Commands, streaming, notifications and indications, and writing
# subscriptions to the bond store, run in poll(), which the main loop calls often (and
# publish() calls too).
#
# Bonded watches keep their subscriptions (gatt.BondStore.subscriptions): MicroPython's
# NimBLE binding forgets a bonded central's CCCDs at every disconnection and reboot, so
# the link notifies RSC Measurement and Battery Level itself (gatts_notify) to a bonded
# central that, in an earlier connection, read RSC Feature or Sensor Location (an RSC
# Collector) or Battery Level. A central that writes its CCCD again after reconnecting
# gets those values twice (the stack's notification and the link's): harmless for
# cadence and battery levels, and the price of not seeing CCCD writes.
#
# controller (optional): an object with start_session(), stop_session() and
# calibrate(target) returning True on success; without it those commands answer "not
# supported".
#
# Backfill speed: the pod prefers an ATT MTU of wire.MAX_ATT_MTU (gatt.setup) and asks for
# it itself once per link (a central that never exchanges MTUs would keep 23); each
# notification then packs as many whole records as the link's MTU - 3 bytes hold
# (_IRQ_MTU_EXCHANGED tells the MTU), read straight from flash into the flash log's
# 240-byte buffer for held records (free while a stream runs), through views made at
# start: streaming allocates nothing per notification. When the stack is out of buffers
# (gatts_notify raises OSError ENOMEM) the records stay in that buffer (unless a new
# record was logged meanwhile) and go out on a later poll(); the stream never moves past
# a notification the stack did not take. MicroPython has no call for a peripheral to ask for a connection
# interval: the central chooses it (docs/protocol.md, "Link speed").
from micropython import const

from podfw.counters import WHERE_LINK, WHERE_LOG, Counters
from podfw.drivers.battery import LOW_PERCENT
from podfw.gait.summary import FLAG_WALKING
from podfw.link import gatt, rsc, wire

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_GATTS_READ_REQUEST = const(4)
_IRQ_GATTS_INDICATE_DONE = const(20)
_IRQ_MTU_EXCHANGED = const(21)
_IRQ_ENCRYPTION_UPDATE = const(28)
_IRQ_GET_SECRET = const(29)
_IRQ_SET_SECRET = const(30)

MAX_CONNECTIONS = const(2)  # a phone and a watch
NOTIFY_BURST = const(8)  # notifications per central per poll(); the stack queues them
MAX_PENDING_WRITES = const(8)
MAX_PENDING_INDICATIONS = const(4)


class DeviceInfo:
    """Device Information service strings."""

    def __init__(self, manufacturer="stridepod", model="stridepod-1", serial="0",
                 hardware_rev="1", firmware_rev="0.1.0"):
        self.manufacturer = manufacturer
        self.model = model
        self.serial = serial
        self.hardware_rev = hardware_rev
        self.firmware_rev = firmware_rev


class _Central:
    def __init__(self, conn, peer):
        self.conn = conn
        self.peer = peer  # gatt.peer_key of its address: its key in the bond store
        self.encrypted = False
        self.bonded = False
        self.reads = 0  # gatt.SUBSCRIBED_* it showed by reading, this connection
        self.kept = 0  # gatt.SUBSCRIBED_* the bond store holds for it
        self.restored = 0  # ... restored on this link: the link notifies those itself
        self.restore_due = False  # send the current values once (poll)
        self.stream_next = None  # next sequence to send; None = not streaming
        self.sent = 0  # records sent by the current stream
        self.caught_up_due = False  # send EVENT_CAUGHT_UP when the stream reaches the end
        self.indications = []  # control-point indications waiting their turn
        self.indicating = False  # one indication in flight (ATT allows one at a time)
        self.mtu = wire.ATT_DEFAULT_MTU  # until _IRQ_MTU_EXCHANGED
        self.mtu_asked = False  # the pod's own MTU exchange request went out

    def secure(self):
        return self.encrypted and self.bonded


class PodLink:
    def __init__(self, ble, log, clock, name="stridepod", info=None, config=None,
                 controller=None, bonds=None, battery_percent=100, counters=None):
        self.ble = ble
        self.log = log
        self.clock = clock
        self.name = name
        self.config = config
        self.controller = controller
        self.bonds = bonds
        # a pod that starts recording at boot says so (its session_active)
        self.session_active = bool(getattr(controller, "session_active", False))
        # what went wrong since boot: the pod's own counters (main.py passes them), which
        # read-status reports (link_errors, log_failures, the last error)
        self.counters = counters if counters is not None else Counters()
        self._centrals = {}
        self._writes = []  # (conn, bytes) control-point writes not handled yet
        self._record = bytearray(wire.RECORD_SIZE)  # the window being published
        # records read back for a notification, in the flash log's buffer for held
        # records (free whenever a stream runs: it writes what is held first, and
        # appends while streaming write at once); views[k - 1] is its first k records
        size = wire.MAX_RECORDS_PER_NOTIFICATION * wire.RECORD_SIZE
        notify = log.scratch()
        if len(notify) < size:
            notify = memoryview(bytearray(size))
        self._notify_views = tuple(notify[:k * wire.RECORD_SIZE]
                                   for k in range(1, wire.MAX_RECORDS_PER_NOTIFICATION + 1))
        self._notify_for = None  # the central whose records the buffer holds (a retry)
        self._notify_seq = 0  # ... from this sequence number
        self._notify_count = 0  # ... this many
        self._notify_logged = 0  # ... read while the log's next_seq was this (an append
        # since then overwrote the buffer)
        self._rsc = bytearray(4)
        self._session_base_s = None  # pod-clock second at which the session's window 0 began
        self._clock_generation = -1
        self.handles = gatt.setup(ble, name)
        info = info or DeviceInfo()
        h = self.handles
        ble.gatts_write(h.manufacturer, info.manufacturer.encode())
        ble.gatts_write(h.model, info.model.encode())
        ble.gatts_write(h.serial, info.serial.encode())
        ble.gatts_write(h.hardware_rev, info.hardware_rev.encode())
        ble.gatts_write(h.firmware_rev, info.firmware_rev.encode())
        ble.gatts_write(h.rsc_feature, rsc.feature_value())
        ble.gatts_write(h.sensor_location, rsc.location_value())
        ble.gatts_write(h.rsc_measurement, rsc.measurement(0, False, self._rsc))
        self._battery = max(0, min(100, battery_percent))
        ble.gatts_write(h.battery, bytes((self._battery,)))
        ble.irq(self._irq)
        gatt.advertise(ble, name)

    @property
    def connected(self):
        """True while a central is connected."""
        return bool(self._centrals)

    # ---- the window sink ---------------------------------------------------------------

    def publish(self, summary):
        """Logs one WindowSummary, then sends it (RSC cadence to the centrals subscribed
        to it, the record to streaming bonded centrals). Returns its sequence number, or
        None when the flash log refused it (counted in log_failures; the pod keeps
        running, and nothing a central writes can make a window unencodable).

        While no central streams records the log holds them in RAM and writes them a
        minute at a time (flashlog: one flash erase per batch instead of per record);
        with a central streaming, or the battery low, each is written at once. A record
        is sent (notified, or readable) only once it is on flash."""
        unwritten = self.log.unwritten
        try:
            seq = self._log(summary)
        except Exception as exc:  # flash full or failing: the pod must keep sampling
            self._log_failed(exc, unwritten)
            return None
        h = self.handles
        ble = self.ble
        running = summary.steps > 0 and not (summary.flags & FLAG_WALKING)
        rsc.measurement(summary.cadence_spm, running, self._rsc)
        try:
            if not self.log.held:
                ble.gatts_write(h.summary, self._record)
            # send_update: the stack notifies the centrals subscribed to RSC (watches) on
            # this connection; the link those whose subscription it restored
            ble.gatts_write(h.rsc_measurement, self._rsc, True)
            self._notify_kept(gatt.SUBSCRIBED_RSC, h.rsc_measurement, self._rsc)
        except OSError as exc:
            self._note(exc)  # cadence is live data; the next window brings the next one
        self.poll()
        return seq

    def _log(self, summary):
        clock = self.clock
        now = clock.now_s()
        if (summary.index == 0 or self._session_base_s is None
                or self._clock_generation != clock.generation):
            # anchor the session on the pod clock; later windows count from the anchor,
            # so timestamps follow the sample clock even when windows are published late
            self._session_base_s = now - (summary.start_ms + summary.duration_ms) // 1000
            self._clock_generation = clock.generation
        time_s = self._session_base_s + summary.start_ms // 1000
        if time_s < 0:
            time_s = 0
        wire.encode_summary(summary, self.log.next_seq, time_s, clock.is_set, self._record)
        hold = self._battery >= LOW_PERCENT and not self._streaming()
        return self.log.append(self._record, hold)

    def _streaming(self):
        for central in self._centrals.values():
            if central.stream_next is not None:
                return True
        return False

    def flush(self):
        """Writes the records the log holds in RAM (before a stream starts, at the end of
        a session, before deep sleep or a reset). Returns False when the flash refused
        them (counted in log_failures)."""
        unwritten = self.log.unwritten
        try:
            written = self.log.flush()
        except Exception as exc:
            self._log_failed(exc, unwritten)
            return False
        if written:  # the newest record (the last one encoded) is readable now
            try:
                self.ble.gatts_write(self.handles.summary, self._record)
            except OSError as exc:
                self._note(exc)
        return True

    def _log_failed(self, exc, unwritten_before):
        # every window lost counts: a failed write loses all the records it held
        self.counters.log_failures += max(1, self.log.unwritten - unwritten_before)
        self.counters.error(WHERE_LOG, exc)

    def set_battery(self, percent):
        """Updates Battery Level; centrals are notified only when the value changes, so
        the main loop may call this as often as it likes."""
        percent = max(0, min(100, percent))
        if percent == self._battery:
            return
        self._battery = percent
        value = bytes((percent,))
        try:
            self.ble.gatts_write(self.handles.battery, value, True)
        except OSError as exc:
            self._note(exc)
        self._notify_kept(gatt.SUBSCRIBED_BATTERY, self.handles.battery, value)

    # ---- IRQ: record only ---------------------------------------------------------------

    def _irq(self, event, data):
        try:
            if event == _IRQ_GATTS_WRITE:
                conn, handle = data
                if handle == self.handles.control_point and conn in self._centrals:
                    if len(self._writes) < MAX_PENDING_WRITES:
                        # copy now: the stack reuses its buffer after the IRQ returns
                        self._writes.append((conn, bytes(self.ble.gatts_read(handle))))
                    # else: the central is flooding; it gets no answer and may retry
            elif event == _IRQ_GATTS_READ_REQUEST:
                central = self._centrals.get(data[0])
                if central is not None:
                    central.reads |= self._subscription_read(data[1])
                return 0  # the read goes ahead
            elif event == _IRQ_CENTRAL_CONNECT:
                conn = data[0]
                self._centrals[conn] = _Central(conn, gatt.peer_key(data[1], data[2]))
                if len(self._centrals) < MAX_CONNECTIONS:
                    gatt.advertise(self.ble, self.name)
            elif event == _IRQ_CENTRAL_DISCONNECT:
                self._centrals.pop(data[0], None)
                gatt.advertise(self.ble, self.name)
            elif event == _IRQ_ENCRYPTION_UPDATE:
                central = self._centrals.get(data[0])
                if central is not None:
                    central.encrypted = bool(data[1])
                    central.bonded = bool(data[3])
                    if central.secure() and self.bonds is not None and not central.kept:
                        # what this bond subscribed to before: the stack has forgotten it
                        central.kept = central.restored = self.bonds.subscriptions(central.peer)
                        central.restore_due = bool(central.restored)
            elif event == _IRQ_GATTS_INDICATE_DONE:
                central = self._centrals.get(data[0])
                if central is not None:
                    central.indicating = False
            elif event == _IRQ_MTU_EXCHANGED:
                central = self._centrals.get(data[0])
                if central is not None:
                    central.mtu = data[1]
            elif event == _IRQ_GET_SECRET:
                if self.bonds is not None:
                    return self.bonds.get(data[0], data[1], data[2])
                return None
            elif event == _IRQ_SET_SECRET:
                if self.bonds is not None:
                    return self.bonds.set(data[0], data[1], data[2])
                return False
        except Exception as exc:  # an IRQ handler that raises would stop the BLE task
            self._note(exc)
        return None

    def _subscription_read(self, handle):
        h = self.handles
        if handle == h.rsc_feature or handle == h.sensor_location:
            return gatt.SUBSCRIBED_RSC
        if handle == h.battery:
            return gatt.SUBSCRIBED_BATTERY
        return 0

    def _notify_kept(self, bit, handle, value):
        """Notifies `value` to the bonded centrals whose subscription (`bit`) the link
        restored: the stack no longer knows they subscribed."""
        for central in list(self._centrals.values()):  # the IRQ may change the dict
            if central.restored & bit:
                try:
                    self.ble.gatts_notify(central.conn, handle, value)
                except OSError as exc:
                    self._note(exc)

    def _keep_subscriptions(self, central):
        """Main task: restores and keeps what a bonded central subscribed to."""
        if central.restore_due:  # its battery level now, as the stack would on restore
            central.restore_due = False
            if central.restored & gatt.SUBSCRIBED_BATTERY:
                try:
                    self.ble.gatts_notify(central.conn, self.handles.battery,
                                          bytes((self._battery,)))
                except OSError as exc:
                    self._note(exc)
        new = central.reads & ~central.kept
        if new and central.secure() and self.bonds is not None:
            central.kept |= new
            if not self.bonds.subscribe(central.peer, new):
                self._note(OSError(28))  # the bond store could not be written

    def _note(self, exc):
        self.counters.link_errors += 1
        self.counters.error(WHERE_LINK, exc)

    # ---- main-loop work -------------------------------------------------------------------

    def poll(self):
        """Handles queued control-point writes, streams records, sends indications.
        Returns True while a stream still has logged records to send."""
        while self._writes:
            conn, data = self._writes.pop(0)
            central = self._centrals.get(conn)
            if central is not None:
                self._queue_indication(central, self.handle_command(central, data))
        busy = False
        for central in list(self._centrals.values()):
            self._keep_subscriptions(central)
            if not central.mtu_asked:
                self._ask_mtu(central)
            if self._stream(central):
                busy = True
            self._flush_indications(central)
        return busy

    def _ask_mtu(self, central):
        # Exchange MTU from the pod's side, as MicroPython's ble_mtu_peripheral test does
        # (a GATT-client call: ports built without the client lack it). Centrals that
        # exchange MTUs themselves (BlueZ, iOS, Android 14+) make this a repeat; for the
        # others it is the only way past 23 bytes.
        central.mtu_asked = True
        exchange = getattr(self.ble, "gattc_exchange_mtu", None)
        if exchange is None or central.mtu != wire.ATT_DEFAULT_MTU:
            return
        try:
            exchange(central.conn)
        except OSError:
            pass  # EALREADY: the central's exchange came first; its IRQ has the MTU

    def handle_command(self, central, data):
        """Runs one control-point command and returns the response bytes. Never raises:
        malformed input gets an error result, a failing handler a "failed" result."""
        op = data[0] if len(data) else 0
        try:
            if not central.secure():
                return wire.encode_response(op, wire.RESULT_NOT_PERMITTED)
            try:
                op, param = wire.parse_command(data)
            except wire.WireError:
                if op in wire.OP_NAMES:
                    return wire.encode_response(op, wire.RESULT_INVALID_PARAMETER)
                return wire.encode_response(op, wire.RESULT_NOT_SUPPORTED)
            return self._run(central, op, param)
        except Exception as exc:
            self._note(exc)
            return wire.encode_response(op, wire.RESULT_FAILED)

    def _run(self, central, op, param):
        if op == wire.OP_SET_TIME:
            if param > wire.MAX_SET_TIME_S:  # the clock would run past the u32 timestamp
                return wire.encode_response(op, wire.RESULT_INVALID_PARAMETER)
            self.clock.set_s(param)
            return wire.encode_response(op, wire.RESULT_SUCCESS)
        if op == wire.OP_BACKFILL:
            return wire.encode_response(op, wire.RESULT_SUCCESS, self._start_stream(central, param))
        if op == wire.OP_STOP_STREAM:
            central.stream_next = None
            central.caught_up_due = False
            return wire.encode_response(op, wire.RESULT_SUCCESS)
        if op == wire.OP_READ_CONFIG:
            return wire.encode_response(op, wire.RESULT_SUCCESS, self._config_payload())
        if op == wire.OP_READ_STATUS:
            return wire.encode_response(op, wire.RESULT_SUCCESS,
                                        wire.status_payload(self.counters))
        if op == wire.OP_CALIBRATE:
            if param not in (wire.CALIBRATE_IMU_STILL, wire.CALIBRATE_PRESSURE_ZERO):
                return wire.encode_response(op, wire.RESULT_INVALID_PARAMETER)
            return self._delegate(op, "calibrate", param)
        if op == wire.OP_START_SESSION:
            response = self._delegate(op, "start_session", None)
            if response[2] == wire.RESULT_SUCCESS:
                self.session_active = True
            return response
        # OP_STOP_SESSION: parse_command admits no other op
        response = self._delegate(op, "stop_session", None)
        if response[2] == wire.RESULT_SUCCESS:
            self.session_active = False
            self.flush()  # the session's last windows are on flash when it ends
        return response

    def _delegate(self, op, method, param):
        handler = getattr(self.controller, method, None) if self.controller else None
        if handler is None:
            return wire.encode_response(op, wire.RESULT_NOT_SUPPORTED)
        ok = handler(param) if param is not None else handler()
        return wire.encode_response(op, wire.RESULT_SUCCESS if ok else wire.RESULT_FAILED)

    def _start_stream(self, central, wanted):
        self.flush()  # every record the stream may send is on flash first
        log = self.log
        if wanted == wire.BACKFILL_LIVE_ONLY:
            first, lost = log.next_seq, 0
        else:
            first = log.next_present(wanted)
            oldest = log.oldest_seq
            lost = oldest - wanted if wanted < oldest else 0
        central.stream_next = first
        central.sent = 0
        central.caught_up_due = True
        return wire.backfill_payload(first, log.next_seq, lost, log.log_id)

    def _config_payload(self):
        config = self.config
        status = 0
        if self.clock.is_set:
            status |= wire.STATUS_CLOCK_SET
        if self.session_active:
            status |= wire.STATUS_SESSION_ACTIVE
        if config is None:
            return wire.config_payload(0, 0, 0, "unknown", status, self.log.capacity,
                                       self.log.next_seq)
        if getattr(config, "has_gyro", False):
            status |= wire.STATUS_HAS_GYRO
        if getattr(config, "zone_xy", None):
            status |= wire.STATUS_HAS_PRESSURE
        return wire.config_payload(config.window_s, config.imu_rate_hz,
                                   config.pressure_rate_hz, config.placement, status,
                                   self.log.capacity, self.log.next_seq)

    def _stream(self, central):
        if central.stream_next is None or not central.secure():
            return False
        log = self.log
        if log.held:  # only records on flash are sent
            self.flush()
        per = wire.records_per_notification(central.mtu)
        budget = NOTIFY_BURST
        while budget > 0 and central.stream_next < log.next_seq:
            seq = log.next_present(central.stream_next)
            if seq >= log.next_seq:
                central.stream_next = seq
                break
            n = self._fill(central, seq, per)
            if n == 0:
                central.stream_next = seq + 1  # damaged on flash: the host sees a gap
                continue
            try:
                self.ble.gatts_notify(central.conn, self.handles.summary,
                                      self._notify_views[n - 1])
            except OSError:
                # out of buffers (ENOMEM) or the link is closing: the records stay in
                # the buffer for the next poll
                return True
            self._notify_for = None
            central.stream_next = seq + n
            central.sent += n
            budget -= 1
        if central.stream_next < log.next_seq:
            return True
        if central.caught_up_due:
            central.caught_up_due = False
            self._queue_indication(central, wire.encode_event(
                wire.EVENT_CAUGHT_UP, wire.caught_up_payload(log.next_seq, central.sent)))
        return False

    def _fill(self, central, seq, per):
        """Records from `seq` in the notify buffer for `central` (at most `per`, never
        across a flash segment): kept from a notification the stack refused, else read
        from flash. Returns how many (0: record `seq` is damaged)."""
        if (self._notify_for is central and self._notify_seq == seq
                and self._notify_logged == self.log.next_seq):
            return self._notify_count if self._notify_count < per else per
        n = self.log.read_run(seq, self._notify_views, per)
        self._notify_for = central
        self._notify_seq = seq
        self._notify_count = n
        self._notify_logged = self.log.next_seq
        return n

    def _queue_indication(self, central, data):
        if len(central.indications) < MAX_PENDING_INDICATIONS:
            central.indications.append(data)
        else:
            self.counters.link_errors += 1  # the central is not acknowledging; drop rather than grow

    def _flush_indications(self, central):
        if central.indicating or not central.indications:
            return
        try:
            self.ble.gatts_write(self.handles.control_point, central.indications[0])
            self.ble.gatts_indicate(central.conn, self.handles.control_point)
        except OSError:
            return  # stack busy: the indication stays first in line for the next poll
        central.indications.pop(0)
        central.indicating = True
