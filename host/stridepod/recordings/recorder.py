"""Raw sample recorder: reads the pod's raw stream (podfw.rawframe frames over USB
serial) and writes a recording in the `stridepod-dump-csv/1` format of
../shared/datasets/dumps (CSV + JSON sidecar).

Corrupt frames (bad CRC, impossible length) and bytes outside frames are skipped and
counted; a frame cut off at the end is counted as truncated. Samples the pod reported as
lost show as gaps in the sample indexes: the CSV simply has no rows there (its `t` jumps)
and the sidecar counts them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import podfw  # noqa: F401  (installs the micropython stand-in)
from podfw import rawframe as F
from stridepod.errors import StridepodError
from stridepod.privatefiles import private_dir, replacing, write_private
from stridepod.recordings.dumpfile import FORMAT, PLACEMENTS

# Sent to the pod's REPL to leave the normal firmware and start raw mode (firmware/main.py).
START_COMMAND = b"\r\x03\x03import main; main.record()\r"
READ_CHUNK = 4096
STAMP_PERIOD = 1 << 30  # the pod's microsecond times wrap like the ESP32's ticks_us
INFO_KEYS = ("imu_rate_hz", "pressure_rate_hz", "placement", "acc_lsb_per_g",
             "gyro_lsb_per_dps", "zones")


class RecorderError(StridepodError):
    pass


@dataclass
class Stream:
    """Samples of one sensor by index (index -> values tuple), and the pod time of each
    frame's first sample (index -> microseconds modulo 2**30)."""

    samples: dict[int, tuple[int, ...]] = field(default_factory=dict)
    frame_times: dict[int, int] = field(default_factory=dict)

    def add(self, first: int, time_us: int, rows: list[tuple[int, ...]]) -> None:
        self.frame_times[first] = time_us
        for k, row in enumerate(rows):
            self.samples[first + k] = row

    @property
    def lost(self) -> int:
        if not self.samples:
            return 0
        return max(self.samples) + 1 - len(self.samples)


def _wrap_delta(later: int, earlier: int) -> int:
    half = STAMP_PERIOD // 2
    return (later - earlier + half) % STAMP_PERIOD - half


def _frame_times(stream: Stream, ref_raw: int) -> tuple[np.ndarray, np.ndarray]:
    """(first indexes, times in us since ref_raw) of a stream's frames, unwrapped."""
    firsts = sorted(stream.frame_times)
    times = []
    prev_raw, prev = ref_raw, 0
    for first in firsts:
        raw = stream.frame_times[first]
        prev = prev + _wrap_delta(raw, prev_raw)
        prev_raw = raw
        times.append(prev)
    return np.array(firsts, dtype=float), np.array(times, dtype=float)


def _fit_clock(firsts: np.ndarray, times: np.ndarray, nominal_hz: float) -> tuple[float, float]:
    """(time of index 0 in us, us per sample) from frame times on the pod clock; the
    nominal rate when the stamps are too few or implausible (> 5 % off)."""
    nominal = 1e6 / nominal_hz
    if len(firsts) >= 2 and firsts[-1] > firsts[0]:
        slope, offset = np.polyfit(firsts, times, 1)
        if abs(slope / nominal - 1) <= 0.05:
            return float(offset), float(slope)
    return float(times[0] - firsts[0] * nominal) if len(times) else 0.0, nominal


@dataclass
class Result:
    csv_path: Path
    info: dict
    imu_samples: int
    pressure_scans: int
    lost_imu_samples: int
    lost_pressure_scans: int
    frames: int
    corrupt_frames: int
    skipped_bytes: int
    truncated_bytes: int
    ended_by_pod: bool
    duration_s: float


