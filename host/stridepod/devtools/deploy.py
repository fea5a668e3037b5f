"""Build the firmware for a board and copy it to the pod with mpremote.

Build: every library module is precompiled with `mpy-cross -march=<board arch> -O2` (the
pod then imports bytecode and native code without compiling on the device); `main.py` stays
source because MicroPython only boots a `main.py`; the board file becomes `/board.json`.
Copy: `mpremote fs cp`. Verify: the pod hashes every copied file with SHA-256 and the hashes
must equal the local ones; after a soft reset the pod must import `podfw` from where the
library was put.

With `romfs`, the compiled library goes into a ROMFS image instead (`romfs.img`, laid out as
`lib/podfw/...`): `mpremote romfs deploy` writes it to the board's ROMFS flash partition,
which MicroPython mounts at `/rom` with `/rom` and `/rom/lib` on `sys.path`. Bytecode then
runs in place from memory-mapped flash instead of being loaded into the heap. Only
`main.py` and `board.json` go to the filesystem. First the pod is asked what ROMFS it has
(ROMFS_QUERY_SCRIPT): an image without ROMFS, a partition table without a `romfs`
partition or one too small for the library stops the deploy with one line saying which
and what to flash (the stridepod image of boards/micropython/).
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
# First bytes of every ROMFS image ("RM1" with the top bits of the first two bytes set;
# mpremote's romfs.py and MicroPython's extmod/vfs_rom.c).
ROMFS_MAGIC = b"\xd2\xcd\x31"


@dataclass
class Build:
    board: str
    arch: str
    root: Path  # mirrors the pod's filesystem
    files: list[str]  # paths on the pod's filesystem, relative to its root
    romfs: Path | None = None  # ROMFS image of the library, when it goes there


def tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise StridepodError(f"{name} not found: install the dev dependencies (make test does)")
    return found


def module_name(rel: str) -> str:
    """podfw/gait/engine.py -> podfw.gait.engine (podfw/gait/__init__.py -> podfw.gait).
    The source name a .mpy carries for tracebacks: the module's own name, which the pod
    interns anyway when it imports the module, so it costs no name of its own."""
    parts = Path(rel).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def compile_library(arch: str, lib: Path) -> list[Path]:
    """Every firmware library module compiled by mpy-cross for `arch` into `lib` (which
    mirrors the pod's /lib)."""
    compiled = []
    for rel in package_files():
        target = lib / Path(rel).with_suffix(".mpy")
        target.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [tool("mpy-cross"), f"-march={arch}", "-O2", "-s", module_name(rel), "-o",
             str(target), str(FIRMWARE / rel)],
            capture_output=True, text=True,
        )
        if proc.returncode:
            raise StridepodError(f"mpy-cross failed on firmware/{rel}: {proc.stderr.strip()}")
        compiled.append(target)
    return compiled


def library_romfs(arch: str, out: Path) -> Path:
    """A ROMFS image of the library compiled for `arch`: `out/romfs/lib/...` is its tree
    (mounted at /rom, so the modules are in /rom/lib), `out/romfs.img` the image."""
    tree = out / "romfs"
    if tree.exists():
        shutil.rmtree(tree)
    compile_library(arch, tree / "lib")
    image = out / "romfs.img"
    # --no-mpy: the tree is already compiled, for the board's architecture.
    proc = subprocess.run(
        [sys.executable, "-m", "mpremote", "romfs", "--no-mpy", "--output", str(image),
         "build", str(tree)],
        capture_output=True, text=True,
    )
    if proc.returncode or not image.is_file():
        last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise StridepodError(f"mpremote romfs build failed: {last[0]}")
    return image


