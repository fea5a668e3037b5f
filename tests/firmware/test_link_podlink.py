# PodLink and the GATT table under real MicroPython, with a recording stand-in for the
# `bluetooth` module (radio_recorder): security flags, advertising, logging before
# sending, backfill + live streaming in order with flow control, link drops mid-backfill,
# and control-point writes of random bytes.

import radio_recorder
from fwtest import Lcg, assert_equal
from logstorage import ScratchStorage

radio_recorder.install()  # before podfw.link.gatt imports `bluetooth`

from podfw.gait.config import GaitConfig  # noqa: E402
from podfw.gait.summary import FLAG_WALKING  # noqa: E402
from podfw.link import gatt, podlink, wire  # noqa: E402
from podlink_rig import Controller, Rig, SeqSet  # noqa: E402

_FLAG_READ_ENCRYPTED = 0x0200
_FLAG_WRITE_ENCRYPTED = 0x1000


def test_services_security_and_advertising():
    with Rig() as rig:
        ble = rig.ble
        for uuid in (gatt.SUMMARY_UUID, gatt.CONTROL_POINT_UUID):
            flags = ble.flags[ble.handle_of(uuid)]
            assert flags & (_FLAG_READ_ENCRYPTED | _FLAG_WRITE_ENCRYPTED), uuid
        for uuid in (0x2A53, 0x2A54, 0x2A5D, 0x2A29, 0x2A24, 0x2A25, 0x2A27, 0x2A26, 0x2A19):
            flags = ble.flags[ble.handle_of(uuid)]
            assert not flags & (_FLAG_READ_ENCRYPTED | _FLAG_WRITE_ENCRYPTED), uuid
        assert_equal((ble.settings["addr_mode"], ble.settings["bond"], ble.settings["le_secure"]),
                     (2, True, True), "privacy and security config")
        interval, adv, resp = ble.advertising[-1]
        assert len(adv) <= 31 and len(resp) <= 31
        assert gatt._uuid128_le(gatt.STRIDEPOD_SERVICE_UUID) in adv
        assert b"\x03\x03\x14\x18" in adv and b"pod-test" in resp
        assert_equal(ble.values[ble.handle_of(0x2A54)], b"\x04\x00", "RSC features")
        assert_equal(ble.values[ble.handle_of(0x2A5D)], b"\x02", "sensor location in shoe")
        assert_equal(ble.values[ble.handle_of(0x2A29)], b"stridepod", "manufacturer")


def test_connected_follows_the_centrals():
    # main.py hands it to Power: no light sleep under a connection
    with Rig() as rig:
        assert not rig.link.connected
        rig.ble.connect(1)
        rig.ble.connect(2)
        rig.ble.disconnect(1)
        assert rig.link.connected
        rig.ble.disconnect(2)
        assert not rig.link.connected


def test_unbonded_central_gets_cadence_but_no_records_or_commands():
    with Rig() as rig:
        rig.ble.connect(1)
        rig.ble.handler(radio_recorder.IRQ_ENCRYPTION_UPDATE, (1, True, False, False, 16))
        rig.command(1, wire.encode_command(wire.OP_BACKFILL, 0))
        rig.window(cadence=171)
        rig.window(cadence=90, flags=FLAG_WALKING)
        rsc = [data for handle, data in rig.ble.updates if handle == rig.ble.handle_of(0x2A53)]
        assert_equal(rsc, [b"\x04\x00\x00\xab", b"\x00\x00\x00\x5a"], "RSC measurements")
        assert_equal(rig.records(1), [], "records to an unbonded central")
        replies = rig.indications(1)
        assert_equal([(r.op, r.result) for r in replies],
                     [(wire.OP_BACKFILL, wire.RESULT_NOT_PERMITTED)], "replies")
        assert_equal(rig.log.next_seq, 2, "windows logged anyway")


