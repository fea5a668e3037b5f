"""The emulated link's air-time model against the figures the Bluetooth Core specification
(v5.x Vol 6 Part B) gives and throughput write-ups quote: an empty packet is 80 µs on LE
1M and 44 µs on LE 2M; the longest data packet (251 bytes, encrypted) 2120 µs and
1064 µs; 27 bytes without DLE carry a 20-byte notification in one packet."""

from __future__ import annotations

import pytest

from stridepod.virtualpod.bluez import airtime
from stridepod.virtualpod.bluez.airtime import PHY_1M, PHY_2M, LinkClock, LinkParams


def test_packet_times_match_the_core_spec():
    assert airtime.packet_us(0, PHY_1M, encrypted=True) == 80  # no MIC without payload
    assert airtime.packet_us(0, PHY_2M, encrypted=True) == 44
    assert airtime.packet_us(251, PHY_1M, encrypted=True) == 2120
    assert airtime.packet_us(251, PHY_2M, encrypted=True) == 1064
    assert airtime.packet_us(27, PHY_1M, encrypted=False) == 296  # the 4.0 maximum, 37 bytes
    # one exchange: a data packet, an empty answer, T_IFS after each
    assert airtime.exchange_us(251, PHY_1M, encrypted=True) == 2120 + 80 + 300


def test_an_att_pdu_is_cut_into_link_layer_payloads():
    assert airtime.ll_payloads(23, 27) == [27]  # a 20-byte notification: one packet
    assert airtime.ll_payloads(247, 251) == [251]  # MTU 247 fills one DLE packet
    assert airtime.ll_payloads(247, 27) == [27] * 9 + [8]
    assert airtime.ll_payloads(248, 251) == [251, 1]


def test_events_hold_at_most_the_cap_and_end_by_the_next_anchor():
    clock = LinkClock(LinkParams(interval_ms=15.0, packets_per_event=6, phy=PHY_2M))
    for _ in range(12):
        clock.pdu("notify", 1, b"", 243, encrypted=True)
    assert clock.events == 2  # 6 + 6 at the cap
    assert clock.time_us == pytest.approx(15000 + 6 * airtime.exchange_us(247, PHY_2M, True))
    # the pod's 12-record notification (243 bytes of ATT, 247 of link-layer payload) takes
    # 2468 µs a exchange on 1M: three fit a 7.5 ms interval, the fourth waits
    slow = LinkClock(LinkParams(interval_ms=7.5, packets_per_event=6, phy=PHY_1M))
    for _ in range(6):
        slow.pdu("notify", 1, b"", 243, encrypted=True)
    assert airtime.exchange_us(247, PHY_1M, True) == 2468
    assert slow.events == 2 and slow.used_packets == 3
    assert slow.pod_radio_us == pytest.approx(6 * 2468)


def test_a_request_is_answered_in_the_next_event():
    clock = LinkClock(LinkParams(interval_ms=30.0))
    clock.pdu("write", 1, b"\x04", 8, encrypted=True)
    clock.round_trip()
    end = clock.pdu("write-response", 1, b"", 1, encrypted=True)
    assert clock.events == 2 and end == pytest.approx(30000 + airtime.exchange_us(5, PHY_1M, True))
    assert [entry[1] for entry in clock.trace] == ["write", "write-response"]


def test_a_day_connected_costs_an_empty_exchange_every_interval():
    day = airtime.idle_day_radio_s(LinkParams(interval_ms=30.0))
    assert day == pytest.approx(86400 / 0.030 * 460e-6)  # 80 + 150 + 80 + 150 µs
    with_records = airtime.idle_day_radio_s(LinkParams(interval_ms=30.0), live_pdus=17280,
                                            live_att_bytes=17280 * 23)
    # each record (27 bytes of L2CAP) replaces an empty packet: (27 + 4 MIC) x 8 µs more
    assert with_records - day == pytest.approx(17280 * 31 * 8e-6)


@pytest.mark.parametrize("bad", [dict(interval_ms=7.0), dict(interval_ms=31.0),
                                 dict(phy="coded"), dict(ll_payload=300),
                                 dict(central_mtu=22), dict(packets_per_event=0)])
def test_impossible_link_parameters_are_refused(bad):
    with pytest.raises(ValueError):
        LinkParams(**bad)