def check_board_file(board_path: Path) -> None:
    """The board file as the pod will read it at boot (podfw.board, the firmware's own
    checks) and its pins against the chip (devtools.pinout): a mistake is found before a
    deploy, as one line, not at boot."""
    import podfw  # noqa: F401  (the CPython stand-in for `micropython`)
    from podfw import board as boardfile
    from stridepod.devtools import pinout

    try:
        boardfile.load(str(board_path))
    except boardfile.BoardError as exc:
        raise StridepodError(str(exc)) from None
    try:
        problems = pinout.check_board(board_path)
    except pinout.PinoutError:
        return  # a board without header labels: nothing to check its pins against
    if problems:
        raise StridepodError("; ".join(problems))


def build(board_name: str, out: Path = BUILD, romfs: bool = False) -> Build:
    board_path, board = load_board(board_name)
    check_board_file(board_path)
    arch = board_arch(board_path, board)
    root = out / board_path.stem
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    image = None
    if romfs:
        image = library_romfs(arch, root)
        files = []
    else:
        files = [p.relative_to(root).as_posix() for p in compile_library(arch, root / "lib")]
    if (FIRMWARE / "main.py").exists():
        shutil.copyfile(FIRMWARE / "main.py", root / "main.py")
        files.append("main.py")
    shutil.copyfile(board_path, root / "board.json")
    files.append("board.json")
    return Build(board=board_path.stem, arch=arch, root=root, files=files, romfs=image)


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

# Runs on the pod: removes a library an earlier deploy left in /lib (it would be imported
# instead of, or confused with, the one in the ROMFS image).
_REMOVE_LIB_SCRIPT = """
import os
def rm(p):
    try:
        entries = list(os.ilistdir(p))
    except OSError:
        return
    for e in entries:
        if e[1] & 0x4000:
            rm(p + '/' + e[0])
        else:
            os.remove(p + '/' + e[0])
    os.rmdir(p)
rm('/lib/podfw')
"""

# Runs on the pod: prints {path: sha256} of the files deploy copied and, under the key
# ROMFS_KEY, of the first n bytes of ROMFS partition 0 (n = 0: no image deployed).
ROMFS_KEY = "<romfs partition 0>"
_HASH_SCRIPT = """
import hashlib, binascii, json
out = {}
n = %d
if n:
    import vfs
    rom = memoryview(vfs.rom_ioctl(2, 0))
    h = hashlib.sha256()
    for i in range(0, n, 512):
        h.update(rom[i:min(i + 512, n)])
    out[%r] = binascii.hexlify(h.digest()).decode()
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

# Runs on the pod after a soft reset (raw REPL: main.py does not start): where podfw is
# imported from when main.py imports it (main.py puts a frozen copy last on sys.path).
_WHERE_SCRIPT = "import main, podfw; print('PODFW ' + podfw.__file__)"

# Runs on the pod before a ROMFS deploy: what ROMFS it has. "ROMFS none": the image was
# built without MICROPY_VFS_ROM (vfs.rom_ioctl missing); "ROMFS n size": n ROMFS
# partitions, the first `size` bytes (mpremote's own query, tools/mpremote commands.py).
ROMFS_QUERY_SCRIPT = """
import vfs
if not hasattr(vfs, 'rom_ioctl'):
    print('ROMFS none')
else:
    n = vfs.rom_ioctl(1)
    size = 0
    if n > 0:
        dev = vfs.rom_ioctl(2, 0)
        size = dev.ioctl(4, 0) * dev.ioctl(5, 0) if hasattr(dev, 'ioctl') else len(dev)
    print('ROMFS %d %d' % (n, size))