def test_backfill_then_live_in_order():
    with Rig() as rig:
        for _ in range(30):
            rig.window()
        rig.bonded_central(1)
        rig.command(1, wire.encode_command(wire.OP_BACKFILL, 10))
        while rig.link.poll():
            pass
        replies = rig.indications(1)
        assert_equal(replies[0].fields, {"first_seq": 10, "next_seq": 30, "lost": 0,
                                         "log_id": rig.log.log_id}, "backfill response")
        assert_equal((replies[1].kind, replies[1].fields["sent"]), ("event", 20), "caught up")
        for _ in range(5):
            rig.window()
        seqs = [r.seq for r in rig.records(1)]
        assert_equal(seqs, list(range(10, 35)), "streamed sequence numbers")
        assert_equal(rig.records(1)[-1].time_s - rig.records(1)[0].time_s, 24 * 5,
                     "timestamps follow the windows")
        rig.command(1, wire.encode_command(wire.OP_STOP_STREAM))
        rig.window()
        assert_equal(len(rig.records(1)), 25, "nothing after stop-stream")


def test_flow_control_sends_each_record_once():
    with Rig() as rig:
        for _ in range(100):
            rig.window()
        rig.bonded_central(1)
        rig.ble.notify_room = 0
        rig.command(1, wire.encode_command(wire.OP_BACKFILL, 0))
        rounds = 0
        while True:
            rig.ble.notify_room = 3  # the stack frees three buffers per connection event
            rounds += 1
            if not rig.link.poll():
                break
        assert_equal([r.seq for r in rig.records(1)], list(range(100)), "records")
        assert rounds >= 34


def test_link_drops_mid_backfill_lose_and_duplicate_nothing():
    # at each MTU, 100 sessions that end at a random point of the backfill or the live
    # stream; the notifications still in the stack's buffers when the link drops never
    # reach the host (each of them several records at the larger MTUs)
    for offered in (23, 185, 247):
        _drops_at_mtu(Lcg(2024 + offered), offered)


def _drops_at_mtu(rng, offered):
    with Rig(capacity=4096, segment=64) as rig:
        stored = SeqSet(4096)  # the host's store: sequence numbers
        duplicates = 0
        lost_in_stack = 0
        conn = 0
        for _session in range(100):
            for _ in range(rng.below(4 * wire.records_per_notification(offered) + 8)):
                rig.window()
            conn += 1
            rig.bonded_central(conn, offered)
            start = stored.top + 1
            rig.command(conn, wire.encode_command(wire.OP_BACKFILL, start))
            for _ in range(rng.below(6)):
                if rng.below(3) == 0:
                    rig.window()
                rig.ble.notify_room = rng.below(5)  # a slow link: the backfill takes a while
                rig.link.poll()
            rig.ble.notify_room = None
            received = rig.notifications(conn)
            gone = min(rng.below(3), len(received))  # queued in the stack at the drop
            lost_in_stack += gone
            for data in received[:len(received) - gone]:
                for record in map(wire.decode, wire.split_notification(data)):
                    if record.seq in stored:
                        duplicates += 1
                    stored.add(record.seq)
            rig.ble.disconnect(conn)  # at a random point of the backfill or live stream
            rig.ble.notified = []
            rig.ble.updates = []
        assert_equal(rig.link.counters.link_errors, 0, "errors")
        conn += 1
        rig.bonded_central(conn, offered)
        rig.command(conn, wire.encode_command(wire.OP_BACKFILL, stored.top + 1))
        while rig.link.poll():
            pass
        for record in rig.records(conn):
            if record.seq in stored:
                duplicates += 1
            stored.add(record.seq)
        assert_equal(duplicates, 0, "records received twice (by the host's resume rule)")
        missing = [seq for seq in range(rig.log.next_seq) if seq not in stored]
        assert_equal(missing, [], "records never received at MTU %d" % offered)
        assert rig.log.next_seq > 400 and lost_in_stack > 30, (rig.log.next_seq, lost_in_stack)
        assert_equal(rig.link.counters.link_errors, 0, "errors")


