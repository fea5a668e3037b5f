"""Benchmark of the gait engine (issue 3; the rv32 count: issue 13).

- Under the `micropython` unix port: the cost of one second of two-sensor data (IMU
  200 Hz + 8 insole zones 100 Hz, real recordings) as a number of iterations of a
  reference bytecode loop timed in the same run (goal: <= 10,000 per second of data,
  about 1 % of an ESP32-S3 core), and the heap the engine's buffers take (goal <= 16 KB).
- On the host: the float reference's and the firmware engine's throughput under CPython
  on the 25-minute run and the walking recordings, as multiples of real time (goal for
  the reference: >= 2,000x).
- With --rv32: the same data through the engine frozen as rv32imc machine code in the
  rv32 MicroPython firmware under qemu-system-riscv32 -icount shift=0 (the ESP32-C3's
  instruction set): instructions retired per data-second (the guest's instret counter,
  the same on every run; budget <= 1.6 M, 1 % of a 160 MHz core), a profile of where
  they go by engine function, and the heap after start on the 32-bit unix port.

    .venv/bin/python tools/bench_gait.py [--seconds N] [--rv32]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_gait_rv32_report import rv32_report

from stridepod.recordings import dumpfile
from stridepod.recordings.reference.engine import run as run_reference
from stridepod.recordings.replay import quantise_recording, replay

ROOT = Path(__file__).resolve().parents[1]
DUMPS = ROOT.parent / "shared" / "datasets" / "dumps"


def two_sensor_data(seconds: int) -> bytes:
    """Real IMU samples (foot pod, walking) as 200 Hz and real insole scans (8 zones) as
    100 Hz, second by second, in the pod's integer units."""
    imu = quantise_recording(dumpfile.load(DUMPS / "gaitmap_walk_left")).imu
    pressure = quantise_recording(dumpfile.load(DUMPS / "gaitpdb_GaCo01_01_left")).pressure
    need_imu, need_p = seconds * 200, seconds * 100
    imu = np.resize(imu, (need_imu, 6))  # repeats the recording if it is too short
    pressure = np.resize(pressure, (need_p, 8))
    out = bytearray()
    out += imu.astype("<i2").tobytes()
    out += pressure.astype("<i2").tobytes()
    return bytes(out)


def micropython(seconds: int) -> dict[str, float]:
    binary = Path(sys.executable).parent / "micropython"
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.bin"
        data.write_bytes(two_sensor_data(seconds))
        env = dict(os.environ, MICROPYPATH=os.pathsep.join([str(ROOT / "firmware"), ".frozen"]))
        proc = subprocess.run([str(binary), str(ROOT / "tools" / "bench_gait_micropython.py"),
                               str(data), str(seconds)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=900)
    if proc.returncode:
        raise SystemExit(proc.stdout + proc.stderr)
    values = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        values[" ".join(parts[:-1])] = float(parts[-1])
    return values


def host_throughput(name: str, repeat: int) -> tuple[float, float]:
    rec = dumpfile.load(DUMPS / name)
    best_ref = best_fw = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        run_reference(rec)
        t1 = time.perf_counter()
        replay(rec)
        t2 = time.perf_counter()
        best_ref, best_fw = min(best_ref, t1 - t0), min(best_fw, t2 - t1)
    return rec.duration_s / best_ref, rec.duration_s / best_fw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help="seconds of data under MicroPython")
    parser.add_argument("--rv32", action="store_true",
                        help="count rv32 instructions under QEMU instead (and the 32-bit heap)")
    args = parser.parse_args()
    if args.rv32:
        print(rv32_report(two_sensor_data(args.seconds), args.seconds))
        return
    mp = micropython(args.seconds)
    print(f"micropython (reference loop {mp['REF_NS']:.0f} ns per iteration on this machine):")
    for key, label in (("both", "IMU 200 Hz + 8 zones 100 Hz"), ("imu", "IMU 200 Hz only"),
                       ("pressure", "8 zones 100 Hz only")):
        print(f"  one second of {label:28s} = {mp['COST ' + key]:7.0f} loop iterations"
              " (goal <= 10,000)")
    print(f"  engine heap (buffers and state, unix port): {mp['HEAP'] / 1024:.1f} KB (goal <= 16 KB)")
    for name in ("adept_outdoor_run_left_ankle", "gaitmap_walk_left", "gaitpdb_GaCo01_01_left"):
        ref_x, fw_x = host_throughput(name, 3)
        print(f"host {name:30s} reference {ref_x:8.0f}x real time (goal >= 2,000x), "
              f"firmware engine under CPython {fw_x:8.0f}x")


if __name__ == "__main__":
    main()
