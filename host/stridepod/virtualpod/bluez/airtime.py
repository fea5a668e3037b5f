"""Air time of a BLE connection: the link-layer arithmetic of the Bluetooth Core
specification (v5.x, Vol 6 Part B: packet format 2.1, data PDUs 2.4, connection events
4.5.1), applied to every ATT PDU that crosses an emulated link. Simulated link time,
deterministic: it depends on the PDUs and `LinkParams`, never on the wall clock.

Per radio packet (µs): (preamble + access address 4 + header 2 + payload + MIC 4 + CRC 3)
bytes at 8 µs/byte on LE 1M, 4 µs/byte on LE 2M, whose preamble is 2 bytes instead of 1.
The MIC only follows a non-empty payload on an encrypted link. An empty packet is 80 µs
(1M) or 44 µs (2M); the largest, 251 bytes encrypted, 2120 µs or 1064 µs.

A connection event is a train of exchanges: the central sends a packet, T_IFS = 150 µs,
the peripheral answers, 150 µs, the next pair. Whichever side has no data sends an empty
packet, so each data packet costs one exchange (its packet + an empty one + 2 x T_IFS).
An event holds at most `packets_per_event` exchanges (phones cap it) and must end by
the next anchor point, `interval_ms` later. An ATT PDU travels in an L2CAP frame (4-byte
header) cut into link-layer payloads of at most `ll_payload` bytes: 27 without Data
Length Extension, 251 with it (Core 4.2+). A request's response goes out in the next
event (the peer's host answers after the controller handed the request up).

The pod's radio is on from the first bit of each exchange to the end of its trailing
T_IFS (receiving, turning around, sending, listening); ramp-up and the receive window's
widening are chip-specific and left out.

Sources for the defaults (phone-like): Linux's LE connection interval 30-50 ms
(hci_core.c le_conn_min/max_interval = 0x0018/0x0028), iOS's 30 ms and Android's
"balanced" 30-50 ms priority; BlueZ's ExchangeMTU = 517 (main.conf), Android 14+ also asks
for 517; up to six packets per event ("as many as six packets per interval. It depends
on the stack and hardware", Laird Connectivity); DLE on both sides (Bluetooth 4.2
phones and the ESP32's controllers; Punch Through, "Maximizing BLE Throughput Part 3").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

PHY_1M = "1M"
PHY_2M = "2M"
T_IFS_US = 150
ACCESS_ADDRESS_BYTES = 4
LL_HEADER_BYTES = 2
LL_MIC_BYTES = 4
LL_CRC_BYTES = 3
L2CAP_HEADER_BYTES = 4
LL_PAYLOAD_NO_DLE = 27
LL_PAYLOAD_DLE = 251
_PREAMBLE_BYTES = {PHY_1M: 1, PHY_2M: 2}
_US_PER_BYTE = {PHY_1M: 8, PHY_2M: 4}
_ADV_ADDRESS_BYTES = 6
_SCAN_REQ_PAYLOAD_BYTES = 12  # ScanA + AdvA: what an advertiser listens for after each packet
ADV_CHANNELS = 3
ADV_DELAY_MEAN_MS = 5.0  # advDelay: 0-10 ms of random delay per advertising event (Vol 6 B 4.4.2.2)


@dataclass(frozen=True)
class LinkParams:
    """One connection's radio parameters (what the central chose and both sides support)."""

    interval_ms: float = 30.0  # connection interval: 7.5 ms to 4 s in 1.25 ms steps
    packets_per_event: int = 6  # the central's cap on exchanges per connection event
    phy: str = PHY_1M
    ll_payload: int = LL_PAYLOAD_DLE  # the largest link-layer payload both sides accept
    central_mtu: int = 517  # the ATT MTU the central offers in an MTU exchange
    central_exchanges_mtu: bool = True  # the central sends Exchange MTU on connecting

    def __post_init__(self) -> None:
        steps = self.interval_ms / 1.25
        if not 6 <= steps <= 3200 or abs(steps - round(steps)) > 1e-9:
            raise ValueError(f"connection interval {self.interval_ms} ms is not 7.5 ms to 4 s "
                             "in 1.25 ms steps")
        if self.phy not in _PREAMBLE_BYTES:
            raise ValueError(f"PHY {self.phy!r} is not {PHY_1M!r} or {PHY_2M!r}")
        if not LL_PAYLOAD_NO_DLE <= self.ll_payload <= LL_PAYLOAD_DLE:
            raise ValueError(f"link-layer payload {self.ll_payload} is not 27 to 251 bytes")
        if not 23 <= self.central_mtu <= 517:
            raise ValueError(f"ATT MTU {self.central_mtu} is not 23 to 517")
        if self.packets_per_event < 1:
            raise ValueError("a connection event carries at least one packet")

    @property
    def interval_us(self) -> float:
        return self.interval_ms * 1000.0