def test_backfill_older_than_the_ring_reports_lost():
    with Rig(capacity=64, segment=16) as rig:
        for _ in range(100):
            rig.window()
        rig.bonded_central(1)
        rig.command(1, wire.encode_command(wire.OP_BACKFILL, 5))
        while rig.link.poll():
            pass
        reply = rig.indications(1)[0]
        assert_equal((reply.fields["first_seq"], reply.fields["lost"]), (48, 43), "lost")
        assert_equal([r.seq for r in rig.records(1)], list(range(48, 100)), "kept records")
        rig.command(1, wire.encode_command(wire.OP_BACKFILL, wire.BACKFILL_LIVE_ONLY))
        rig.window()
        assert_equal(rig.records(1)[-1].seq, 100, "live only")


def test_commands_time_session_calibrate_config():
    controller = Controller()
    config = GaitConfig(placement="right_foot", window_s=5)
    with Rig(controller=controller, config=config) as rig:
        rig.bonded_central(7)
        rig.command(7, wire.encode_command(wire.OP_SET_TIME, 850000000))
        rig.command(7, wire.encode_command(wire.OP_START_SESSION))
        rig.command(7, wire.encode_command(wire.OP_CALIBRATE, wire.CALIBRATE_IMU_STILL))
        rig.command(7, wire.encode_command(wire.OP_CALIBRATE, wire.CALIBRATE_PRESSURE_ZERO))
        replies = rig.indications(7)
        rig.command(7, wire.encode_command(wire.OP_CALIBRATE, 9))
        rig.command(7, wire.encode_command(wire.OP_READ_CONFIG))
        rig.command(7, wire.encode_command(wire.OP_STOP_SESSION))
        rig.command(7, b"\x42")
        replies += rig.indications(7)
        assert_equal([(r.op, r.result) for r in replies], [
            (wire.OP_SET_TIME, wire.RESULT_SUCCESS), (wire.OP_START_SESSION, wire.RESULT_SUCCESS),
            (wire.OP_CALIBRATE, wire.RESULT_SUCCESS), (wire.OP_CALIBRATE, wire.RESULT_FAILED),
            (wire.OP_CALIBRATE, wire.RESULT_INVALID_PARAMETER),
            (wire.OP_READ_CONFIG, wire.RESULT_SUCCESS), (wire.OP_STOP_SESSION, wire.RESULT_SUCCESS),
            (0x42, wire.RESULT_NOT_SUPPORTED)], "replies")
        fields = replies[5].fields
        assert_equal((fields["placement"], fields["window_s"], fields["imu_rate_hz"],
                      fields["status"] & (wire.STATUS_CLOCK_SET | wire.STATUS_SESSION_ACTIVE)),
                     ("right_foot", 5, 200, wire.STATUS_CLOCK_SET | wire.STATUS_SESSION_ACTIVE),
                     "config")
        assert_equal(controller.calls, ["start", ("calibrate", 1), ("calibrate", 2), "stop"],
                     "controller calls")
        rig.window()
        rig.link.flush()
        record = wire.decode(rig.ble.values[rig.summary])
        assert record.clock_set and abs(record.time_s - (850000000 - 5)) <= 1


def test_read_status_reports_the_pods_counters():
    from podfw.counters import WHERE_IMU, Counters

    counters = Counters()
    with Rig(counters=counters) as rig:
        rig.bonded_central(7)
        counters.imu_faults = 2
        counters.scans_missed = 41
        counters.cycle_errors = 1
        counters.error(WHERE_IMU, OSError(19))
        rig.command(7, wire.encode_command(wire.OP_READ_STATUS))
        reply = rig.indications(7)[0]
        assert_equal((reply.op, reply.result), (wire.OP_READ_STATUS, wire.RESULT_SUCCESS), "reply")
        assert_equal(reply.fields, {"imu_faults": 2, "imu_restarts": 0, "imu_lost": 0,
                                    "scans_missed": 41, "log_failures": 0, "link_errors": 0,
                                    "cycle_errors": 1, "last_error_where": WHERE_IMU,
                                    "last_error_code": 19}, "counters")


