"""Virtual pod main program, run by the `micropython` unix binary (see
stridepod.virtualpod.launcher). It is the pod's own firmware path - podfw.gait engine ->
podfw.link PodLink (flash log + GATT server on the `bluetooth` stand-in) - fed with a
recording instead of the sensor drivers:

    micropython vpod_main.py SPEC.json

SPEC: {"samples": path of int16 LE rows (imu_cols + pressure_cols per sample),
"imu_cols": 6 or 0, "pressure_cols": zones, "config": GaitConfig keyword arguments,
"log_dir": flash log directory, "log_capacity": records, "loops": times to replay,
"pace_ms": wall-clock ms to serve the radio after each window (0 = as fast as possible),
"poll_every": samples between radio services, "epoch_s": pod clock at start (seconds
since 2000), "name": GAP name, "serial": serial number}

The sample clock is the pod clock: time advances with the samples pushed, as it does on
the device. What the engine computes is reported over the radio link as trace entries
{"kind": "window", "seq": .., "summary": {..}} and finally {"kind": "done", ...}, then
the pod keeps serving the radio until the host stops it.
"""

import json
import sys
import time
from array import array

import bluetooth

from podfw.gait.config import GaitConfig
from podfw.gait.engine import GaitEngine
from podfw.link.flashlog import FileStorage, FlashLog
from podfw.link.podlink import DeviceInfo, PodLink

_CHUNK_ROWS = 256  # samples read from the file at a time


class SampleClock:
    """The pod clock (podfw.link.clock.PodClock's interface) driven by the samples
    pushed instead of the tick counter: a replay runs faster than real time."""

    def __init__(self, epoch_s, rate_hz):
        self.rate_hz = rate_hz
        self.samples = 0
        self._base_s = epoch_s
        self._base_samples = 0
        self.is_set = False
        self.generation = 0

    def now_s(self):
        return self._base_s + int((self.samples - self._base_samples) // self.rate_hz)

    def set_s(self, seconds_since_2000):
        self._base_s = seconds_since_2000
        self._base_samples = self.samples
        self.is_set = True
        self.generation += 1


def serve(link, ms):
    """Runs the radio and the link for `ms` of wall time (0: one pass, as the sampling
    loop does between samples). Returns False once the host has stopped the pod."""
    if ms == 0:
        link.poll()
        return bluetooth.poll_events(0)
    deadline = time.ticks_add(time.ticks_ms(), ms)
    while True:
        busy = link.poll()
        left = time.ticks_diff(deadline, time.ticks_ms())
        if not bluetooth.poll_events(0 if busy or left <= 0 else min(left, 50)):
            return False
        if left <= 0 and not busy:
            return True


class ReplayPod:
    """The pod's firmware path fed from the recording in `spec`: engine config, sample
    clock, radio, flash log and PodLink, as the pod's main.py sets them up."""

    def __init__(self, spec):
        self.config = GaitConfig(events=0, **spec["config"])  # as on the pod: no event ring
        self.imu_cols = spec["imu_cols"]
        self.pressure_cols = spec["pressure_cols"]
        rate = self.config.imu_rate_hz if self.imu_cols else self.config.pressure_rate_hz
        self.clock = SampleClock(spec["epoch_s"], rate)
        self.ble = bluetooth.BLE()
        self.log = FlashLog(FileStorage(spec["log_dir"]), capacity=spec["log_capacity"])
        self.link = PodLink(self.ble, self.log, self.clock, name=spec["name"],
                            info=DeviceInfo(serial=spec["serial"]), config=self.config)
        self.pace_ms = spec["pace_ms"]
        self.poll_every = spec["poll_every"]
        row = self.imu_cols + self.pressure_cols
        self._buf = array("h", bytes(2 * row * _CHUNK_ROWS))
        self._zones = array("i", bytes(4 * self.pressure_cols))
        self.windows = 0
        self.running = True  # until the host stops the pod

    def _publish(self, summary):
        """One window: traced for the host's tests, logged and sent by PodLink, then
        `pace_ms` of radio time. Returns False once the host has stopped the pod."""
        self.windows += 1
        self.ble.trace({"kind": "window", "seq": self.log.next_seq, "summary": summary.as_dict()})
        self.link.publish(summary)
        return serve(self.link, self.pace_ms)

    def _publish_ready(self, engine):
        while True:
            summary = engine.poll_window()
            if summary is None:
                return
            self.running = self._publish(summary) and self.running

    def replay(self, samples_path):
        """One pass through the recording with a new engine (a new session): every
        window it computes is published, the radio is served every poll_every samples."""
        engine = GaitEngine(self.config)
        imu_cols = self.imu_cols
        p_cols = self.pressure_cols
        row = imu_cols + p_cols
        buf = self._buf
        zones = self._zones
        clock = self.clock
        poll_every = self.poll_every
        since_poll = 0
        with open(samples_path, "rb") as samples:
            while self.running:
                got = samples.readinto(buf) // (2 * row)
                if got == 0:
                    break
                for r in range(got):
                    base = r * row
                    if imu_cols:
                        engine.push_imu(buf[base], buf[base + 1], buf[base + 2],
                                        buf[base + 3], buf[base + 4], buf[base + 5])
                    if p_cols:
                        for z in range(p_cols):
                            zones[z] = buf[base + imu_cols + z]
                        engine.push_pressure(zones)
                    clock.samples += 1
                    if engine.ready_count:
                        self._publish_ready(engine)
                    since_poll += 1
                    if since_poll >= poll_every:
                        since_poll = 0
                        self.running = serve(self.link, 0) and self.running
        last = engine.finish()
        if last is not None and self.running:
            self.running = self._publish(last)

    def report_done(self):
        self.ble.trace({"kind": "done", "windows": self.windows, "next_seq": self.log.next_seq,
                        "oldest_seq": self.log.oldest_seq, "enomem": self.ble.enomem})

    def serve_until_stopped(self):
        while self.running:
            self.running = serve(self.link, 200)


def main(spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    pod = ReplayPod(spec)
    for _ in range(spec["loops"]):
        if not pod.running:
            break
        pod.replay(spec["samples"])
    pod.report_done()
    pod.serve_until_stopped()
    pod.link.flush()  # as main.py does on a reset: what the log holds goes to flash


if __name__ == "__main__":
    main(sys.argv[1])
