"""What the firmware is made of: the files copied to the pod, and where they go."""

from __future__ import annotations

import json
from pathlib import Path

from stridepod.errors import StridepodError

ROOT = Path(__file__).resolve().parents[3]
FIRMWARE = ROOT / "firmware"
BOARDS = ROOT / "boards"
PACKAGE_JSON = FIRMWARE / "package.json"
# Modules only the host needs (the CPython stand-in for `micropython`).
HOST_ONLY = {"podfw/_cpython_micropython.py"}
# Chip family -> mpy-cross native architecture (.mpy of one does not load on another).
ARCH_BY_CHIP = {"esp32": "xtensawin", "esp32s2": "xtensawin", "esp32s3": "xtensawin",
                "esp32c3": "rv32imc", "esp32c6": "rv32imc"}


def package_files() -> list[str]:
    """Firmware library files relative to firmware/, in a stable order."""
    files = sorted(
        p.relative_to(FIRMWARE).as_posix() for p in (FIRMWARE / "podfw").rglob("*.py")
    )
    return [f for f in files if f not in HOST_ONLY]


def package_json() -> dict:
    from stridepod import __version__

    return {
        "version": __version__,
        "urls": [[f, f] for f in package_files()],
        "deps": [],
    }


def write_package_json() -> Path:
    PACKAGE_JSON.write_text(json.dumps(package_json(), indent=2) + "\n")
    return PACKAGE_JSON


def list_boards() -> list[Path]:
    return sorted(BOARDS.glob("*.json"))


def load_board(name_or_path: str) -> tuple[Path, dict]:
    path = Path(name_or_path)
    if not path.is_file():
        path = BOARDS / (name_or_path if name_or_path.endswith(".json") else name_or_path + ".json")
    if not path.is_file():
        names = ", ".join(p.stem for p in list_boards()) or "none"
        raise StridepodError(f"unknown board {name_or_path!r} (boards: {names})")
    try:
        board = json.loads(path.read_text())
    except ValueError as exc:
        raise StridepodError(f"{path}: not valid JSON ({exc})") from None
    return path, board


def board_arch(path: Path, board: dict) -> str:
    arch = board.get("mpy_arch")
    if arch:
        return arch
    chip = str(board.get("chip", "")).lower().replace("-", "")
    if chip in ARCH_BY_CHIP:
        return ARCH_BY_CHIP[chip]
    raise StridepodError(f"{path}: board declares neither 'mpy_arch' nor a known 'chip'")