def test_random_control_point_writes_never_crash():
    rng = Lcg(31337)
    with Rig(controller=Controller(), config=GaitConfig()) as rig:
        for _ in range(20):
            rig.window()
        rig.bonded_central(3)
        replies = 0
        for i in range(1500):
            data = bytes(rng.below(10) if k == 0 else rng.below(256)
                         for k in range(rng.below(24)))
            rig.command(3, data)
            if i % 50 == 0:
                rig.window()
            replies += len(rig.indications(3))
            rig.link.poll()
        assert_equal(rig.link.counters.link_errors, 0, "errors")
        assert replies >= 1500, replies
        rig.command(3, wire.encode_command(wire.OP_BACKFILL, 0))
        while rig.link.poll():
            pass
        assert rig.records(3)[-1].seq == rig.log.next_seq - 1


def test_bond_store_survives_a_reboot():
    with ScratchStorage() as storage:
        path = storage.root + "/bonds.json"
        bonds = gatt.BondStore(path)
        rig = Rig(bonds=bonds)
        try:
            handler = rig.ble.handler
            assert handler(radio_recorder.IRQ_SET_SECRET, (1, b"\x01\x02", b"secret"))
            assert handler(radio_recorder.IRQ_SET_SECRET, (1, b"\x03", b"other"))
            reloaded = gatt.BondStore(path)
            assert_equal(reloaded.get(1, 0, b"\x01\x02"), b"secret", "by key")
            assert_equal(reloaded.get(1, 1, None), b"other", "by index")
            assert handler(radio_recorder.IRQ_SET_SECRET, (1, b"\x01\x02", None))
            assert_equal(gatt.BondStore(path).get(1, 0, b"\x01\x02"), None, "deleted")
        finally:
            rig.close()
        with open(path, "w") as f:
            f.write("{not json")
        assert_equal(gatt.BondStore(path).get(1, 0, None), None, "unreadable store")


WATCH = b"\xc4\x11\x22\x33\x44\x55"  # a watch's identity address, as the connect IRQ gives it


def _watch_bonds(rig, conn):
    """A watch connects, bonds (NimBLE stores its keys through the IRQ), sets up the
    RSC sensor as an RSC Collector does (RSC Profile 4.3: it reads RSC Feature and
    Sensor Location) and the battery (reads Battery Level), then writes the CCCDs of
    RSC Measurement and Battery Level."""
    ble = rig.ble
    ble.connect(conn, WATCH, 0)
    key = gatt.peer_key(0, WATCH)
    assert ble.handler(radio_recorder.IRQ_SET_SECRET, (2, key, b"peer keys"))
    assert ble.handler(radio_recorder.IRQ_SET_SECRET, (1, key, b"our keys"))
    ble.encrypt(conn, bonded=True)
    for uuid in (0x2A54, 0x2A5D, 0x2A19):
        assert ble.read(conn, ble.handle_of(uuid)) is not None
    for uuid in (0x2A53, 0x2A19):
        ble.subscribe(conn, ble.handle_of(uuid))
    rig.link.poll()


def _heard(rig, conn, uuid):
    handle = rig.ble.handle_of(uuid)
    return [data for who, h, data in rig.ble.notified if who == conn and h == handle]


