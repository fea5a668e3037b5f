"""Files that hold the runner's health data: readable by their owner only, written whole.

- `private_dir(path)`: a folder and its missing parents are created 0700; stridepod's own
  data folder (and what is inside it) is made 0700 even when it already exists. A folder
  the user chose that already exists is left as it is.
- `replacing(path)`: yields a temporary path beside `path` (an empty 0600 file); when the
  block ends without an error it is flushed to disk and renamed over `path`, else it is
  removed. So a full disk, an I/O error or Ctrl-C leaves the old file or none, never a
  partial one. `private_file(path, mode)` is the same with an open file;
  `write_private(path, data)` writes bytes or text at once.
- `spreadsheet_safe(value)`: a CSV cell a spreadsheet opens as text, never as a formula.

An `OSError` becomes one line naming the file (`PrivateFileError`, exit code 2).
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from stridepod.errors import StridepodError
from stridepod.store.paths import data_dir

DIR_MODE = 0o700
FILE_MODE = 0o600
# cells a spreadsheet would read as a formula or a command (OWASP, "CSV Injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class PrivateFileError(StridepodError):
    pass


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno == errno.EFBIG:
        return "the file would exceed the size limit"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    return exc.strerror or str(exc)


def write_error(path: Path, exc: OSError) -> PrivateFileError:
    return PrivateFileError(f"cannot write {path}: {_reason(exc)} (an earlier {path.name}, "
                            "if any, is unchanged)")


def private_dir(path: Path) -> Path:
    """Creates `path` and its missing parents owner-only (0700); returns it."""
    path = Path(path).expanduser()
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    try:
        for folder in reversed(missing):
            with suppress(FileExistsError):  # made meanwhile by another process
                os.mkdir(folder, DIR_MODE)
            os.chmod(folder, DIR_MODE)  # whatever the umask
        own = data_dir()
        for folder in (path, *path.parents):
            if folder == own or own in folder.parents:
                if folder.is_dir() and folder.stat().st_mode & 0o077:
                    os.chmod(folder, DIR_MODE)
    except OSError as exc:
        raise PrivateFileError(f"cannot create {path}: {_reason(exc)}") from None
    return path


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside `path`, renamed over it when the block succeeds."""
    path = Path(path)
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise write_error(path, exc) from None
    temp = Path(name)
    try:
        yield temp
        with open(temp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(temp, FILE_MODE)  # whoever wrote it, it stays the owner's
        os.replace(temp, path)
    except BaseException as exc:
        with suppress(OSError):
            temp.unlink()
        if isinstance(exc, OSError):
            raise write_error(path, exc) from exc
        raise


@contextmanager
def private_file(path: Path, mode: str = "w", **open_args: Any) -> Iterator[IO[Any]]:
    """An open file whose content replaces `path` when the block succeeds."""
    if mode not in ("w", "wb"):
        raise ValueError(f"private_file writes a whole file: mode 'w' or 'wb', not {mode!r}")
    with replacing(path) as temp:
        try:
            with open(temp, mode, **open_args) as fh:
                yield fh
        except OSError as exc:
            raise write_error(path, exc) from exc


def write_private(path: Path, data: bytes | str, encoding: str = "utf-8") -> Path:
    if isinstance(data, str):
        with private_file(path, "w", encoding=encoding) as fh:
            fh.write(data)
    else:
        with private_file(path, "wb") as fh:
            fh.write(data)
    return path


def spreadsheet_safe(value: Any) -> Any:
    """Text starting with = + - @ (or a tab or carriage return) gets a leading apostrophe,
    so a spreadsheet shows it as text; numbers and other text are returned as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
