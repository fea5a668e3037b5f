"""Build the firmware for a board and copy it to the pod with mpremote.

Build: every library module is precompiled with `mpy-cross -march=<board arch> -O2` (the
pod then imports bytecode and native code without compiling on the device); `main.py` stays
source because MicroPython only boots a `main.py`; the board file becomes `/board.json`.
Copy: `mpremote fs cp`. Verify: the pod hashes every copied file with SHA-256 and the hashes
must equal the local ones.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from stridepod.devtools.firmware_tree import (
    FIRMWARE,
    ROOT,
    board_arch,
    load_board,
    package_files,
)
from stridepod.errors import StridepodError

# USB vendor ids of ESP32 boards' serial bridges: Espressif native USB, Silicon Labs CP210x,
# WCH CH340/CH9102, FTDI.
BOARD_USB_VIDS = {0x303A, 0x10C4, 0x1A86, 0x0403}
BUILD = ROOT / "build" / "deploy"


@dataclass
class Build:
    board: str
    arch: str
    root: Path  # mirrors the pod's filesystem
    files: list[str]  # paths on the pod, relative to its root


def tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise StridepodError(f"{name} not found: install the dev dependencies (make test does)")
    return found


def build(board_name: str, out: Path = BUILD) -> Build:
    board_path, board = load_board(board_name)
    arch = board_arch(board_path, board)
    root = out / board_path.stem
    if root.exists():
        shutil.rmtree(root)
    files = []
    for rel in package_files():
        target = root / "lib" / Path(rel).with_suffix(".mpy")
        target.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [tool("mpy-cross"), f"-march={arch}", "-O2", "-s", rel, "-o", str(target),
             str(FIRMWARE / rel)],
            capture_output=True, text=True,
        )
        if proc.returncode:
            raise StridepodError(f"mpy-cross failed on firmware/{rel}: {proc.stderr.strip()}")
        files.append(target.relative_to(root).as_posix())
    if (FIRMWARE / "main.py").exists():
        shutil.copyfile(FIRMWARE / "main.py", root / "main.py")
        files.append("main.py")
    shutil.copyfile(board_path, root / "board.json")
    files.append("board.json")
    return Build(board=board_path.stem, arch=arch, root=root, files=files)


def find_ports() -> list[str]:
    """Serial ports that look like an ESP32 board (by USB vendor id)."""
    from serial.tools import list_ports

    return sorted(p.device for p in list_ports.comports() if p.vid in BOARD_USB_VIDS)


def choose_port(port: str | None) -> str:
    if port:
        if not Path(port).exists():
            raise StridepodError(f"no board at {port}: check the USB cable or pass another --port")
        return port
    ports = find_ports()
    if not ports:
        raise StridepodError(
            "no board attached: connect the pod over USB (no ESP32 serial port found); "
            "use --port to name one"
        )
    if len(ports) > 1:
        raise StridepodError(f"several boards attached ({', '.join(ports)}): choose one with --port")
    return ports[0]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Runs on the pod: creates the folders (parents first; existing ones are fine).
_MKDIRS_SCRIPT = """
import os
for d in %r:
    try:
        os.mkdir('/' + d)
    except OSError:
        pass
"""

# Runs on the pod: prints {path: sha256} of the files deploy copied.
_HASH_SCRIPT = """
import hashlib, binascii, json
out = {}
for p in %r:
    h = hashlib.sha256()
    try:
        with open('/' + p, 'rb') as f:
            while True:
                b = f.read(512)
                if not b:
                    break
                h.update(b)
        out[p] = binascii.hexlify(h.digest()).decode()
    except OSError:
        out[p] = None
print('HASHES' + json.dumps(out))
"""


def mpremote(port: str, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "mpremote", "connect", port, *args],
        capture_output=True, text=True, timeout=600,
    )
    if proc.returncode:
        last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise StridepodError(f"mpremote on {port} failed: {last[0]}")
    return proc.stdout


def deploy(board_name: str, port: str | None = None, echo=print) -> Build:
    port = choose_port(port)  # before building: no board, no work
    result = build(board_name)
    echo(f"built {len(result.files)} files for {result.board} ({result.arch})")
    # One mpremote session (commands chained with "+"): make folders, copy, hash.
    folders = sorted({p.as_posix() for f in result.files for p in Path(f).parents if p.parts})
    args = ["exec", _MKDIRS_SCRIPT % (folders,)]
    for f in result.files:
        args += ["+", "fs", "cp", str(result.root / f), f":/{f}"]
    args += ["+", "exec", _HASH_SCRIPT % (result.files,)]
    out = mpremote(port, *args)
    line = next((ln for ln in out.splitlines() if ln.startswith("HASHES")), None)
    if line is None:
        raise StridepodError("the pod did not report file hashes: is MicroPython running on it?")
    on_pod = json.loads(line[len("HASHES"):])
    bad = [f for f in result.files if on_pod.get(f) != sha256(result.root / f)]
    if bad:
        raise StridepodError(f"copy verification failed for {', '.join(bad)}: deploy again")
    echo(f"deployed and verified {len(result.files)} files on {port}; reset the pod to start")
    return result