def test_a_bonded_watch_keeps_its_subscriptions_across_a_pod_reboot():
    # MicroPython's NimBLE binding keeps no CCCD for a bond (the stand-in neither):
    # after the pod reboots, the watch reconnects and encrypts with its bond but, as
    # the Core spec lets a bonded client do, writes no CCCD again. It must still get
    # the cadence and the battery level.
    with ScratchStorage() as storage:
        path = storage.root + "/bonds.json"
        rig = Rig(bonds=gatt.BondStore(path), battery_percent=90)
        try:
            _watch_bonds(rig, 1)
            rig.window(cadence=170)
            rig.link.set_battery(89)
            assert_equal(len(_heard(rig, 1, 0x2A53)), 1, "cadence while subscribed")
            assert_equal(_heard(rig, 1, 0x2A19), [bytes((89,))], "battery while subscribed")
            rig.ble.disconnect(1, WATCH, 0)
        finally:
            rig.close()
        # the pod reboots: a new stack, the same bond store file
        again = Rig(bonds=gatt.BondStore(path), battery_percent=88)
        try:
            ble = again.ble
            ble.connect(4, WATCH, 0)
            ble.encrypt(4, bonded=True)
            again.link.poll()
            again.window(cadence=172)
            again.link.set_battery(87)
            assert_equal([d[3] for d in _heard(again, 4, 0x2A53)], [172],
                         "cadence without re-subscribing")
            assert_equal(_heard(again, 4, 0x2A19), [bytes((88,)), bytes((87,))],
                         "battery on reconnection and on change")
            # a central that is not that bond gets nothing it did not subscribe to
            ble.connect(5, b"\x40\x99\x88\x77\x66\x55", 1)
            ble.encrypt(5, bonded=True)
            again.window(cadence=174)
            assert_equal(_heard(again, 5, 0x2A53), [], "another bond")
        finally:
            again.close()


def test_subscriptions_go_with_the_bond():
    with ScratchStorage() as storage:
        path = storage.root + "/bonds.json"
        rig = Rig(bonds=gatt.BondStore(path))
        try:
            _watch_bonds(rig, 1)
            key = gatt.peer_key(0, WATCH)
            bits = gatt.SUBSCRIBED_RSC | gatt.SUBSCRIBED_BATTERY
            assert_equal(gatt.BondStore(path).subscriptions(key), bits, "kept")
            handler = rig.ble.handler
            handler(radio_recorder.IRQ_SET_SECRET, (2, key, None))
            assert_equal(gatt.BondStore(path).subscriptions(key), bits, "one key left")
            handler(radio_recorder.IRQ_SET_SECRET, (1, key, None))
            assert_equal(gatt.BondStore(path).subscriptions(key), 0, "bond deleted")
        finally:
            rig.close()
        with open(path, "w") as f:  # a store written before subscriptions were kept
            f.write('[[1, "0102", "736563726574"]]')
        old = gatt.BondStore(path)
        assert_equal((old.get(1, 0, b"\x01\x02"), old.subscriptions(b"\x01\x02")),
                     (b"secret", 0), "older file")


def test_battery_notified_only_on_change():
    with Rig(battery_percent=80) as rig:
        battery = rig.ble.handle_of(0x2A19)
        assert_equal(rig.ble.values[battery], bytes((80,)), "initial level")
        rig.ble.connect(1)
        for percent in (80, 80, 79, 79, 150):
            rig.link.set_battery(percent)
        sent = [data for handle, data in rig.ble.updates if handle == battery]
        assert_equal(sent, [bytes((79,)), bytes((100,))], "battery notifications")


# ---- MTU and packed notifications ------------------------------------------------------

def _backfill_all(rig, conn, first=0):
    rig.command(conn, wire.encode_command(wire.OP_BACKFILL, first))
    while rig.link.poll():
        pass


