"""A standard BLE heart-rate chest strap, run by the `micropython` unix binary on the
`bluetooth` stand-in (see stridepod.virtualpod.launcher.VirtualStrap):

    micropython hr_strap.py SPEC.json

SPEC: {"rr_file": beat-to-beat intervals in ms, one per line, "replace": [[beat index, ms],
...] (injected artifacts or ectopic beats), "speed": strap seconds per wall-clock second,
"notify_ms": strap time between notifications, "name": GAP name}

Like a real strap it serves the Heart Rate service (0x180D) with Heart Rate Measurement
(0x2A37, notify) and Body Sensor Location (0x2A38, read: chest), advertises 0x180D, and
once a second sends a measurement with every RR interval (1/1024 s) that ended since the
last one - none, one or several (up to 9; beats the stack had no buffer for, or that did
not fit, go in the next one). The heart keeps beating whether or not a phone listens:
the series repeats from the start when it runs out, and beats while nobody is connected
are not sent. MicroPython does not tell a peripheral about subscriptions, so the strap
notifies whoever is connected; values a client has not subscribed to go nowhere.
"""

import json
import struct
import sys
import time

import bluetooth

_IRQ_CENTRAL_CONNECT = 1
_IRQ_CENTRAL_DISCONNECT = 2

_HEART_RATE = bluetooth.UUID(0x180D)
_MEASUREMENT = bluetooth.UUID(0x2A37)
_BODY_SENSOR_LOCATION = bluetooth.UUID(0x2A38)
_CHEST = b"\x01"
_APPEARANCE_HR_BELT = 0x0341

# flags: sensor contact supported and detected (0x06), RR intervals present (0x10)
_FLAGS_CONTACT = 0x06
_FLAGS_RR = 0x10
# RR intervals in one value at the default ATT MTU (23): 20 bytes less flags and the 8-bit
# heart rate, 2 bytes each (Heart Rate Service 1.0, 3.1.1.5: the rest go in the next one)
_RR_PER_VALUE = 9


def read_intervals(path, replace):
    with open(path) as f:
        rr_ms = [float(line) for line in f.read().split()]
    for index, ms in replace:
        rr_ms[index] = ms
    return rr_ms


def advertising_payload(name):
    """Flags (general discoverable, no BR/EDR), the 0x180D service, appearance, name."""
    encoded = name.encode()
    return (bytes((2, 0x01, 0x06))
            + bytes((3, 0x03)) + struct.pack("<H", 0x180D)
            + bytes((3, 0x19)) + struct.pack("<H", _APPEARANCE_HR_BELT)
            + bytes((len(encoded) + 1, 0x09)) + encoded)


def measurement(heart_rate, rr_units):
    """One 0x2A37 value: flags, 8-bit heart rate, RR intervals (u16 LE, 1/1024 s)."""
    flags = _FLAGS_CONTACT | (_FLAGS_RR if rr_units else 0)
    return bytes((flags, min(heart_rate, 255))) + b"".join(struct.pack("<H", u) for u in rr_units)


def notify(ble, conn, hrm, heart_rate, unsent, ended):
    """Sends `conn` the beats it has not had yet, oldest first, as many as one value
    holds at the default MTU; the rest wait for the next measurement. With no buffer free
    in the stack (OSError ENOMEM, the link slower than the strap) every beat waits: a strap
    does not lose a beat because the phone was slow to take the last one."""
    unsent.extend(ended)
    value = measurement(heart_rate, unsent[:_RR_PER_VALUE])
    try:
        ble.gatts_notify(conn, hrm, value)
    except OSError:  # ENOMEM: no buffer; ENOTCONN: closing, its disconnect event follows
        return
    del unsent[:_RR_PER_VALUE]


class Beats:
    """The heart: beat i lasts rr_ms[i % n]; `until(t_ms)` returns the intervals (in
    1/1024 s) of the beats that ended by strap time t_ms."""

    def __init__(self, rr_ms):
        self.rr_ms = rr_ms
        self.index = 0
        self.ends_ms = rr_ms[0]
        self.last_ms = rr_ms[0]

    def until(self, t_ms):
        ended = []
        while self.ends_ms <= t_ms:
            self.last_ms = self.rr_ms[self.index % len(self.rr_ms)]
            ended.append(int(self.last_ms * 1024 / 1000 + 0.5))
            self.index += 1
            self.ends_ms += self.rr_ms[self.index % len(self.rr_ms)]
        return ended


def main(spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    beats = Beats(read_intervals(spec["rr_file"], spec["replace"]))
    adv = advertising_payload(spec["name"])

    ble = bluetooth.BLE()
    ble.active(True)
    ble.config(gap_name=spec["name"])
    ((hrm, location),) = ble.gatts_register_services(
        ((_HEART_RATE, ((_MEASUREMENT, bluetooth.FLAG_NOTIFY),
                        (_BODY_SENSOR_LOCATION, bluetooth.FLAG_READ))),))
    ble.gatts_write(location, _CHEST)
    unsent = {}  # connected central -> beats (1/1024 s) not yet sent to it

    def on_irq(event, data):
        if event == _IRQ_CENTRAL_CONNECT:
            unsent[data[0]] = []
        elif event == _IRQ_CENTRAL_DISCONNECT:
            unsent.pop(data[0], None)
            ble.gap_advertise(100_000, adv)

    ble.irq(on_irq)
    ble.gap_advertise(100_000, adv)

    notify_ms = spec["notify_ms"]
    wall_us = int(notify_ms * 1000 / spec["speed"])
    strap_ms = 0
    due = time.ticks_us()
    while True:
        strap_ms += notify_ms
        ended = beats.until(strap_ms)
        heart_rate = int(60000 / beats.last_ms + 0.5)
        for conn in list(unsent):
            notify(ble, conn, hrm, heart_rate, unsent[conn], ended)
        # the radio's events are handled until the next measurement is due
        due = time.ticks_add(due, wall_us)
        while True:
            left_ms = time.ticks_diff(due, time.ticks_us()) // 1000
            if not bluetooth.poll_events(max(left_ms, 0)):
                return  # the host stopped the strap
            if left_ms <= 0:
                break


if __name__ == "__main__":
    main(sys.argv[1])