"""


def romfs_problem(query_output: str, image_bytes: int, board_file: Path) -> str | None:
    """What stops a ROMFS deploy on the pod that printed `query_output`
    (ROMFS_QUERY_SCRIPT), in one line with what to do; None when the image fits."""
    line = next((ln for ln in query_output.splitlines() if ln.startswith("ROMFS ")), "")
    definition = _micropython_board(board_file)
    build = (f"build and flash the stridepod MicroPython image for {board_file.stem} "
             f"(boards/micropython/{definition}, docs/flashing.md), or deploy without --romfs")
    if line == "ROMFS none":
        return ("the pod's MicroPython has no ROMFS (built without MICROPY_VFS_ROM, like "
                f"every stock ESP32 image): {build}")
    parts = line.split()
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return "the pod did not say whether it has ROMFS: is MicroPython 1.25 or later running on it?"
    if int(parts[1]) == 0:
        return ("the pod's MicroPython supports ROMFS but its partition table has no "
                f"partition labelled 'romfs': {build}")
    if int(parts[2]) < image_bytes:
        return (f"the pod's romfs partition holds {int(parts[2])} bytes, the library image "
                f"is {image_bytes} bytes: {build}")
    return None


def _micropython_board(board_file: Path) -> str:
    try:
        return str(json.loads(board_file.read_text()).get("micropython_board") or "<BOARD>")
    except (OSError, ValueError):
        return "<BOARD>"


def mpremote(port: str, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "mpremote", "connect", port, *args],
        capture_output=True, text=True, timeout=600,
    )
    if proc.returncode:
        last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise StridepodError(f"mpremote on {port} failed: {last[0]}")
    return proc.stdout


def deploy(board_name: str, port: str | None = None, echo=print, romfs: bool = False) -> Build:
    port = choose_port(port)  # before building: no board, no work
    result = build(board_name, romfs=romfs)
    what = ("a ROMFS image + " if result.romfs else "") + f"{len(result.files)} files"
    echo(f"built {what} for {result.board} ({result.arch})")
    if result.romfs:
        problem = romfs_problem(mpremote(port, "exec", ROMFS_QUERY_SCRIPT),
                                result.romfs.stat().st_size, result.root / "board.json")
        if problem:
            raise StridepodError(problem)
    # One mpremote session (commands chained with "+"): write the ROMFS partition, make
    # folders, copy, hash, soft reset (mounts the new /rom), ask where podfw comes from.
    args = []
    if result.romfs:
        args += ["romfs", "deploy", str(result.romfs), "+", "exec", _REMOVE_LIB_SCRIPT, "+"]
    folders = sorted({p.as_posix() for f in result.files for p in Path(f).parents if p.parts})
    args += ["exec", _MKDIRS_SCRIPT % (folders,)]
    for f in result.files:
        args += ["+", "fs", "cp", str(result.root / f), f":/{f}"]
    image_size = result.romfs.stat().st_size if result.romfs else 0
    args += ["+", "exec", _HASH_SCRIPT % (image_size, ROMFS_KEY, result.files)]
    args += ["+", "soft-reset", "+", "exec", _WHERE_SCRIPT]
    out = mpremote(port, *args)
    line = next((ln for ln in out.splitlines() if ln.startswith("HASHES")), None)
    if line is None:
        raise StridepodError("the pod did not report file hashes: is MicroPython running on it?")
    on_pod = json.loads(line[len("HASHES"):])
    expected = {f: sha256(result.root / f) for f in result.files}
    if result.romfs:
        expected[ROMFS_KEY] = sha256(result.romfs)
    bad = [f for f in expected if on_pod.get(f) != expected[f]]
    if bad:
        raise StridepodError(f"copy verification failed for {', '.join(bad)}: deploy again")
    imported = next((ln[len("PODFW "):] for ln in out.splitlines() if ln.startswith("PODFW ")),
                    "nowhere")
    wanted = "/rom/lib/podfw/" if result.romfs else "/lib/podfw/"
    if not imported.startswith(wanted):
        raise StridepodError(
            f"the pod imports podfw from {imported}, not {wanted}: "
            + ("its MicroPython does not mount the ROMFS partition at /rom"
               if result.romfs else
               "a ROMFS image holding podfw comes first on sys.path; deploy with --romfs")
        )
    echo(f"deployed and verified {what} on {port} "
         f"(podfw from {wanted}); reset the pod to start")
    return result