def test_pod_prefers_mtu_247_and_packs_whole_records():
    # MTUs a central may offer: none (23), a BLE 4.1 phone's 50, iOS's 185, BlueZ's and
    # Android 14's 517 (the link gets the smaller side's: at most the pod's 247)
    for offered, per in ((None, 1), (50, 2), (185, 9), (247, 12), (517, 12)):
        with Rig(capacity=1024, segment=64) as rig:
            assert_equal(rig.ble.settings["mtu"], wire.MAX_ATT_MTU, "preferred MTU")
            for _ in range(200):
                rig.window()
            rig.bonded_central(1, offered)
            _backfill_all(rig, 1)
            sizes = [len(data) for data in rig.notifications(1)]
            room = (min(offered, wire.MAX_ATT_MTU) if offered else 23) - 3
            assert max(sizes) <= room and max(sizes) == per * wire.RECORD_SIZE, (offered, sizes)
            assert all(size % wire.RECORD_SIZE == 0 for size in sizes)
            # a notification never spans two flash segments: 3 of 64 records, then 8
            expected = 3 * ((64 + per - 1) // per) + (8 + per - 1) // per
            assert_equal(len(sizes), expected, "notifications at MTU %r" % offered)
            assert_equal(rig.seqs(1), list(range(200)), "records")
            reply = rig.indications(1)[-1]
            assert_equal((reply.kind, reply.fields["sent"]), ("event", 200), "caught up")


def test_pod_asks_for_the_mtu_unless_the_central_did():
    with Rig() as rig:
        rig.ble.connect(1)
        rig.link.poll()
        rig.link.poll()
        assert_equal(rig.ble.mtu_requests, [1], "the pod's one exchange request")
        rig.ble.exchange_mtu(1, 517)  # the central's answer
        rig.ble.connect(2)
        rig.ble.exchange_mtu(2, 185)  # this central exchanged first
        rig.link.poll()
        assert_equal(rig.ble.mtu_requests, [1], "no request once exchanged")
        assert_equal(rig.link.counters.link_errors, 0, "errors")


def test_stack_out_of_buffers_retries_without_loss_at_every_mtu():
    rng = Lcg(99)
    for offered in (23, 185, 247):
        with Rig(capacity=2048, segment=192) as rig:
            for _ in range(500):
                rig.window()
            rig.bonded_central(1, offered)
            rig.ble.notify_room = 0
            rig.command(1, wire.encode_command(wire.OP_BACKFILL, 0))
            polls = 0
            while True:
                rig.ble.notify_room = rng.below(4)  # buffers freed by the last connection event
                polls += 1
                if rng.below(10) == 0:
                    rig.window()  # logged while a refused notification waits (same buffer)
                if not rig.link.poll():
                    break
            assert_equal(rig.seqs(1), list(range(rig.log.next_seq)), "records")
            assert rig.ble.enomem > 0 and polls > len(rig.notifications(1)) // 3, polls
            assert_equal(rig.link.counters.link_errors, 0, "errors")


def test_damaged_record_inside_a_packed_run_is_skipped():
    with Rig(capacity=1024, segment=16) as rig:
        for _ in range(40):
            rig.window()
        # flash bit rot in record 17, in a sealed segment (16..31)
        path = "%s/%08x.seg" % (rig.storage.root, 16)
        with open(path, "rb") as f:
            data = bytearray(f.read())
        data[1 * wire.RECORD_SIZE + 11] ^= 0x04
        with open(path, "wb") as f:
            f.write(data)
        rig.bonded_central(1, 247)
        _backfill_all(rig, 1)
        assert_equal([len(d) // wire.RECORD_SIZE for d in rig.notifications(1)],
                     [12, 4, 1, 12, 2, 8], "records per notification (segments of 16)")
        assert_equal([r.seq for r in rig.records(1)], [s for s in range(40) if s != 17], "records")


def test_streaming_a_notification_allocates_nothing():
    import micropython

    with Rig(capacity=1024, segment=192) as rig:
        for _ in range(180):
            rig.window()
        rig.bonded_central(1, 247)
        rig.ble.notify_room = 0
        rig.command(1, wire.encode_command(wire.OP_BACKFILL, 0))  # commands may allocate
        rig.ble.notify_room = 1
        rig.link.poll()  # the first poll opens the segment file
        central = rig.link._centrals[1]
        rig.ble.sink = bytearray(200 * wire.RECORD_SIZE)
        rig.ble.notify_room = None
        rounds = 0
        while central.stream_next + podlink.NOTIFY_BURST * 12 < 180:
            micropython.heap_lock()
            try:
                rig.link._stream(central)  # the backfill's per-notification path
            finally:
                micropython.heap_unlock()
            rounds += 1
        sent = rig.ble.sink_len // wire.RECORD_SIZE
        records = [wire.decode(bytes(rig.ble.sink[i * 20:(i + 1) * 20])) for i in range(sent)]
        assert_equal([r.seq for r in records], list(range(12, 12 + sent)), "records")
        assert rounds >= 1 and sent >= podlink.NOTIFY_BURST * 12, (rounds, sent)
