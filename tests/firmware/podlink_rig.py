# A pod's BLE side for firmware tests: PodLink on a scratch flash log with the recording
# stand-in for `bluetooth` (radio_recorder), and the test acting as its centrals.
import radio_recorder
from logstorage import fresh_storage, remove_tree

radio_recorder.install()  # before podfw.link.gatt imports `bluetooth`

from podfw.gait.summary import WindowSummary  # noqa: E402
from podfw.link import clock, flashlog, gatt, podlink, wire  # noqa: E402


class Controller:
    """The pod runtime's side of the control point: sessions always start and stop,
    only the imu-still calibration works; every call is recorded."""

    def __init__(self):
        self.calls = []

    def start_session(self):
        self.calls.append("start")
        return True

    def stop_session(self):
        self.calls.append("stop")
        return True

    def calibrate(self, target):
        self.calls.append(("calibrate", target))
        return target == wire.CALIBRATE_IMU_STILL


class Rig:
    """A pod (PodLink on a scratch flash log) and the test acting as its centrals."""

    def __init__(self, capacity=flashlog.DEFAULT_CAPACITY, segment=flashlog.SEGMENT_RECORDS,
                 bond_store=False, storage=None, **kwargs):
        self.storage = storage or fresh_storage()
        if bond_store:  # kept beside the log, so close() removes it too
            kwargs["bonds"] = gatt.BondStore(self.storage.root + "/bonds.json")
        self.ble = radio_recorder.BLE()
        self.log = flashlog.FlashLog(self.storage, capacity, segment)
        self.clock = clock.PodClock()
        self.link = podlink.PodLink(self.ble, self.log, self.clock, name="pod-test", **kwargs)
        self.cp = self.ble.handle_of(gatt.CONTROL_POINT_UUID)
        self.summary = self.ble.handle_of(gatt.SUMMARY_UUID)
        self.windows = 0
        self.seen = 0  # indications already collected

    def close(self):
        remove_tree(self.storage.root)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def window(self, steps=14, cadence=168, flags=0):
        index = self.windows
        self.windows += 1
        return self.link.publish(WindowSummary(
            index=index, start_ms=index * 5000, duration_ms=5000, steps=steps,
            cadence_spm=cadence, impact_peak_cg=800 + index % 50, contact_ms=230,
            strike_heel=3, strike_mid=2, strike_fore=2, flags=flags))

    def bonded_central(self, conn, mtu=None):
        """A bonded central on `conn`; with `mtu` it exchanges MTUs (offering `mtu`)."""
        self.ble.connect(conn)
        self.ble.encrypt(conn)
        if mtu is not None:
            self.ble.exchange_mtu(conn, mtu)

    def command(self, conn, data):
        self.ble.write(conn, self.cp, data)
        self.link.poll()

    def indications(self, conn):
        """Acknowledges every indication so far and returns the new ones decoded (the
        recorder then forgets them: long runs keep within the pod's heap budget)."""
        out = []
        while self.seen < len(self.ble.indicated):
            who, handle, data = self.ble.indicated[self.seen]
            self.seen += 1
            if who == conn and handle == self.cp:
                out.append(wire.decode_indication(data))
                self.ble.ack_indication(conn, self.cp)
                self.link.poll()
        # forget what was collected: a long test must not grow the list (one 16 KB
        # block in a fragmented unix-port heap is enough to fail)
        del self.ble.indicated[:self.seen]
        self.seen = 0
        return out

    def log_record(self, seq):
        """The encoded record `seq` as the flash log holds it."""
        buf = bytearray(wire.RECORD_SIZE)
        assert self.log.read(seq, buf), "record %d is not in the log" % seq
        return buf

    def notifications(self, conn):
        return [data for who, handle, data in self.ble.notified
                if who == conn and handle == self.summary]

    def records(self, conn):
        return [wire.decode(record) for data in self.notifications(conn)
                for record in wire.split_notification(data)]

    def seqs(self, conn):
        """The sequence numbers of records(conn), each record checked and decoded but
        not kept: hundreds of Records at once would not fit the pod-sized test heap."""
        return [wire.decode(record).seq for data in self.notifications(conn)
                for record in wire.split_notification(data)]


class SeqSet:
    """The host's store of received sequence numbers below `capacity`, as a bitmap: a set
    of thousands of ints needs one large block, which the pod-sized test heap (256 KB,
    fragmented by the rig's small objects) may not have in one piece."""

    def __init__(self, capacity):
        self.bits = bytearray((capacity + 7) // 8)
        self.top = -1  # the highest sequence number added

    def __contains__(self, seq):
        return bool(self.bits[seq >> 3] & (1 << (seq & 7)))

    def add(self, seq):
        self.bits[seq >> 3] |= 1 << (seq & 7)
        if seq > self.top:
            self.top = seq
