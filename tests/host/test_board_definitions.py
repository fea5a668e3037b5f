"""The MicroPython board definitions shipped for each board (boards/micropython/): ROMFS on,
a partition table ESP-IDF accepts with a `romfs` partition the firmware library fits in,
a manifest that freezes exactly the firmware library; and what `stridepod dev deploy
--romfs` says when the pod's MicroPython lacks ROMFS.

The partition rules are ESP-IDF's (components/partition_table/gen_esp32part.py: names of
at most 15 characters, app partitions on 64 KiB boundaries, data on 4 KiB, none before the
table's end at 0x9000, none overlapping) and MicroPython's (ports/esp32/esp32_partition.c
finds the ROMFS by its label "romfs" and memory-maps it, so it starts on a 64 KiB MMU
page, as in ports/esp32/partitions-4MiB-romfs.csv; the "vfs" filesystem is added after
the last partition)."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from stridepod.devtools import deploy, firmware_tree

ROOT = firmware_tree.ROOT
DEFINITIONS = firmware_tree.BOARDS / "micropython"
BOARDS = firmware_tree.list_boards()
TABLES = sorted(DEFINITIONS.rglob("partitions*.csv"))
MICROPYTHON_SRC = ROOT.parent / "shared" / "micropython" / "micropython-src.tar.xz"
# the flash the images are built for: ports/esp32/boards/sdkconfig.base sets 4 MiB and
# MicroPython gives whatever more the chip has to its vfs filesystem
FLASH_BYTES = 4 * 1024 * 1024
TABLE_END = 0x8000 + 0x1000  # the partition table's own sector
# ports/esp32/partitions-4MiB-romfs.csv: the stock layout's nvs and phy_init, and its app
STOCK_ROWS = {"nvs": ("data", "nvs", 0x9000, 0x6000), "phy_init": ("data", "phy", 0xF000, 0x1000)}
STOCK_ROMFS_APP_BYTES = 0x1D0000
MIN_VFS_BYTES = 1024 * 1024  # room for the flash log (369 KB of records) and the rest


@dataclass
class Partition:
    name: str
    type: str
    subtype: str
    offset: int
    size: int


def parse_table(text: str) -> list[Partition]:
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in (line + ",,,,,").split(",")]
        rows.append(Partition(fields[0], fields[1], fields[2], int(fields[3], 0),
                              int(fields[4], 0)))
    return rows


def table_problems(rows: list[Partition], flash_bytes: int = FLASH_BYTES) -> list[str]:
    problems = []
    names = [p.name for p in rows]
    end = TABLE_END
    for p in sorted(rows, key=lambda r: r.offset):
        align = 0x10000 if p.type == "app" or p.name == "romfs" else 0x1000
        if len(p.name) > 15 or names.count(p.name) > 1:
            problems.append(f"{p.name}: names are unique, at most 15 characters")
        if p.type not in ("app", "data"):
            problems.append(f"{p.name}: type {p.type}")
        if p.offset % align or p.size % 0x1000 or p.size <= 0:
            problems.append(f"{p.name}: offset 0x{p.offset:x} or size 0x{p.size:x} off its "
                            f"0x{align:x} alignment")
        if p.offset < end:
            problems.append(f"{p.name}: starts at 0x{p.offset:x}, before 0x{end:x}")
        end = p.offset + p.size
    if end > flash_bytes - MIN_VFS_BYTES:
        problems.append(f"the partitions end at 0x{end:x}: less than 1 MiB left for vfs")
    romfs = [p for p in rows if p.name == "romfs"]
    if not romfs or (romfs[0].type, romfs[0].subtype) != ("data", "0x8f"):
        problems.append("no data partition labelled romfs (subtype 0x8f)")
    apps = [p for p in rows if p.type == "app"]
    if [(p.name, p.subtype) for p in apps] != [("factory", "factory")] or \
            apps[0].size < STOCK_ROMFS_APP_BYTES:
        problems.append("one factory app partition, at least as big as the stock ROMFS table's")
    return problems


def test_every_board_file_has_a_board_definition_of_its_chip():
    for board in BOARDS:
        raw = firmware_tree.load_board(str(board))[1]
        name = raw.get("micropython_board")
        assert name, f"{board.name}: micropython_board"
        cmake = (DEFINITIONS / name / "mpconfigboard.cmake").read_text()
        assert f"include(boards/mpconfigboard_{raw['chip']}_common.cmake)" in cmake, name


@pytest.mark.parametrize("folder", sorted(DEFINITIONS.glob("STRIDEPOD_*")), ids=lambda p: p.name)
def test_each_board_definition_has_romfs_the_partition_table_and_freezes_the_firmware(folder):
    header = (folder / "mpconfigboard.h").read_text()
    assert re.search(r"#define MICROPY_VFS_ROM\s+\(1\)", header)
    cmake = (folder / "mpconfigboard.cmake").read_text()
    assert re.search(r"include\(boards/mpconfigboard_esp32\w+_common\.cmake\)", cmake)
    assert "include(${MICROPY_BOARD_DIR}/../stridepod_common.cmake)" in cmake
    manifest = (folder / "manifest.py").read_text()
    assert 'include("$(PORT_DIR)/boards/manifest.py")' in manifest
    assert 'include("../podfw_manifest.py")' in manifest
    common = (DEFINITIONS / "stridepod_common.cmake").read_text()
    assert "partitions-stridepod.csv" in common and "MICROPY_FROZEN_MANIFEST" in common


@pytest.mark.parametrize("table", TABLES, ids=lambda p: p.name)
def test_partition_table_is_valid_with_a_romfs_partition(table):
    rows = parse_table(table.read_text())
    assert table_problems(rows) == []
    for name, layout in STOCK_ROWS.items():
        p = next(r for r in rows if r.name == name)
        assert (p.type, p.subtype, p.offset, p.size) == layout, name


def test_partition_rules_catch_mistakes():
    bad = parse_table("""
        nvs,      data, nvs,     0x9000,   0x6000,
        factory,  app,  factory, 0x18000,  0x100000,
        romfs,    data, 0x82,    0x110000, 0x400000,
    """)
    problems = table_problems(bad)
    assert any("factory: offset 0x18000" in p for p in problems), problems
    assert any("less than 1 MiB left for vfs" in p for p in problems), problems
    assert "no data partition labelled romfs (subtype 0x8f)" in problems
    assert any("at least as big as the stock" in p for p in problems), problems


@pytest.mark.parametrize("board", BOARDS, ids=lambda p: p.stem)
def test_the_library_fits_the_romfs_partition_with_room_to_grow(board, tmp_path):
    result = deploy.build(str(board), out=tmp_path, romfs=True)
    assert result.romfs is not None
    romfs = next(p for t in TABLES for p in parse_table(t.read_text()) if p.name == "romfs")
    image = result.romfs.stat().st_size
    assert image * 2 <= romfs.size, (image, romfs.size)


def _manifestfile():
    """MicroPython's tools/manifestfile.py, from the source tarball in ../shared."""
    if not MICROPYTHON_SRC.is_file():
        pytest.fail(f"{MICROPYTHON_SRC} is missing (docs: /work/shared/micropython)")
    with tarfile.open(MICROPYTHON_SRC) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("tools/manifestfile.py"))
        source = tar.extractfile(member).read().decode()
    namespace: dict = {"__name__": "manifestfile"}
    exec(compile(source, "manifestfile.py", "exec"), namespace)  # noqa: S102 - MicroPython's tool
    return namespace


