"""The firmware library in a ROMFS image: images for every board, and the heap a pod
holds after start when its library is imported from one (issue 4: heap after start on
the unix port).

The pod runs on simulated hardware under the unix port (x64 image). MICROPYPATH holds
tests/firmware but not firmware/, so podfw can only come from the image."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stridepod.devtools import deploy, firmware_tree

ROOT = firmware_tree.ROOT
MICROPYTHON = Path(sys.executable).parent / "micropython"
# Heap after start with the library from ROMFS, 64-bit unix port. Measured 55.3 KB
# (19.2 KB board + pod objects; 36.1 KB firmware modules, of which ~20 KB are the qstr
# pools and the names in them: ~610 names, the last pool alone holds 640 entries of
# 11 bytes) against 79.7 KB from source. Issue 4 sets 48 KB as the goal, not reached
# yet: this budget, just above the measurement, guards what was gained.
HEAP_BUDGET = 56 * 1024
# The architecture field of a .mpy header (MicroPython's MP_NATIVE_ARCH_* numbers).
MPY_ARCH = {"x64": 2, "xtensawin": 10, "rv32imc": 11}


def test_pod_started_from_a_romfs_image_imports_podfw_from_rom_within_budget(tmp_path):
    image = deploy.library_romfs("x64", tmp_path)
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(
        [str(ROOT / "tests" / "firmware"), ".frozen"]))
    proc = subprocess.run(
        [str(MICROPYTHON), str(ROOT / "tests" / "firmware" / "romfs_heap.py"), str(image),
         "boards/esp32-s3-devkitc-1.json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "podfw from /rom/lib/podfw/__init__.mpy\n" in proc.stdout, proc.stdout
    assert "podfw modules not from the image: 0 []\n" in proc.stdout, proc.stdout
    modules, pod = map(int, re.search(r"heap after start (\d+) (\d+)", proc.stdout).groups())
    assert pod > 0 and modules > 0, proc.stdout
    assert modules + pod < HEAP_BUDGET, (modules, pod)


@pytest.mark.parametrize("board", firmware_tree.list_boards(), ids=lambda p: p.stem)
def test_build_romfs_makes_an_image_of_the_library_for_each_board(board, tmp_path):
    result = deploy.build(str(board), out=tmp_path, romfs=True)
    assert result.romfs == result.root / "romfs.img"
    assert result.romfs.read_bytes()[:3] == deploy.ROMFS_MAGIC
    # the library lives in the image (mounted at /rom, so as /rom/lib/podfw), not in /lib
    assert result.files == ["main.py", "board.json"]
    tree = sorted(p.relative_to(result.root / "romfs").as_posix()
                  for p in (result.root / "romfs").rglob("*.mpy"))
    assert tree == sorted("lib/" + f[:-3] + ".mpy" for f in firmware_tree.package_files())
    archs = set()
    for rel in tree:
        header = (result.root / "romfs" / rel).read_bytes()[:4]
        assert header[:2] == b"M\x06", (rel, header)
        archs.add(header[2] >> 2)  # 0 in modules without native code
    # the modules with @micropython.native code are compiled for the board's chip
    assert archs == {0, MPY_ARCH[result.arch]}, (result.arch, archs)


def test_dev_build_romfs_writes_the_image_in_build_deploy():
    board = firmware_tree.list_boards()[0]
    proc = subprocess.run(
        [sys.executable, "-m", "stridepod", "dev", "build", "--romfs", "--board", board.stem],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    image = deploy.BUILD / board.stem / "romfs.img"
    assert f"ROMFS image of the library: {image} (" in proc.stdout, proc.stdout
    assert image.read_bytes()[:3] == deploy.ROMFS_MAGIC

