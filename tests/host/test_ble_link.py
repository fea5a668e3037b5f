"""The bleak client against the real firmware on the virtual pod: what an unbonded
central may see, records damaged on the air, a pod synced twice, and the host's UUIDs
against the pod's."""

from __future__ import annotations

import asyncio
import random
import re

import pytest
from bleak import BleakClient
from bleak.exc import BleakGATTProtocolError, BleakGATTProtocolErrorCode

import podfw  # noqa: F401
from podfw.link import wire
from stridepod.ble import Backoff, LinkLostError, PodNotFoundError, PodSync, find_pod, profile
from stridepod.ble.virtual import virtual_rig
from stridepod.store.database import Store
from stridepod.virtualpod.launcher import PodSettings
from virtualpod_support import (
    RUN,
    SHORT_RUN,
    expected_record,
    run_isolated,
    stored_fields,
)


async def _unbonded_look(recording):
    async with virtual_rig(recording, PodSettings(serial="SEC00001")) as rig:
        await rig.pod.wait_done()
        device = await find_pod(None, timeout=10)
        seen = {}
        async with BleakClient(device, pair=False) as client:
            seen["services"] = {s.uuid for s in client.services}
            seen["serial"] = bytes(await client.read_gatt_char(profile.SERIAL_NUMBER))
            seen["rsc_feature"] = bytes(await client.read_gatt_char(profile.sig_uuid(0x2A54)))
            for name, attempt in (
                ("read", lambda: client.read_gatt_char(profile.SUMMARY)),
                ("subscribe", lambda: client.start_notify(profile.SUMMARY, lambda *_: None)),
                ("command", lambda: client.write_gatt_char(
                    profile.CONTROL_POINT, b"\x04\x00\x00\x00\x00", response=True)),
            ):
                with pytest.raises(BleakGATTProtocolError) as refused:
                    await attempt()
                seen[name] = refused.value
            await client.start_notify(profile.RSC_MEASUREMENT, lambda *_: None)
        return seen


def test_an_unbonded_central_gets_rsc_and_device_info_but_no_records():
    seen = run_isolated(_unbonded_look, SHORT_RUN)
    assert {profile.STRIDEPOD_SERVICE, profile.RSC_SERVICE, profile.DEVICE_INFORMATION} <= seen["services"]
    assert seen["serial"] == b"SEC00001"
    assert len(seen["rsc_feature"]) == 2
    for refused in ("read", "subscribe", "command"):
        assert seen[refused].code == BleakGATTProtocolErrorCode.INSUFFICIENT_AUTHENTICATION


async def _sync_with_damage(store, damaged):
    async with virtual_rig(RUN, PodSettings(serial="AIR00001")) as rig:
        await rig.pod.wait_done()
        device = await find_pod(None, timeout=10)
        rig.bluez.corrupt_next(rig.pod.radio, profile.SUMMARY, damaged)
        sync = PodSync(store, backoff=Backoff(first_s=0.01, longest_s=0.1))
        first = await sync.run(device)
        again = await PodSync(store).run(device)  # a second sync finds nothing new
        return rig.pod.windows, first, again, sync.stored_twice


def test_damaged_records_are_rejected_and_fetched_again(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        windows, first, again, stored_twice = run_isolated(_sync_with_damage, store, 5)
        stored = store.pod_records(first.pod_id)
    assert first.rejected == 5
    # one flipped bit mid-notification: the record it hit fails its CRC, or its version
    # when the bit is in a header byte (mid-value of a 12-record notification is one)
    assert all(re.search(r"rejected a record: summary record (CRC mismatch|version \d+ is not)", e)
               for e in first.errors if e.startswith("rejected a record"))
    assert sum(e.startswith("rejected a record") for e in first.errors) == 5
    assert [stored_fields(r) for r in stored] == [expected_record(w) for w in windows]
    assert first.stored == 300 and stored_twice == 0
    assert again.pod_id == first.pod_id and again.stored == 0 and again.duplicates == 0


async def _random_commands(store, seed, count):
    rng = random.Random(seed)
    async with virtual_rig(RUN, PodSettings(serial="FUZ00001")) as rig:
        await rig.pod.wait_done()
        device = await find_pod(None, timeout=10)
        answers: asyncio.Queue[bytes] = asyncio.Queue()
        decoded = []
        async with BleakClient(device, pair=True) as client:
            await client.start_notify(profile.CONTROL_POINT,
                                      lambda _c, data: answers.put_nowait(bytes(data)))
            for _ in range(count):
                size = rng.choice((0, 1, 2, 5, rng.randint(0, 24)))
                data = bytes(rng.getrandbits(8) for _ in range(size))
                await client.write_gatt_char(profile.CONTROL_POINT, data, response=True)
                while True:  # the response (events of a backfill it started may come too)
                    answer = wire.decode_indication(await asyncio.wait_for(answers.get(), 5))
                    if answer.kind == "response":
                        decoded.append((data, answer))
                        break
        alive = not rig.pod.radio.closed.is_set()
        result = await PodSync(store).run(device)
        return decoded, alive, result, rig.pod.windows


def test_random_control_point_writes_get_answers_and_the_pod_keeps_working(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        decoded, alive, result, windows = run_isolated(_random_commands, store, 5, 200)
        stored = store.pod_records(result.pod_id)
    assert alive and len(decoded) == 200
    for data, answer in decoded:
        assert answer.op == (data[0] if data else 0)
        if not data or data[0] not in wire.OP_NAMES:
            assert answer.result == wire.RESULT_NOT_SUPPORTED
    assert [stored_fields(r) for r in stored] == [expected_record(w) for w in windows]


async def _pod_goes_away(store):
    async with virtual_rig(SHORT_RUN, PodSettings(serial="GONE0001")) as rig:
        await rig.pod.wait_done()
        device = await find_pod(None, timeout=10)
        first = await PodSync(store).run(device)
        rig.bluez.out_of_range(rig.pod.radio, 3600)  # the runner left with the pod
        try:
            await PodSync(store, backoff=Backoff(first_s=0.01, longest_s=0.02, attempts=3)).run(device)
        except LinkLostError as exc:
            return first, exc
        raise AssertionError("sync did not give up")


def test_sync_gives_up_with_a_clear_line_when_the_pod_stays_away(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        first, error = run_isolated(_pod_goes_away, store)
    assert first.stored == 1
    assert str(error) == ("lost the pod and could not reconnect after 3 attempts "
                          "(the pod did not answer (out of range or asleep?))")


def test_cli_sync_virtual(stridepod_cli):
    result = stridepod_cli("sync", "--virtual", SHORT_RUN)
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(r"pod VP000001-[0-9a-f]{8}: 1 new record\n", result.stdout)


async def _find_by(targets):
    async with virtual_rig(SHORT_RUN, PodSettings(name="left-pod", serial="NAME0001")) as rig:
        found = {}
        for target in targets:
            try:
                found[target] = (await find_pod(target, timeout=0.5)).address
            except PodNotFoundError as exc:
                found[target] = str(exc)
        return found, rig.pod.radio.device.address


def test_find_a_pod_by_name_or_address():
    found, address = run_isolated(_find_by, ["left-pod", "LEFT-POD", "right-pod", None])
    assert found["left-pod"] == found["LEFT-POD"] == found[None] == address
    assert found["right-pod"].startswith("no pod 'right-pod' in range")
    by_address, _ = run_isolated(_find_by, [address.lower()])
    assert by_address[address.lower()] == address
