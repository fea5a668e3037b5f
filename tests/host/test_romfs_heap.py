"""The firmware library in a ROMFS image: images for every board, and the heap a pod
holds after start when its library is imported from one (issue 4: heap after start on
the unix port).

The pod runs on simulated hardware under the unix port (x64 image). MICROPYPATH holds
tests/firmware but not firmware/, so podfw can only come from the image."""

import importlib.util
import subprocess
import sys

import pytest

from stridepod.devtools import deploy, firmware_tree

ROOT = firmware_tree.ROOT
spec = importlib.util.spec_from_file_location("romfs_heap_report",
                                              ROOT / "tools" / "romfs_heap_report.py")
assert spec is not None and spec.loader is not None
heap = importlib.util.module_from_spec(spec)
sys.modules["romfs_heap_report"] = heap  # dataclasses look their module up by name
spec.loader.exec_module(heap)

# Issue 4's goal: under 48 KB heap after start on the unix port. Measured with the names
# apart: 25.8 KB modules + 15.7 KB board and pod + 520 names x 11 B = 47.1 KB (48.0 KB
# before issue 13's viper foot and insole detectors kept their state in one array each
# instead of attributes, 46.9 KB before issue 15's foot detector held 16 strides instead
# of 8; tools/bench_sampling.py prints it). As allocated it can be up to
# 7 KB more: where the harness's names and the firmware's pass 620, the unix port
# allocates its 6th qstr pool (640 names, 7 KB at once). That step says nothing of the
# firmware's own cost, so the goal is asserted on the names-apart figure, and the
# as-allocated one within one pool step of it.
GOAL = 48 * 1024
POOL_STEP = 8 * 1024
# The BLE link and flash log on top (not in the goal): 24.3 KB before issue 19's notify
# views, 25.2 KB with them (12 memoryviews of the flash log's 240-byte buffer for held
# records, which streaming slices instead of allocating; 16-byte objects on the ESP32,
# 32 here). The budget keeps the link from growing unseen.
LINK_BUDGET = 26 * 1024
# The architecture field of a .mpy header (MicroPython's MP_NATIVE_ARCH_* numbers).
MPY_ARCH = {"x64": 2, "xtensawin": 10, "rv32imc": 11}


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    return deploy.library_romfs("x64", tmp_path_factory.mktemp("romfs"))


def test_pod_started_from_a_romfs_image_imports_podfw_from_rom_in_under_48_kb(image):
    plain = heap.measure(image)
    assert plain.source == "/rom/lib/podfw/__init__.mpy", plain.stdout
    assert "podfw modules not from the image: 0 []\n" in plain.stdout, plain.stdout
    assert plain.pod > 0 and plain.modules > 0 and plain.names > 300, plain
    assert plain.total < GOAL + POOL_STEP, plain


def test_heap_after_start_with_the_names_apart_is_under_48_kb(image):
    apart = heap.measure(image, names_apart=True)
    assert apart.source == "/rom/lib/podfw/__init__.mpy", apart.stdout
    # the names the firmware interns: its modules' identifiers and paths
    assert 300 < apart.names < 1000, apart
    assert apart.total + apart.names * heap.QSTR_ENTRY_BYTES < GOAL, apart
    assert 0 < apart.link < LINK_BUDGET and apart.link_names > 0, apart  # also in the benchmark


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

