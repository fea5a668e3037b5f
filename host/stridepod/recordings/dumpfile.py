"""Reads recordings in the `stridepod-dump-csv/1` format (CSV + JSON sidecar) and
quantises them to the integer units a pod's sensors produce.

CSV: header `t` then any of `ax ay az` (g), `gx gy gz` (deg/s), `p1 … pN` (zone force or
pressure, unit in the sidecar). Sidecar `NAME.json`: `format`, `rate_hz`, `placement`,
`units`, optional `pressure_zones` [{name, x, y}]. Every problem is a `DumpError` with one
line that names the file (and the line of the CSV).

`open_stream(path)` reads the header and the sidecar; its `parts()` parse and check
`PART_ROWS` rows at a time, so a recording of any length is read in bounded memory
(`stridepod analyze`). `load(path)` reads the whole recording into arrays (the float
reference engine and evaluation need it whole). Both apply the same checks, among them:
`t` strictly increasing, and its median step within 1 % of 1 / `rate_hz` in every part
(the engine counts samples, so a wrong rate would be a wrong cadence). Steps longer than
1.5 sample periods are gaps (lost samples): counted, not refused (`DumpStream.gaps`).
"""

from __future__ import annotations

import inspect
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

import numpy as np

from podfw.gait.config import PLACEMENTS, GaitConfig
from podfw.gait.engine import _FULL_SCALE
from stridepod.errors import StridepodError

FORMAT = "stridepod-dump-csv/1"
ACC_COLUMNS = ("ax", "ay", "az")
GYRO_COLUMNS = ("gx", "gy", "gz")
_ZONE = re.compile(r"^p([1-9][0-9]?)$")
FULL_SCALE = _FULL_SCALE  # a 16-bit sensor reading's largest value (the engine's clip level)
PART_ROWS = 1 << 16  # rows parsed and checked at a time (about 5 MB of floats at most)
RATE_TOLERANCE = 0.01  # largest relative difference of t's median step from 1 / rate_hz
GAP_PERIODS = 1.5  # a step of t longer than this many sample periods is a gap
ZONE_COORDINATE_LIMIT = 1e6  # |x|, |y| of a pressure zone, in the sidecar's own unit
MAX_ACC_G = 64  # beyond this no foot signal is physical
MAX_GYRO_DPS = 10000


class DumpError(StridepodError):
    pass


class _Sidecar:
    """What a recording's sidecar says, for Recording and DumpStream."""

    meta: dict

    @property
    def rate_hz(self) -> float:
        return float(self.meta["rate_hz"])

    @property
    def placement(self) -> str:
        return self.meta["placement"]

    @property
    def zones(self) -> list[dict]:
        return list(self.meta.get("pressure_zones") or [])


@dataclass
class Recording(_Sidecar):
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
    def samples(self) -> int:
        return len(self.t)

    @property
    def duration_s(self) -> float:
        return float(self.t[-1] - self.t[0]) if len(self.t) else 0.0

    @property
    def has_pressure(self) -> bool:
        return self.pressure is not None


