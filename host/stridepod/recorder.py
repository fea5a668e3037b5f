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

import podfw  # noqa: F401  (installs the micropython stand-in)
from podfw import rawframe as F

from stridepod.dumps import FORMAT, PLACEMENTS
from stridepod.errors import StridepodError

# Sent to the pod's REPL to leave the normal firmware and start raw mode (firmware/main.py).
START_COMMAND = b"\r\x03\x03import main; main.record()\r"
READ_CHUNK = 4096


class RecorderError(StridepodError):
    pass


@dataclass
class Stream:
    """Samples of one sensor by index (index -> values tuple)."""

    samples: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def add(self, first: int, rows: list[tuple[int, ...]]) -> None:
        for k, row in enumerate(rows):
            self.samples[first + k] = row

    @property
    def lost(self) -> int:
        if not self.samples:
            return 0
        return max(self.samples) + 1 - len(self.samples)


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

    def start_pod(self) -> None:
        self.port.write(START_COMMAND)

    def run(self, seconds: float | None = None, idle_timeout_s: float = 5.0,
            progress=None) -> None:
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
                    if progress is not None:
                        progress(self)
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
            if len(payload) < 4 or (len(payload) - 4) % 12:
                self.decoder.corrupt += 1
                return
            first = F.get_u32(payload, 0)
            rows = [
                tuple(F.get_i16(payload, 4 + 12 * k + 2 * a) for a in range(6))
                for k in range((len(payload) - 4) // 12)
            ]
            self.imu.add(first, rows)
        elif ftype == F.TYPE_PRESSURE:
            if len(payload) < 5:
                self.decoder.corrupt += 1
                return
            first, zones = F.get_u32(payload, 0), payload[4]
            width = 2 * zones
            if not zones or (len(payload) - 5) % width:
                self.decoder.corrupt += 1
                return
            rows = [
                tuple(F.get_i16(payload, 5 + width * k + 2 * z) for z in range(zones))
                for k in range((len(payload) - 5) // width)
            ]
            self.pressure.add(first, rows)
        elif ftype == F.TYPE_END:
            self.ended = True

    def write(self, out: str | Path) -> Result:
        """Writes NAME.csv and NAME.json; returns what was recorded."""
        info = self.info
        if info is None:
            raise RecorderError("the pod never described its stream (no INFO frame): "
                                "nothing can be written")
        if not self.imu.samples and not self.pressure.samples:
            raise RecorderError("no samples arrived from the pod")
        csv_path = Path(out)
        if csv_path.suffix != ".csv":
            csv_path = csv_path.with_name(csv_path.name + ".csv")
        try:
            csv_path.parent.mkdir(parents=True, exist_ok=True)
            rows = self._write_csv(csv_path, info)
            csv_path.with_suffix(".json").write_text(json.dumps(self._sidecar(info, rows), indent=1))
        except OSError as exc:
            raise RecorderError(f"cannot write {csv_path}: {exc.strerror or exc}") from None
        return self.result(csv_path)

    def result(self, csv_path: Path) -> Result:
        info = self.info or {}
        rate = info.get("imu_rate_hz") or info.get("pressure_rate_hz") or 1
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
        zones = len(info.get("zones") or [])
        acc_lsb = float(info["acc_lsb_per_g"])
        gyro_lsb = float(info["gyro_lsb_per_dps"])
        p_rate = float(info.get("pressure_rate_hz") or 0)
        imu_rate = float(info.get("imu_rate_hz") or 0)
        header = ["t"]
        if self.imu.samples:
            header += ["ax", "ay", "az", "gx", "gy", "gz"]
        has_p = bool(self.pressure.samples) and zones > 0
        if has_p:
            header += [f"p{i + 1}" for i in range(zones)]
        paced_by_imu = bool(self.imu.samples)
        indexes = sorted(self.imu.samples if paced_by_imu else self.pressure.samples)
        rate = imu_rate if paced_by_imu else p_rate
        scans = self.pressure.samples
        scan_indexes = sorted(scans)
        lines = [",".join(header)]
        pos = -1
        for i in indexes:
            t = i / rate
            parts = [f"{t:.5f}"]
            if paced_by_imu:
                a = self.imu.samples[i]
                parts += [f"{v / acc_lsb:.6f}" for v in a[:3]]
                parts += [f"{v / gyro_lsb:.4f}" for v in a[3:]]
            if has_p:
                if paced_by_imu:
                    # the latest scan taken at or before this IMU sample (sample and hold)
                    due = int(t * p_rate + 1e-9)
                    while pos + 1 < len(scan_indexes) and scan_indexes[pos + 1] <= due:
                        pos += 1
                    row = scans[scan_indexes[pos]] if pos >= 0 else (0,) * zones
                else:
                    row = scans[i]
                parts += [f"{v / 10:.1f}" for v in row]
            lines.append(",".join(parts))
        path.write_text("\n".join(lines) + "\n")
        return len(indexes)

    def _sidecar(self, info: dict, rows: int) -> dict:
        placement = info.get("placement")
        meta = {
            "format": FORMAT,
            "rate_hz": info["imu_rate_hz"] if self.imu.samples else info["pressure_rate_hz"],
            "samples": rows,
            "placement": placement if placement in PLACEMENTS else "left_foot",
            "activity": "recorded",
            "units": {"a": "g", "g": "deg/s", "p": "N"},
            "axes": "sensor frame, orientation not aligned to the foot",
            "source": f"stridepod record, board {info.get('board', '?')}, imu {info.get('imu', '?')}",
            "recorder": {
                "acc_lsb_per_g": info["acc_lsb_per_g"],
                "gyro_lsb_per_dps": info["gyro_lsb_per_dps"],
                "pressure_rate_hz": info.get("pressure_rate_hz"),
                "pressure_note": "zones sampled at pressure_rate_hz, held to the IMU rate",
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
