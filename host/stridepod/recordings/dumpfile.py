"""Reads recordings in the `stridepod-dump-csv/1` format (CSV + JSON sidecar) and
quantises them to the integer units a pod's sensors produce.

CSV: header `t` then any of `ax ay az` (g), `gx gy gz` (deg/s), `p1 … pN` (zone force or
pressure, unit in the sidecar). Sidecar `NAME.json`: `format`, `rate_hz`, `placement`,
`units`, optional `pressure_zones` [{name, x, y}]. Every problem is a `DumpError` with one
line that names the file.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from podfw.gait.config import PLACEMENTS
from podfw.gait.engine import _FULL_SCALE
from stridepod.errors import StridepodError

FORMAT = "stridepod-dump-csv/1"
ACC_COLUMNS = ("ax", "ay", "az")
GYRO_COLUMNS = ("gx", "gy", "gz")
_ZONE = re.compile(r"^p([1-9][0-9]?)$")
FULL_SCALE = _FULL_SCALE  # a 16-bit sensor reading's largest value (the engine's clip level)


class DumpError(StridepodError):
    pass


@dataclass
class Recording:
    name: str
    path: Path
    meta: dict
    t: np.ndarray  # seconds from start, float64, strictly increasing
    acc: np.ndarray | None  # (n, k) g, k = the accelerometer axes present
    acc_axes: tuple[str, ...]
    gyro: np.ndarray | None  # (n, k) deg/s
    gyro_axes: tuple[str, ...]
    pressure: np.ndarray | None  # (n, zones), unit in meta["units"]["p"]
    truth: dict | None = field(default=None)

    @property
    def rate_hz(self) -> float:
        return float(self.meta["rate_hz"])

    @property
    def samples(self) -> int:
        return len(self.t)

    @property
    def duration_s(self) -> float:
        return float(self.t[-1] - self.t[0]) if len(self.t) else 0.0

    @property
    def placement(self) -> str:
        return self.meta["placement"]

    @property
    def zones(self) -> list[dict]:
        return list(self.meta.get("pressure_zones") or [])


def sidecar_path(csv_path: Path) -> Path:
    return csv_path.with_suffix(".json")


def load(path: str | Path) -> Recording:
    """Loads NAME.csv (or NAME, or NAME.json) with its sidecar and, if present, truth."""
    path = Path(path)
    if path.suffix == ".json":
        path = path.with_suffix(".csv")
    elif path.suffix != ".csv":
        path = path.with_name(path.name + ".csv")
    if not path.is_file():
        raise DumpError(f"{path}: no such recording")
    meta = _read_sidecar(path)
    header, data = _read_csv(path)
    rec = _build(path, meta, header, data)
    truth_path = path.with_name(path.stem + ".truth.json")
    if truth_path.is_file():
        try:
            rec.truth = json.loads(truth_path.read_text())
        except (OSError, ValueError) as exc:
            raise DumpError(f"{truth_path}: not valid JSON ({exc})") from None
    return rec


def _read_sidecar(csv_path: Path) -> dict:
    side = sidecar_path(csv_path)
    if not side.is_file():
        raise DumpError(f"{csv_path}: missing sidecar {side.name} (rate, placement, units)")
    try:
        meta = json.loads(side.read_text())
    except (OSError, ValueError) as exc:
        raise DumpError(f"{side}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise DumpError(f"{side}: expected a JSON object")
    fmt = meta.get("format", FORMAT)
    if fmt != FORMAT:
        raise DumpError(f"{side}: format {fmt!r} is not {FORMAT}")
    rate = meta.get("rate_hz")
    if not isinstance(rate, (int, float)) or not (1 <= rate <= 10000):
        raise DumpError(f"{side}: rate_hz must be a number between 1 and 10000, got {rate!r}")
    if meta.get("placement") not in PLACEMENTS:
        raise DumpError(
            f"{side}: placement must be one of {', '.join(PLACEMENTS)}, got {meta.get('placement')!r}"
        )
    return meta


def _read_csv(path: Path) -> tuple[list[str], np.ndarray]:
    try:
        with path.open() as f:
            header = [h.strip() for h in f.readline().strip().split(",")]
            rows = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise DumpError(f"{path}: cannot read ({exc})") from None
    if not header or header[0] != "t":
        raise DumpError(f"{path}: first column must be 't' (seconds), got {header[:1]}")
    lines = [ln for ln in rows.splitlines() if ln.strip()]
    if not lines:
        raise DumpError(f"{path}: no samples after the header")
    width = len(header)
    data = np.empty((len(lines), width), dtype=np.float64)
    for i, line in enumerate(lines):
        parts = line.split(",")
        if len(parts) != width:
            raise DumpError(
                f"{path}:{i + 2}: expected {width} values, found {len(parts)} (truncated file?)"
            )
        try:
            data[i] = [float(p) for p in parts]
        except ValueError:
            raise DumpError(f"{path}:{i + 2}: not a number in {line[:60]!r}") from None
    return header, data


def _build(path: Path, meta: dict, header: list[str], data: np.ndarray) -> Recording:
    known = {"t", *ACC_COLUMNS, *GYRO_COLUMNS}
    unknown = [h for h in header if h not in known and not _ZONE.match(h)]
    if unknown:
        raise DumpError(f"{path}: unknown columns {', '.join(unknown)}")
    if len(set(header)) != len(header):
        raise DumpError(f"{path}: repeated column names in the header")
    bad = ~np.isfinite(data)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DumpError(f"{path}:{row + 2}: {header[col]} is NaN or infinite")
    t = data[:, 0]
    steps = np.diff(t)
    if (steps <= 0).any():
        row = int(np.argmax(steps <= 0)) + 3
        raise DumpError(f"{path}:{row}: time does not increase (t must be strictly monotonic)")
    col = {h: i for i, h in enumerate(header)}
    acc_axes = tuple(a for a in ACC_COLUMNS if a in col)
    gyro_axes = tuple(g for g in GYRO_COLUMNS if g in col)
    zone_cols = sorted((h for h in header if _ZONE.match(h)), key=lambda h: int(h[1:]))
    if [int(z[1:]) for z in zone_cols] != list(range(1, len(zone_cols) + 1)):
        raise DumpError(f"{path}: pressure zones must be p1..pN without gaps")
    if not (acc_axes or gyro_axes or zone_cols):
        raise DumpError(f"{path}: no sensor columns (ax.., gx.., p1..)")
    zones = meta.get("pressure_zones") or []
    if zone_cols and zones and len(zones) != len(zone_cols):
        raise DumpError(
            f"{path}: sidecar declares {len(zones)} pressure zones, CSV has {len(zone_cols)}"
        )
    acc = data[:, [col[a] for a in acc_axes]] if acc_axes else None
    gyro = data[:, [col[g] for g in gyro_axes]] if gyro_axes else None
    pressure = data[:, [col[z] for z in zone_cols]] if zone_cols else None
    if acc is not None and (np.abs(acc) > 64).any():
        raise DumpError(f"{path}: acceleration beyond ±64 g is not a physical foot signal")
    if gyro is not None and (np.abs(gyro) > 10000).any():
        raise DumpError(f"{path}: angular rate beyond ±10000 deg/s is not physical")
    return Recording(
        name=path.stem,
        path=path,
        meta=meta,
        t=t - t[0],
        acc=acc,
        acc_axes=acc_axes,
        gyro=gyro,
        gyro_axes=gyro_axes,
        pressure=pressure,
    )


@dataclass(frozen=True)
class SensorUnits:
    """How a pod's sensors express physical values as integers."""

    acc_lsb_per_g: float = 2048.0  # ±16 g on a 16-bit accelerometer
    gyro_lsb_per_dps: float = 16.4  # ±2000 dps (ICM-42688-P; LSM6DSO is 14.286)
    pressure_lsb_per_unit: float = 10.0  # zone force in 0.1 N
    full_scale: int = FULL_SCALE


def quantise(values: np.ndarray | None, lsb_per_unit: float,
             full_scale: int = FULL_SCALE):
    """Rounds to integer sensor units and saturates like a 16-bit sensor register."""
    if values is None:
        return None
    q = np.rint(values * lsb_per_unit)
    return np.clip(q, -full_scale - 1, full_scale).astype(np.int32)


def truth_times(rec: Recording, key: str) -> list[float]:
    if not rec.truth:
        return []
    return [float(x) for x in rec.truth.get(key, []) if isinstance(x, (int, float)) and math.isfinite(x)]