@dataclass
class DumpStream(_Sidecar):
    """A recording's header and sidecar; `parts()` reads its samples part by part."""

    name: str
    path: Path
    meta: dict
    header: list[str]
    acc_axes: tuple[str, ...]
    gyro_axes: tuple[str, ...]
    zone_columns: tuple[str, ...]
    truth: dict | None = None
    samples: int = 0  # rows read so far
    duration_s: float = 0.0  # t of the last row read (the first is 0)
    gaps: int = 0  # steps of t longer than GAP_PERIODS sample periods, so far
    gap_s: float = 0.0  # time those steps span beyond one sample period each

    @property
    def has_pressure(self) -> bool:
        return bool(self.zone_columns)

    def parts(self, rows: int = PART_ROWS) -> Iterator[Recording]:
        """The samples, `rows` at a time, each part checked (t from the first sample)."""
        state = _StreamState()
        block: list[str] = []
        numbers: list[int] = []
        try:
            with self.path.open() as fh:
                fh.readline()  # the header, read by open_stream
                for number, line in enumerate(fh, start=2):
                    if not line.strip():
                        continue
                    block.append(line)
                    numbers.append(number)
                    if len(block) == rows:
                        yield self._part(block, numbers, state)
                        block, numbers = [], []
        except (OSError, UnicodeDecodeError) as exc:
            raise DumpError(f"{self.path}: cannot read ({exc})") from None
        if block:
            yield self._part(block, numbers, state)
        if state.t0 is None:
            raise DumpError(f"{self.path}: no samples after the header")

    def _part(self, lines: list[str], numbers: list[int], state: _StreamState) -> Recording:
        data = _parse(self.path, lines, numbers, len(self.header))
        col = {h: i for i, h in enumerate(self.header)}
        bad = ~np.isfinite(data)
        if bad.any():
            row, c = np.argwhere(bad)[0]
            raise DumpError(f"{self.path}:{numbers[row]}: {self.header[c]} is NaN or infinite")
        t = data[:, 0]
        self._check_time(t, numbers, state)
        acc = data[:, [col[a] for a in self.acc_axes]] if self.acc_axes else None
        gyro = data[:, [col[g] for g in self.gyro_axes]] if self.gyro_axes else None
        pressure = data[:, [col[z] for z in self.zone_columns]] if self.zone_columns else None
        if acc is not None and (np.abs(acc) > MAX_ACC_G).any():
            raise DumpError(f"{self.path}: acceleration beyond ±{MAX_ACC_G} g is not a "
                            "physical foot signal")
        if gyro is not None and (np.abs(gyro) > MAX_GYRO_DPS).any():
            raise DumpError(f"{self.path}: angular rate beyond ±{MAX_GYRO_DPS} deg/s is not "
                            "physical")
        assert state.t0 is not None
        self.samples += len(t)
        self.duration_s = float(t[-1] - state.t0)
        return Recording(name=self.name, path=self.path, meta=self.meta, t=t - state.t0,
                         acc=acc, acc_axes=self.acc_axes, gyro=gyro, gyro_axes=self.gyro_axes,
                         pressure=pressure, truth=self.truth)

    def _check_time(self, t: np.ndarray, numbers: list[int], state: _StreamState) -> None:
        """Strictly increasing, at the sidecar's rate (median step), gaps counted."""
        if state.t0 is None:
            state.t0 = float(t[0])
        if state.last_t is None:
            steps, first = np.diff(t), 1  # steps[k] ends at row k + first
        else:
            steps, first = np.diff(t, prepend=state.last_t), 0
        if (steps <= 0).any():
            row = int(np.argmax(steps <= 0)) + first
            raise DumpError(f"{self.path}:{numbers[row]}: time does not increase "
                            "(t must be strictly monotonic)")
        period = 1.0 / self.rate_hz
        if len(steps) >= 10:
            median = float(np.median(steps))
            if abs(median / period - 1) > RATE_TOLERANCE:
                raise DumpError(
                    f"{self.path}:{numbers[first]}-{numbers[-1]}: samples are {median:.6g} s "
                    f"apart ({1 / median:.4g} Hz) but the sidecar's rate_hz is "
                    f"{self.rate_hz:g}: fix rate_hz (the engine counts samples at that rate)")
        long = steps > GAP_PERIODS * period
        self.gaps += int(long.sum())
        self.gap_s += float((steps[long] - period).sum())
        state.last_t = float(t[-1])


@dataclass
class _StreamState:
    t0: float | None = None  # t of the first sample
    last_t: float | None = None  # t of the last sample of the previous part


def sidecar_path(csv_path: Path) -> Path:
    return csv_path.with_suffix(".json")


def _csv_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix == ".json":
        return path.with_suffix(".csv")
    if path.suffix != ".csv":
        return path.with_name(path.name + ".csv")
    return path


def open_stream(path: str | Path) -> DumpStream:
    """NAME.csv (or NAME, or NAME.json) with its sidecar and, if present, truth; the
    samples are read by `parts()`."""
    path = _csv_path(path)
    if not path.is_file():
        raise DumpError(f"{path}: no such recording")
    meta = _read_sidecar(path)
    header = _read_header(path)
    acc_axes, gyro_axes, zones = _columns(path, meta, header)
    truth_path = path.with_name(path.stem + ".truth.json")
    truth = None
    if truth_path.is_file():
        try:
            truth = json.loads(truth_path.read_text())
        except (OSError, ValueError) as exc:
            raise DumpError(f"{truth_path}: not valid JSON ({exc})") from None
    return DumpStream(path.stem, path, meta, header, acc_axes, gyro_axes, zones, truth)


