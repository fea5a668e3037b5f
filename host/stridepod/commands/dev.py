"""`stridepod dev …`: tools for firmware developers (build, deploy, mip package)."""

from __future__ import annotations

import json

import click

from stridepod.devtools import deploy as deploy_tool
from stridepod.devtools import firmware_tree, pinout
from stridepod.errors import StridepodError

ROMFS_OPTION = click.option(
    "--romfs", is_flag=True,
    help="Put the compiled library in a ROMFS image (build/deploy/<board>/romfs.img, "
         "mounted at /rom) instead of /lib: its bytecode then runs from flash, not the heap. "
         "The board's MicroPython needs a ROMFS partition.")


@click.group("dev", short_help="Firmware developer tools: build, deploy, mip package.")
def command() -> None:
    """Firmware developer tools: build .mpy files, deploy to a pod over USB, mip package."""


@command.command("boards")
def boards() -> None:
    """List the supported boards and their firmware architecture."""
    for path in firmware_tree.list_boards():
        _, board = firmware_tree.load_board(str(path))
        arch = firmware_tree.board_arch(path, board)
        click.echo(f"{path.stem:28} {arch:10} {board.get('name', '')}")


@command.command("build")
@click.option("--board", default="esp32-s3-devkitc-1", show_default=True,
              help="Board name (a file in boards/) or path to a board JSON file.")
@ROMFS_OPTION
def build(board: str, romfs: bool) -> None:
    """Precompile the firmware with mpy-cross for BOARD into build/deploy/ (no pod needed)."""
    result = deploy_tool.build(board, romfs=romfs)
    click.echo(f"built {len(result.files)} files for {result.board} ({result.arch}) in {result.root}")
    if result.romfs:
        click.echo(f"ROMFS image of the library: {result.romfs} "
                   f"({result.romfs.stat().st_size} bytes)")


@command.command("deploy")
@click.option("--board", default="esp32-s3-devkitc-1", show_default=True,
              help="Board name (a file in boards/) or path to a board JSON file.")
@click.option("--port", default=None, help="Serial port of the pod (found by USB id if omitted).")
@ROMFS_OPTION
def deploy(board: str, port: str | None, romfs: bool) -> None:
    """Build the firmware for BOARD, copy it to the pod with mpremote and verify every file
    by SHA-256 on the pod."""
    deploy_tool.deploy(board, port, echo=click.echo, romfs=romfs)


@command.command("pinout")
@click.option("--board", default=None, help="One board (default: every board in boards/).")
@click.option("--write", is_flag=True, help="Regenerate the wiring tables in docs/hardware.md.")
@click.option("--check", is_flag=True,
              help="Check the board files' pins and that docs/hardware.md is current.")
def pinout_cmd(board: str | None, write: bool, check: bool) -> None:
    """Print the wiring table of a board: every part pin, the board pin as its silkscreen
    names it, the GPIO and the board-file key (power and ground included)."""
    doc = pinout.HARDWARE_DOC
    if write:
        doc.write_text(pinout.rewrite_doc(doc.read_text()))
        click.echo(f"wrote the wiring tables in {doc}")
        return
    paths = [firmware_tree.load_board(board)[0]] if board else firmware_tree.list_boards()
    if check:
        problems = [p for path in paths for p in pinout.check_board(path)]
        if pinout.rewrite_doc(doc.read_text()) != doc.read_text():
            problems.append(f"{doc.name} is out of date: run `stridepod dev pinout --write`")
        if problems:
            raise StridepodError("; ".join(problems))
        click.echo(f"{len(paths)} board files and {doc.name} agree")
        return
    for path in paths:
        click.echo(f"{path.stem}\n\n{pinout.wiring_table(path)}")


@command.command("package-json")
@click.option("--check", is_flag=True, help="Only check that firmware/package.json is current.")
def package_json(check: bool) -> None:
    """Write firmware/package.json, the manifest `mpremote mip install` reads."""
    wanted = firmware_tree.package_json()
    if check:
        path = firmware_tree.PACKAGE_JSON
        current = json.loads(path.read_text()) if path.exists() else None
        if current != wanted:
            raise StridepodError(
                "firmware/package.json is out of date: run `stridepod dev package-json`"
            )
        click.echo("firmware/package.json is current")
        return
    click.echo(f"wrote {firmware_tree.write_package_json()}")
