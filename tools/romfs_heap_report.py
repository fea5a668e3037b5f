"""Heap a pod holds after start with its library imported from a ROMFS image, on the
64-bit MicroPython unix port with simulated chips (issue 4's heap goal). Runs
tests/firmware/romfs_heap.py under `micropython`; used by tools/bench_sampling.py and
tests/host/test_romfs_heap.py.

Two figures:
- as allocated: everything the firmware modules and the started pod allocate, the qstr
  pools that grow while they intern their names included. The unix port allocates
  those pools as they fill, each twice the size of the last (the 6th, 640 names, is
  7 KB), so this figure jumps where a boundary falls.
- names apart: the same measured with a large qstr pool allocated beforehand, plus the
  names the firmware interned at their entry size. It does not depend on where the pool
  boundaries fall. This run also starts the BLE link and the flash log on top, as
  main.run() does (on the tests' `bluetooth` stand-in), to show what a whole pod adds.
"""

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MICROPYTHON = Path(sys.executable).parent / "micropython"
BOARD = "boards/esp32-s3-devkitc-1.json"
# a qstr pool entry on the 64-bit unix port: const char * + 16-bit hash + 8-bit length
# (the name's characters stay in the ROMFS image); 4 + 2 + 1 on a 32-bit build
QSTR_ENTRY_BYTES = 8 + 2 + 1
QSTR_ENTRY_BYTES_32 = 4 + 2 + 1


@dataclass
class RomfsHeap:
    source: str  # where podfw was imported from (/rom/lib/podfw/__init__.mpy)
    modules: int  # bytes: firmware modules
    pod: int  # bytes: board file + started Pod
    names: int  # names the firmware interned
    stdout: str
    link: int = 0  # bytes the BLE link + flash log add (names apart only)
    link_names: int = 0

    @property
    def total(self) -> int:
        return self.modules + self.pod


def measure(image: Path, names_apart: bool = False, board: str = BOARD,
            binary: Path = MICROPYTHON) -> RomfsHeap:
    """`binary`: the unix port to measure on (the 32-bit one needs an x86 image)."""
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(
        [str(ROOT / "tests" / "firmware"), ".frozen"]))  # not firmware/: podfw from /rom
    args = [str(binary), str(ROOT / "tests" / "firmware" / "romfs_heap.py"), str(image),
            board] + (["--names-apart"] if names_apart else [])
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    found = re.search(r"podfw from (\S+)\nheap after start (\d+) (\d+)\n", proc.stdout)
    qstrs = [int(n) for n in re.findall(r"qstr pool: n_pool=\d+, n_qstr=(\d+)", proc.stdout)]
    link = re.search(r"link after start (\d+)\n", proc.stdout)
    if proc.returncode or not found or len(qstrs) != (4 if names_apart else 2) or (
            names_apart and not link):
        raise RuntimeError(f"romfs_heap.py failed: {proc.stdout}{proc.stderr}")
    result = RomfsHeap(found[1], int(found[2]), int(found[3]), qstrs[1] - qstrs[0], proc.stdout)
    if link:
        result.link = int(link[1])
        result.link_names = qstrs[3] - qstrs[2]
    return result


def report(image: Path) -> tuple[RomfsHeap, RomfsHeap, str]:
    """(as allocated, names apart, the benchmark's lines). `image` is
    deploy.library_romfs's: its .mpy tree beside it is measured too."""
    plain = measure(image)
    apart = measure(image, names_apart=True)
    files = measure(image.parent / "romfs" / "lib")
    names_kb = apart.names * QSTR_ENTRY_BYTES / 1024
    text = (
        f"heap after start ({BOARD}, 64-bit unix port), firmware library as .mpy files in "
        f"/lib (`stridepod dev deploy`; the bytecode is read into the heap): board + pod "
        f"objects {files.pod / 1024:.1f} KB + firmware modules {files.modules / 1024:.1f} KB "
        f"= {files.total / 1024:.1f} KB\n"
        f"heap after start ({BOARD}, 64-bit unix port), firmware library from a "
        f"{image.stat().st_size // 1024} KB ROMFS image ({plain.source}; the image is read "
        "into one bytes object before the baseline: it stands for the memory-mapped flash "
        f"partition): board + pod objects {plain.pod / 1024:.1f} KB + firmware modules "
        f"{plain.modules / 1024:.1f} KB (qstr pools as the unix port grew them included) = "
        f"{plain.total / 1024:.1f} KB (goal < 48 KB)\n"
        f"  names apart: board + pod objects {apart.pod / 1024:.1f} KB + firmware modules "
        f"{apart.modules / 1024:.1f} KB + {apart.names} interned names x "
        f"{QSTR_ENTRY_BYTES} B = {names_kb:.1f} KB = "
        f"{(apart.total / 1024 + names_kb):.1f} KB (goal < 48 KB)\n"
        f"  the BLE link and flash log started on top (main.run(), not in the goal) add "
        f"{apart.link / 1024:.1f} KB + {apart.link_names} names x {QSTR_ENTRY_BYTES} B"
    )
    return plain, apart, text