def load(path: str | Path) -> Recording:
    """The whole recording in memory (see `open_stream` for one of any length)."""
    stream = open_stream(path)
    parts = list(stream.parts())

    def joined(name: str) -> np.ndarray | None:
        arrays = [getattr(p, name) for p in parts]
        return None if arrays[0] is None else np.concatenate(arrays)

    t = joined("t")
    assert t is not None
    return Recording(name=stream.name, path=stream.path, meta=stream.meta, t=t,
                     acc=joined("acc"), acc_axes=stream.acc_axes, gyro=joined("gyro"),
                     gyro_axes=stream.gyro_axes, pressure=joined("pressure"),
                     truth=stream.truth)


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
    if not _number(rate) or not (1 <= rate <= 10000):
        raise DumpError(f"{side}: rate_hz must be a number between 1 and 10000, got {rate!r}")
    if meta.get("placement") not in PLACEMENTS:
        raise DumpError(
            f"{side}: placement must be one of {', '.join(PLACEMENTS)}, got {meta.get('placement')!r}"
        )
    units = meta.get("units")
    if units is not None and not (isinstance(units, dict)
                                  and all(isinstance(v, str) for v in units.values())):
        raise DumpError(f"{side}: units must be an object of unit names, got {units!r}")
    _check_zones(side, meta.get("pressure_zones"))
    return meta


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_zones(side: Path, zones: object) -> None:
    """pressure_zones: absent, null, or a list of {name?, x, y} with finite x and y."""
    if zones is None:
        return
    if not isinstance(zones, list):
        raise DumpError(f"{side}: pressure_zones must be a list of {{name, x, y}}, "
                        f"got {type(zones).__name__}")
    for i, zone in enumerate(zones, start=1):
        if not isinstance(zone, dict):
            raise DumpError(f"{side}: pressure zone {i} must be an object {{name, x, y}}, "
                            f"got {zone!r}"[:200])
        for axis in ("x", "y"):
            value = zone.get(axis)
            if not _number(value) or abs(value) > ZONE_COORDINATE_LIMIT:
                raise DumpError(f"{side}: pressure zone {i}: {axis} must be a number within "
                                f"±{ZONE_COORDINATE_LIMIT:g}, got {value!r}"[:200])
        if not isinstance(zone.get("name", ""), str):
            raise DumpError(f"{side}: pressure zone {i}: name must be text")


def _read_header(path: Path) -> list[str]:
    try:
        with path.open() as f:
            header = [h.strip() for h in f.readline().strip().split(",")]
    except (OSError, UnicodeDecodeError) as exc:
        raise DumpError(f"{path}: cannot read ({exc})") from None
    if not header or header[0] != "t":
        raise DumpError(f"{path}: first column must be 't' (seconds), got {header[:1]}")
    return header


def _columns(path: Path, meta: dict,
             header: list[str]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The accelerometer, gyroscope and pressure-zone columns the header names."""
    known = {"t", *ACC_COLUMNS, *GYRO_COLUMNS}
    unknown = [h for h in header if h not in known and not _ZONE.match(h)]
    if unknown:
        raise DumpError(f"{path}: unknown columns {', '.join(unknown)}")
    if len(set(header)) != len(header):
        raise DumpError(f"{path}: repeated column names in the header")
    acc_axes = tuple(a for a in ACC_COLUMNS if a in header)
    gyro_axes = tuple(g for g in GYRO_COLUMNS if g in header)
    zone_cols = tuple(sorted((h for h in header if _ZONE.match(h)), key=lambda h: int(h[1:])))
    if [int(z[1:]) for z in zone_cols] != list(range(1, len(zone_cols) + 1)):
        raise DumpError(f"{path}: pressure zones must be p1..pN without gaps")
    if not (acc_axes or gyro_axes or zone_cols):
        raise DumpError(f"{path}: no sensor columns (ax.., gx.., p1..)")
    zones = meta.get("pressure_zones") or []
    if zone_cols and zones and len(zones) != len(zone_cols):
        raise DumpError(
            f"{path}: sidecar declares {len(zones)} pressure zones, CSV has {len(zone_cols)}"
        )
    return acc_axes, gyro_axes, zone_cols


def _parse(path: Path, lines: list[str], numbers: list[int], width: int) -> np.ndarray:
    """Rows of numbers; numpy's parser first, and on a problem the line that has it."""
    try:
        data = np.loadtxt(lines, delimiter=",", comments=None, dtype=np.float64, ndmin=2)
        if data.shape[1] == width:
            return data
    except ValueError:
        pass
    for line, number in zip(lines, numbers, strict=True):
        parts = line.rstrip("\r\n").split(",")
        if len(parts) != width:
            raise DumpError(
                f"{path}:{number}: expected {width} values, found {len(parts)} (truncated file?)")
        try:
            [float(p) for p in parts]
        except ValueError:
            raise DumpError(f"{path}:{number}: not a number in {line.strip()[:60]!r}") from None
    raise DumpError(f"{path}:{numbers[0]}-{numbers[-1]}: rows numpy cannot read")


# The pod's default sensitivities are the engine's (GaitConfig's keyword defaults): defined
# once in the firmware, read here.
_POD_DEFAULTS = inspect.signature(GaitConfig).parameters


@dataclass(frozen=True)
class SensorUnits:
    """How a pod's sensors express physical values as integers."""

    # ±16 g on a 16-bit accelerometer: 2048
    acc_lsb_per_g: float = float(_POD_DEFAULTS["acc_lsb_per_g"].default)
    # ±2000 dps: 16.4 (ICM-42688-P; LSM6DSO is 14.286)
    gyro_lsb_per_dps: float = float(_POD_DEFAULTS["gyro_lsb_per_dps"].default)
    # zone force in 0.1 N: 10
    pressure_lsb_per_unit: float = float(_POD_DEFAULTS["pressure_lsb_per_newton"].default)
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
