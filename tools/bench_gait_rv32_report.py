"""`tools/bench_gait.py --rv32`: the gait engine's cost in rv32imc instructions and its
heap on a 32-bit MicroPython (issue 13).

The engine runs frozen in the rv32 MicroPython firmware (stridepod.devtools.interpreters)
under qemu-system-riscv32 -icount shift=0; tools/bench_gait_rv32.py is the guest side. The
counts are instructions retired by the guest (its instret CSR), so they are the same on
every run and every machine: the guest runs twice and the report says whether the two
agree. The profile charges each instruction to the innermost engine function running
(probes on every method of the engine and the objects it holds, and on the gait modules'
functions; their calibrated cost is taken off), so its sum only approximates the clean
count printed above it. The heap is measured on the i386 unix port: the engine alone, and
the pod after start with its library in a ROMFS image of x86 .mpy files (as
`stridepod dev deploy --romfs` puts it on a pod). Not asserted by any test: the budget is
the optimisation's target.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import tempfile
from pathlib import Path

from romfs_heap_report import QSTR_ENTRY_BYTES_32, measure

from stridepod.devtools import interpreters, qemu_rv32
from stridepod.devtools.deploy import library_romfs

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"
GAIT = ROOT / "firmware" / "podfw" / "gait"
BUDGET = 1_600_000  # instructions per data-second: 1 % of a 160 MHz ESP32-C3 core
MODES = (("both", "IMU 200 Hz + 8 zones 100 Hz"), ("imu", "IMU 200 Hz only"),
         ("pressure", "8 zones 100 Hz only"))


def arities() -> dict[str, int]:
    """Number of arguments of every gait-engine function ("Class.method" without self,
    or the function's name), read from the source: the probes take exactly these (-1:
    defaults or *args, the probe takes *args)."""
    found: dict[str, int] = {}
    for path in sorted(GAIT.glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = _arity(node, 0)
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef):
                        found[f"{node.name}.{item.name}"] = _arity(item, 1)
    return found


def _arity(fn: ast.FunctionDef, skip: int) -> int:
    a = fn.args
    if a.vararg or a.kwarg or a.defaults or a.kwonlyargs:
        return -1
    return len(a.args) - skip


def run_guest(data: bytes, seconds: int) -> list[str]:
    job = {"seconds": seconds, "arities": arities()}
    return qemu_rv32.run((TOOLS / "bench_gait_rv32.py").read_text(), {
        "bench_gait_micropython.py": TOOLS / "bench_gait_micropython.py",
        "data.bin": data, "bench.json": json.dumps(job).encode()})


def engine_heap_32() -> int:
    """Bytes the engine's buffers and state take on the i386 unix port."""
    code = ("import gc\nfrom bench_gait_micropython import config\n"
            "from podfw.gait.engine import GaitEngine\ncfg = config()\ngc.collect()\n"
            "before = gc.mem_alloc()\neng = GaitEngine(cfg)\ngc.collect()\n"
            "print(gc.mem_alloc() - before)\n")
    env = dict(os.environ, MICROPYPATH=os.pathsep.join([str(ROOT / "firmware"), str(TOOLS)]))
    proc = subprocess.run([str(interpreters.installed().unix32), "-c", code], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode:
        raise SystemExit(proc.stdout + proc.stderr)
    return int(proc.stdout.split()[-1])


def heap_lines() -> list[str]:
    unix32 = interpreters.installed().unix32
    with tempfile.TemporaryDirectory() as tmp:
        image = library_romfs("x86", Path(tmp))
        plain = measure(image, binary=unix32)
        apart = measure(image, names_apart=True, binary=unix32)
    names = apart.names * QSTR_ENTRY_BYTES_32
    return [
        f"  heap, 32-bit unix port: the engine's buffers and state {engine_heap_32() / 1024:.1f} KB",
        f"  heap after start, 32-bit unix port ({plain.source}: library from a ROMFS image of "
        f"x86 .mpy files): board + pod objects {plain.pod / 1024:.1f} KB + firmware modules "
        f"{plain.modules / 1024:.1f} KB = {plain.total / 1024:.1f} KB as allocated; names apart "
        f"{(apart.total + names) / 1024:.1f} KB ({apart.names} names x {QSTR_ENTRY_BYTES_32} B); "
        f"the BLE link and flash log add {apart.link / 1024:.1f} KB",
    ]


def parse_guest_output(lines: list[str]):
    """(costs by mode, probe costs by arity, profile rows (name, calls, instructions) by
    mode) from the guest's lines."""
    costs: dict[str, int] = {}
    probes: dict[int, tuple[int, int]] = {}
    profile: dict[str, list[tuple[str, int, int]]] = {"imu": [], "pressure": []}
    for line in lines:
        parts = line.split()
        if parts[0] == "COST":
            costs[parts[1]] = int(parts[2])
        elif parts[0] == "PROBE":
            probes[int(parts[1])] = (int(parts[2]), int(parts[3]))
        elif parts[0] == "PROFILE":
            profile[parts[1]].append((parts[2], int(parts[4]), int(parts[6])))
    return costs, probes, profile


def profile_lines(costs, profile, seconds: int) -> list[str]:
    out = ["  profile (instructions per data-second charged to each engine function while "
           "it was the innermost running, probe cost taken off; calls per data-second):"]
    for mode, label in MODES[1:]:
        rows = sorted(profile[mode], key=lambda r: -r[2])
        total = sum(r[2] for r in rows)
        out.append(f"    {label}: sum of functions {total / seconds / 1e6:.2f} M "
                   f"(clean count {costs[mode] / 1e6:.2f} M)")
        for name, calls, instructions in rows:
            share = 100 * instructions / total if total else 0
            out.append(f"      {name:40s} {calls / seconds:7.1f} calls "
                       f"{instructions / seconds / 1000:9.1f} k {share:5.1f} %")
    return out


def rv32_report(data: bytes, seconds: int) -> str:
    first = run_guest(data, seconds)
    second = run_guest(data, seconds)
    costs, probes, profile = parse_guest_output(first)
    out = [f"rv32 (qemu-system-riscv32 -icount shift=0, engine frozen as rv32imc machine code, "
           f"{seconds} s of real data; instructions retired by the guest per data-second):"]
    for mode, label in MODES:
        out.append(f"  one second of {label:28s} = {costs[mode] / 1e6:5.2f} M instructions")
    both = costs["both"]
    verdict = "met" if both <= BUDGET else f"not met: {both / BUDGET:.2f}x the budget"
    out.append(f"  budget <= {BUDGET / 1e6:.1f} M per data-second (1 % of a 160 MHz ESP32-C3): {verdict}")
    same = [ln for ln in first if ln.startswith("COST")] == \
        [ln for ln in second if ln.startswith("COST")]
    out.append(f"  the same counts on a second run: {'yes' if same else 'NO'}")
    out += heap_lines()
    out += profile_lines(costs, profile, seconds)
    out.append("  probe cost taken off per call (to the caller, to the function), by arity: "
               + ", ".join(f"{a}: {c}/{f}" for a, (c, f) in sorted(probes.items())))
    return "\n".join(out)