def packet_us(payload_bytes: int, phy: str, encrypted: bool) -> float:
    """Air time of one link-layer packet with this payload."""
    mic = LL_MIC_BYTES if encrypted and payload_bytes else 0
    size = (_PREAMBLE_BYTES[phy] + ACCESS_ADDRESS_BYTES + LL_HEADER_BYTES + payload_bytes
            + mic + LL_CRC_BYTES)
    return float(size * _US_PER_BYTE[phy])


def exchange_us(payload_bytes: int, phy: str, encrypted: bool) -> float:
    """One data packet, the other side's empty packet and the two T_IFS after them."""
    return packet_us(payload_bytes, phy, encrypted) + packet_us(0, phy, encrypted) + 2 * T_IFS_US


def ll_payloads(att_bytes: int, ll_payload: int) -> list[int]:
    """The link-layer payloads that carry one ATT PDU (in its L2CAP frame)."""
    left = att_bytes + L2CAP_HEADER_BYTES
    sizes = []
    while left > 0:
        sizes.append(min(left, ll_payload))
        left -= ll_payload
    return sizes


def advertising_event_us(adv_payload_bytes: int) -> float:
    """The pod's radio in one connectable advertising event on LE 1M (nobody scanning):
    per channel its ADV_IND (AdvA + AdvData), T_IFS, then listening as long as a
    SCAN_REQ or CONNECT_IND would start to take."""
    adv = packet_us(_ADV_ADDRESS_BYTES + adv_payload_bytes, PHY_1M, False)
    listen = T_IFS_US + packet_us(_SCAN_REQ_PAYLOAD_BYTES, PHY_1M, False)
    return ADV_CHANNELS * (adv + listen)


@dataclass
class LinkClock:
    """Simulated time of one connection: each ATT PDU is placed in the connection events
    as the air allows. `time_us` is when the last packet so far ended; `pod_radio_us`
    how long the pod's radio has been on for them; `events` the connection events used."""

    params: LinkParams
    event_start_us: float = 0.0
    used_us: float = 0.0
    used_packets: int = 0
    events: int = 1
    pod_radio_us: float = 0.0
    packets: int = 0
    # (end time, kind, handle, the value's first bytes, pod radio-on so far) per ATT PDU
    trace: list[tuple[float, str, int, bytes, float]] = field(default_factory=list)

    @property
    def time_us(self) -> float:
        return self.event_start_us + self.used_us

    def next_event(self) -> None:
        """What follows goes in the next connection event."""
        self.event_start_us += self.params.interval_us
        self.used_us = 0.0
        self.used_packets = 0
        self.events += 1

    def pdu(self, kind: str, handle: int, value: bytes, att_bytes: int, *,
            encrypted: bool) -> float:
        """An ATT PDU of `att_bytes` crosses the link now (kind: "notify", "indicate",
        "write", ... for the trace, with the value's first bytes). Returns its end time."""
        p = self.params
        for payload in ll_payloads(att_bytes, p.ll_payload):
            cost = exchange_us(payload, p.phy, encrypted)
            if self.used_packets and (self.used_packets >= p.packets_per_event
                                      or self.used_us + cost > p.interval_us):
                self.next_event()
            self.used_us += cost
            self.used_packets += 1
            self.packets += 1
            self.pod_radio_us += cost
        self.trace.append((self.time_us, kind, handle, bytes(value[:8]), self.pod_radio_us))
        return self.time_us

    def round_trip(self) -> None:
        """The answer to a request waits for the next connection event."""
        self.next_event()


def idle_day_radio_s(params: LinkParams, *, encrypted: bool = True,
                     live_pdus: int = 0, live_att_bytes: int = 0) -> float:
    """Seconds a day the peripheral's radio is on while connected: an empty exchange
    every interval (no peripheral latency: MicroPython cannot ask for any), plus
    `live_pdus` single-packet PDUs a day carrying `live_att_bytes` ATT bytes in all,
    each sent in place of an empty packet."""
    events = 86400.0 / (params.interval_ms / 1000.0)
    radio_us = events * exchange_us(0, params.phy, encrypted)
    if live_pdus:
        payload = math.ceil(live_att_bytes / live_pdus) + L2CAP_HEADER_BYTES
        radio_us += live_pdus * (packet_us(payload, params.phy, encrypted)
                                 - packet_us(0, params.phy, encrypted))
    return radio_us / 1e6


def advertising_day_radio_s(interval_ms: float, adv_payload_bytes: int) -> float:
    """Seconds a day the radio spends advertising every `interval_ms` (+ advDelay)."""
    events = 86400.0 / ((interval_ms + ADV_DELAY_MEAN_MS) / 1000.0)
    return events * advertising_event_us(adv_payload_bytes) / 1e6
