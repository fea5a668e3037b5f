"""Fixtures shared by host tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from stridepod.cli import main


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def stridepod_cli(tmp_path, capsys, monkeypatch):
    """Runs the `stridepod` command in-process on a fresh database in tmp_path:
    `stridepod_cli("import", "file.csv")` -> CliResult."""
    monkeypatch.setenv("STRIDEPOD_DB", str(tmp_path / "stridepod.db"))
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps at the terminal width

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


@pytest.fixture(scope="session")
def real_store(tmp_path_factory):
    """A store of real data, built once (faults_rig.build_store); copy it, never write it."""
    from faults_rig import build_store

    return build_store(tmp_path_factory.mktemp("real-store") / "stridepod.db")


@pytest.fixture
def write_file(tmp_path):
    """`write_file(name, text)` writes `text` (UTF-8) to tmp_path/name and returns the path."""

    def write(name: str, text: str):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
