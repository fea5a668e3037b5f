"""Benchmark: peak memory of `stridepod analyze` against the recording's length.

Builds recordings of 100,000, 1,000,000 and 10,000,000 rows (13.6 hours at 204.8 Hz) by
repeating a real one end to end (gaitmap's walk, a foot IMU with gyroscope, from
../shared/datasets/dumps; `t` runs on at the sidecar's rate), runs `stridepod analyze
--json` on each in a new process and prints that process's peak resident memory (the
kernel's ru_maxrss), measured in the same run so the figures compare. Target (issue 18):
10 million rows in at most 300 MB, and memory that does not grow with the length beyond
what the result itself holds (events and windows). Figures only: nothing is asserted.

    .venv/bin/python tools/bench_analyze_memory.py [--rows 100000 1000000 10000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from stridepod.recordings import dumpfile

SOURCE = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "dumps" / \
    "gaitmap_walk_left.csv"
STRIDEPOD = Path(sys.executable).parent / "stridepod"
BLOCK_ROWS = 200_000  # rows written at a time


def build(rows: int, folder: Path) -> Path:
    """A recording of `rows` rows: the source repeated, t continuing at its rate."""
    source = dumpfile.load(SOURCE)
    values = np.column_stack([a for a in (source.acc, source.gyro) if a is not None])
    header = ["t", *source.acc_axes, *source.gyro_axes]
    path = folder / f"long_{rows}.csv"
    meta = dict(source.meta, samples=rows, note=f"{SOURCE.name} repeated to {rows} rows")
    path.with_suffix(".json").write_text(json.dumps(meta))
    period = 1.0 / source.rate_hz
    with path.open("w") as fh:
        fh.write(",".join(header) + "\n")
        for start in range(0, rows, BLOCK_ROWS):
            n = min(BLOCK_ROWS, rows - start)
            index = np.arange(start, start + n)
            block = np.column_stack([index * period, values[index % len(values)]])
            np.savetxt(fh, block, fmt=["%.5f"] + ["%.4f"] * values.shape[1], delimiter=",")
    return path


def peak_rss_mb(args: list[str]) -> tuple[float, float, int]:
    """Runs a command with stdout discarded: (peak RSS in MB, wall seconds, exit code)."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, time.perf_counter() - started, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    args = parser.parse_args()
    print(f"source: {SOURCE.name}; stridepod analyze --json (firmware engine), one process each")
    rate_hz = dumpfile.open_stream(SOURCE).rate_hz
    print(f"{'rows':>11} {'hours':>6} {'file MB':>8} {'peak RSS MB':>12} {'seconds':>8}")
    with tempfile.TemporaryDirectory(prefix="stridepod-bench-") as tmp:
        for rows in args.rows:
            path = build(rows, Path(tmp))
            size_mb = path.stat().st_size / 1e6
            rss, seconds, code = peak_rss_mb([str(STRIDEPOD), "analyze", str(path), "--json"])
            status = "" if code == 0 else f"  (exit code {code})"
            print(f"{rows:>11,} {rows / rate_hz / 3600:>6.1f} {size_mb:>8.0f} {rss:>12.0f} "
                  f"{seconds:>8.1f}{status}", flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
