"""The code-style limits of the project (the brief's "functions short enough to read in one
screen", "files of one concern"), checked on every Python file of host/ and firmware/:
no function or method over MAX_FUNCTION_LINES lines, no module over MAX_MODULE_LINES.

A function's length is `end_lineno - lineno + 1` of its `def` (decorators not counted,
its docstring and nested functions counted). There is no allow-list: everything in the
tree is within the limits."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TREES = ("host", "firmware")
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 600


def _python_files() -> list[Path]:
    files = sorted(p for tree in TREES for p in (ROOT / tree).rglob("*.py")
                   if ".venv" not in p.parts and "build" not in p.parts)
    assert len(files) > 50, "host/ and firmware/ not found"
    return files


def _measure() -> dict[str, int]:
    """Lines of every module and of every function ("path::qualified.name") over a limit."""
    over: dict[str, int] = {}
    for path in _python_files():
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            over[rel] = lines
        for name, node in _functions(ast.parse(text, filename=rel)):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                over[f"{rel}::{name}"] = length
    return over


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, node) of every function and method, nested ones too."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield prefix + node.name, node
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def test_no_long_functions_or_modules():
    over = _measure()
    if over:
        listing = "\n".join(f"  {k}: {v} lines" for k, v in sorted(over.items()))
        pytest.fail(f"over the limits (functions {MAX_FUNCTION_LINES} lines, modules "
                    f"{MAX_MODULE_LINES}):\n{listing}", pytrace=False)


def test_the_measure_sees_a_long_function():
    # the walk finds methods and nested functions, with their length as defined above
    body = "\n".join(f"            x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    tree = ast.parse(f"class A:\n    def f(self):\n        def g():\n{body}\n")
    lengths = {name: n.end_lineno - n.lineno + 1 for name, n in _functions(tree)}
    assert lengths == {"A.f": MAX_FUNCTION_LINES + 2, "A.f.g": MAX_FUNCTION_LINES + 1}
