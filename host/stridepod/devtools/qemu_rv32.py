"""Runs MicroPython code on the rv32 firmware (stridepod.devtools.interpreters: the qemu
port's VIRT_RV32 board with podfw.gait and podfw.link.wire frozen as rv32imc machine code)
under `qemu-system-riscv32 -icount shift=0`: one guest instruction per virtual
nanosecond, so the guest's instructions-retired counter and its clock are the same on
every run, whatever the host's load.

The job's files (a driver module and its data) go into a ROMFS image that QEMU loads at
the board's ROMFS partition; MicroPython mounts it at /rom (on its sys.path) and the job
module is imported over the raw REPL on the emulated UART. Everything the job prints
comes back as lines; a guest exception is a StridepodError with MicroPython's traceback.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from stridepod.devtools import interpreters
from stridepod.errors import StridepodError

QEMU = "qemu-system-riscv32"
# ROMFS partition 0 of VIRT_RV32 (ports/qemu/boards/VIRT_RV32/mpconfigboard.mk)
ROMFS_ADDRESS = 0x80610000
ROMFS_BYTES = 0x400000
JOB_MODULE = "rv32_job"
_BEGIN = "@@RV32-BEGIN"
_END = "@@RV32-END"
_FAILED = "@@RV32-FAILED"
# typed at the raw REPL: run the job (MicroPython mounts ROMFS partition 0 at /rom and
# puts /rom on sys.path at start-up), report how it ended
_RUNNER = f"""import sys
print("{_BEGIN}")
try:
    import {JOB_MODULE}
except Exception as exc:
    sys.print_exception(exc)
    print("{_FAILED}")
print("{_END}")
"""


# QEMU's generic rv32 with the A, F, D and bit-manipulation extensions off: the ESP32-C3's
# rv32imc (plus Zicsr, for the instructions-retired counter), so an instruction the C3
# lacks (in MicroPython's C code or the emitted native code) traps instead of running
CPU = "rv32,a=false,f=false,d=false,zba=false,zbb=false,zbc=false,zbs=false"


def qemu_command(firmware: Path, romfs_image: Path) -> list[str]:
    return [QEMU, "-machine", "virt", "-bios", "none", "-cpu", CPU, "-icount", "shift=0",
            "-nographic", "-monitor", "null", "-semihosting", "-serial", "stdio",
            "-kernel", str(firmware),
            "-device", f"loader,file={romfs_image},addr={ROMFS_ADDRESS:#x},force-raw=on"]


def build_romfs(tree: Path, image: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mpremote", "romfs", "--no-mpy", "--output", str(image),
         "build", str(tree)], capture_output=True, text=True)
    if proc.returncode or not image.is_file():
        last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise StridepodError(f"mpremote romfs build failed: {last[0]}")
    if image.stat().st_size > ROMFS_BYTES:
        raise StridepodError(f"ROMFS image of {image.stat().st_size} bytes exceeds the "
                             f"{ROMFS_BYTES} bytes of the rv32 board's partition")


def run(job: str, files: Mapping[str, Path | bytes] | None = None,
        timeout_s: float = 900) -> list[str]:
    """Runs `job` (module source) on the rv32 firmware with `files` (name -> path or
    bytes) beside it in /rom; returns the lines it printed."""
    firmware = interpreters.installed().rv32
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "rom"
        tree.mkdir()
        for name, content in (files or {}).items():
            data = content.read_bytes() if isinstance(content, Path) else content
            (tree / name).write_bytes(data)
        (tree / f"{JOB_MODULE}.py").write_text(job)
        image = Path(tmp) / "romfs.img"
        build_romfs(tree, image)
        typed = b"\x01" + _RUNNER.encode() + b"\x04" + b"import machine\nmachine.reset()\n\x04"
        try:
            proc = subprocess.run(qemu_command(firmware, image), input=typed,
                                  capture_output=True, timeout=timeout_s)
        except FileNotFoundError:
            raise StridepodError(f"{QEMU} not found (Debian: qemu-system-misc)") from None
        except subprocess.TimeoutExpired:
            raise StridepodError(f"the rv32 guest did not finish within {timeout_s:.0f} s") from None
    text = proc.stdout.decode(errors="replace").replace("\r\n", "\n")
    if _BEGIN not in text or _END not in text:
        raise StridepodError(f"the rv32 guest stopped early (exit {proc.returncode}): "
                             f"{text[-2000:]}{proc.stderr.decode(errors='replace')[-1000:]}")
    lines = text.split(_BEGIN + "\n", 1)[1].split(_END, 1)[0].splitlines()
    if lines and lines[-1] == _FAILED:
        raise StridepodError("the rv32 job failed:\n" + "\n".join(lines[-40:]))
    return lines
