# Proves the harness runs this file under real MicroPython, not CPython.
import sys

import micropython

from fwtest import assert_small_int


def test_runs_under_micropython():
    assert sys.implementation.name == "micropython"


def test_asyncio_importable_with_micropypath():
    import asyncio  # noqa: F401  (needs .frozen on MICROPYPATH)


def test_podfw_on_path_and_heap_lock_available():
    import podfw  # noqa: F401

    micropython.heap_lock()
    micropython.heap_unlock()


def test_small_int_range_check_catches_64_bit_values():
    assert_small_int((1 << 30) - 1)
    try:
        assert_small_int(1 << 30)
    except AssertionError:
        return
    raise AssertionError("range check let a 31-bit overflow through")