class Recorder:
    def __init__(self, port, source_name: str = "serial"):
        self.port = port  # pyserial-like: read(n) returning bytes (b"" on timeout), write()
        self.source_name = source_name
        self.decoder = F.Decoder()
        self.info: dict | None = None
        self.imu = Stream()
        self.pressure = Stream()
        self.ended = False
        self.measured_rate_hz = 0.0

    def start_pod(self) -> None:
        self.port.write(START_COMMAND)

    def run(self, seconds: float | None = None, idle_timeout_s: float = 5.0) -> None:
        """Reads until the pod sends END, `seconds` pass, or nothing arrives for
        idle_timeout_s, or the port goes away. Ctrl-C stops the recording and keeps what
        arrived."""
        start = last_data = time.monotonic()
        try:
            while not self.ended:
                now = time.monotonic()
                if seconds is not None and now - start >= seconds:
                    break
                try:
                    chunk = self.port.read(READ_CHUNK)
                except OSError as exc:  # unplugged (pyserial's SerialException is one)
                    if self.decoder.frames == 0:
                        raise RecorderError(f"{self.source_name}: {exc}") from None
                    break
                if chunk:
                    last_data = now
                    self.feed(chunk)
                elif now - last_data >= idle_timeout_s:
                    if self.decoder.frames == 0:
                        raise RecorderError(
                            f"no frames from the pod on {self.source_name} in "
                            f"{idle_timeout_s:g} s: is it in raw mode (try --start)?"
                        )
                    break
        except KeyboardInterrupt:
            pass

    def feed(self, data: bytes) -> None:
        self.decoder.feed(data)
        while not self.ended:
            frame = self.decoder.next_frame()
            if frame is None:
                return
            self._frame(*frame)

    def _frame(self, ftype: int, seq: int, payload: bytes) -> None:
        if ftype == F.TYPE_INFO:
            try:
                info = json.loads(payload.decode())
            except (UnicodeDecodeError, ValueError):
                self.decoder.corrupt += 1
                return
            self.info = info
        elif ftype == F.TYPE_IMU:
            body = len(payload) - F.IMU_PREFIX
            if body < 0 or body % F.IMU_SAMPLE_BYTES:
                self.decoder.corrupt += 1
                return
            base = F.IMU_PREFIX
            rows = [
                tuple(F.get_i16(payload, base + F.IMU_SAMPLE_BYTES * k + 2 * a) for a in range(6))
                for k in range(body // F.IMU_SAMPLE_BYTES)
            ]
            self.imu.add(F.get_u32(payload, 0), F.get_u32(payload, 4), rows)
        elif ftype == F.TYPE_PRESSURE:
            if len(payload) < F.PRESSURE_PREFIX:
                self.decoder.corrupt += 1
                return
            zones = payload[8]
            width = 2 * zones
            body = len(payload) - F.PRESSURE_PREFIX
            if not zones or body % width:
                self.decoder.corrupt += 1
                return
            base = F.PRESSURE_PREFIX
            rows = [
                tuple(F.get_i16(payload, base + width * k + 2 * z) for z in range(zones))
                for k in range(body // width)
            ]
            self.pressure.add(F.get_u32(payload, 0), F.get_u32(payload, 4), rows)
        elif ftype == F.TYPE_END:
            self.ended = True

    def write(self, out: str | Path) -> Result:
        """Writes NAME.csv and NAME.json; returns what was recorded."""
        info = self.info
        if info is None:
            raise RecorderError("the pod never described its stream (no INFO frame): "
                                "nothing can be written")
        missing = [k for k in INFO_KEYS if k not in info]
        if missing:
            raise RecorderError(f"the pod's stream description lacks {', '.join(missing)} "
                                "(firmware older than this recorder?)")
        if not self.imu.samples and not self.pressure.samples:
            raise RecorderError("no samples arrived from the pod")
        csv_path = Path(out)
        if csv_path.suffix != ".csv":
            csv_path = csv_path.with_name(csv_path.name + ".csv")
        try:  # owner-only (a runner's gait), each file whole or not at all
            private_dir(csv_path.parent)
            with replacing(csv_path) as temp:
                rows = self._write_csv(temp, info)
            write_private(csv_path.with_suffix(".json"),
                          json.dumps(self._sidecar(info, rows), indent=1))
        except OSError as exc:
            raise RecorderError(f"cannot write {csv_path}: {exc.strerror or exc}") from None
        return self.result(csv_path)

    def result(self, csv_path: Path) -> Result:
        info = self.info or {}
        rate = self.measured_rate_hz or info.get("imu_rate_hz") or info.get("pressure_rate_hz") or 1
        n = len(self.imu.samples) if self.imu.samples else len(self.pressure.samples)
        return Result(
            csv_path=csv_path,
            info=info,
            imu_samples=len(self.imu.samples),
            pressure_scans=len(self.pressure.samples),
            lost_imu_samples=self.imu.lost,
            lost_pressure_scans=self.pressure.lost,
            frames=self.decoder.frames,
            corrupt_frames=self.decoder.corrupt,
            skipped_bytes=self.decoder.skipped_bytes,
            truncated_bytes=0 if self.ended else self.decoder.pending(),
            ended_by_pod=self.ended,
            duration_s=n / rate,
        )

    def _write_csv(self, path: Path, info: dict) -> int:
        """Rows at the pacing stream's samples (the IMU's if any). `t` follows the pod
        clock: the rate is measured from the frame times (a chip's data rate is off its
        nominal value by up to a few percent); zones hold the latest scan taken at or
        before each row's time on the same clock."""
        zones = len(info.get("zones") or [])
        paced_by_imu = bool(self.imu.samples)
        pace = self.imu if paced_by_imu else self.pressure
        nominal = float(info["imu_rate_hz"] if paced_by_imu else info["pressure_rate_hz"])
        ref_raw = pace.frame_times[min(pace.frame_times)]
        t0_us, us_per_sample = _fit_clock(*_frame_times(pace, ref_raw), nominal)
        self.measured_rate_hz = 1e6 / us_per_sample
        indexes = np.array(sorted(pace.samples))
        t_us = t0_us + indexes * us_per_sample
        header = ["t"]
        columns = []
        if paced_by_imu:
            header += ["ax", "ay", "az", "gx", "gy", "gz"]
            imu = np.array([self.imu.samples[i] for i in indexes], dtype=float)
            columns += [imu[:, :3] / float(info["acc_lsb_per_g"]),
                        imu[:, 3:] / float(info["gyro_lsb_per_dps"])]
        if self.pressure.samples and zones:
            header += [f"p{i + 1}" for i in range(zones)]
            columns.append(self._pressure_at(t_us, ref_raw, float(info["pressure_rate_hz"]),
                                             zones) / 10.0)
        table = np.column_stack([(t_us - t_us[0]) / 1e6, *columns])
        formats = ["%.5f"] + ["%.6f"] * 3 * paced_by_imu + ["%.4f"] * 3 * paced_by_imu \
            + ["%.1f"] * (table.shape[1] - 1 - 6 * paced_by_imu)
        np.savetxt(path, table, fmt=formats, delimiter=",", header=",".join(header),
                   comments="")
        return len(indexes)

    def _pressure_at(self, t_us: np.ndarray, ref_raw: int, rate_hz: float,
                     zones: int) -> np.ndarray:
        """The latest scan at or before each time (the first scan before any)."""
        firsts, times = _frame_times(self.pressure, ref_raw)
        period = 1e6 / rate_hz
        scan_idx = np.array(sorted(self.pressure.samples))
        frame_of = np.searchsorted(firsts, scan_idx, side="right") - 1
        scan_t = times[frame_of] + (scan_idx - firsts[frame_of]) * period
        values = np.array([self.pressure.samples[i][:zones] for i in scan_idx], dtype=float)
        pick = np.clip(np.searchsorted(scan_t, t_us + 1.0, side="right") - 1, 0, None)
        return values[pick]

    def _sidecar(self, info: dict, rows: int) -> dict:
        placement = info.get("placement")
        meta = {
            "format": FORMAT,
            "rate_hz": round(self.measured_rate_hz, 3),
            "samples": rows,
            "placement": placement if placement in PLACEMENTS else "left_foot",
            "activity": "recorded",
            "units": {"a": "g", "g": "deg/s", "p": "N"},
            "axes": "sensor frame, orientation not aligned to the foot",
            "source": f"stridepod record, board {info.get('board', '?')}, imu {info.get('imu', '?')}",
            "recorder": {
                "acc_lsb_per_g": info["acc_lsb_per_g"],
                "gyro_lsb_per_dps": info["gyro_lsb_per_dps"],
                "nominal_rate_hz": info["imu_rate_hz"] if self.imu.samples
                else info["pressure_rate_hz"],
                "pressure_rate_hz": info.get("pressure_rate_hz"),
                "pressure_note": "zones scanned at pressure_rate_hz; each row holds the "
                                 "latest scan at or before its time on the pod clock",
                "lost_imu_samples": self.imu.lost,
                "lost_pressure_scans": self.pressure.lost,
                "corrupt_frames": self.decoder.corrupt,
                "ended_by_pod": self.ended,
            },
        }
        zones = info.get("zones") or []
        if zones and self.pressure.samples:
            meta["pressure_zones"] = [{"name": z["name"], "x": z["x"], "y": z["y"]} for z in zones]
        return meta