def test_manifest_freezes_exactly_the_firmware_library_at_O2():
    mf = _manifestfile()
    manifest = mf["ManifestFile"](mf["MODE_FREEZE"], {"MPY_DIR": str(ROOT),
                                                      "MPY_LIB_DIR": str(ROOT)})
    manifest.execute(str(DEFINITIONS / "podfw_manifest.py"))
    frozen = sorted(f.target_path for f in manifest.files())
    assert frozen == firmware_tree.package_files()
    assert {f.opt for f in manifest.files()} == {2}
    assert "podfw/_cpython_micropython.py" not in frozen


def test_romfs_query_on_a_micropython_without_romfs_says_what_to_flash():
    # the unix port has VfsRom but no vfs.rom_ioctl: as an image built without
    # MICROPY_VFS_ROM answers
    micropython = Path(sys.executable).parent / "micropython"
    proc = subprocess.run([str(micropython), "-c", deploy.ROMFS_QUERY_SCRIPT],
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "ROMFS none", proc.stdout + proc.stderr
    xiao = firmware_tree.BOARDS / "seeed-xiao-esp32s3.json"
    problem = deploy.romfs_problem(proc.stdout, 70000, xiao)
    assert problem == (
        "the pod's MicroPython has no ROMFS (built without MICROPY_VFS_ROM, like every stock "
        "ESP32 image): build and flash the stridepod MicroPython image for seeed-xiao-esp32s3 "
        "(boards/micropython/STRIDEPOD_XIAO_ESP32S3, docs/flashing.md), or deploy without "
        "--romfs")


def test_romfs_query_answers_each_say_what_is_missing():
    devkit = firmware_tree.BOARDS / "esp32-s3-devkitc-1.json"
    assert "has no partition labelled 'romfs'" in deploy.romfs_problem("ROMFS 0 0", 1, devkit)
    assert deploy.romfs_problem("ROMFS 1 65536", 70000, devkit).startswith(
        "the pod's romfs partition holds 65536 bytes, the library image is 70000 bytes")
    assert deploy.romfs_problem("ROMFS 1 262144", 70000, devkit) is None
    assert "MicroPython 1.25 or later" in deploy.romfs_problem("Traceback", 1, devkit)
