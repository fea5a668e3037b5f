"""Importing many files at once: files, folders (recursively, in name order) and zip
archives (a Garmin or Strava bulk export, Apple Health's export.zip; zips inside zips
too). Every file gets an outcome and the import goes on after a file that fails; members
of an archive are unpacked one at a time into a private temporary folder.

In folders and archives only files whose name ends in a data suffix are read
(`DATA_SUFFIXES`); others get a "skipped" line. A file named on the command line is
always read."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from stridepod.errors import StridepodError
from stridepod.importers.intake import ImportResult, import_file
from stridepod.store.database import Store

DATA_SUFFIXES = {".fit", ".csv", ".tcx", ".gpx", ".xml", ".zip"}


@dataclass
class Outcome:
    shown: str  # the file as the runner finds it: a path, or archive.zip:member
    size: int  # bytes, for the progress bar
    result: ImportResult | None = None
    error: str = ""  # why the file failed
    skipped: str = ""  # why the file was not read (not a data file)

    @property
    def status(self) -> str:
        if self.error:
            return "failed"
        if self.skipped:
            return "skipped"
        assert self.result is not None
        return self.result.status


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("imported", "already", "skipped", "failed"), 0))
    runs: int = 0
    walks: int = 0
    mornings: int = 0
    flagged: int = 0  # values or records refused by the range checks

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome.status] += 1
        r = outcome.result
        if r is not None and outcome.status == "imported":
            self.runs += r.runs - r.walks
            self.walks += r.walks
            self.mornings += r.mornings
            self.flagged += len(r.flags)


@dataclass
class _Entry:
    shown: str
    size: int
    path: Path | None = None  # a file on disk
    archive: Path | None = None  # or a member of this zip
    member: str = ""
    explicit: bool = False  # named on the command line


def plan(paths: list[Path]) -> Iterator[_Entry]:
    """The files to import, in order; folders walked and archives listed (not unpacked)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                yield _Entry(str(child), child.stat().st_size, path=child)
        else:
            size = path.stat().st_size if path.is_file() else 0
            yield _Entry(str(path), size, path=path, explicit=True)


def import_all(store: Store, paths: list[Path], report: Callable[[Outcome], None],
               progress: Callable[[int], None] | None = None, debug: bool = False) -> Summary:
    """Import every file under `paths`; `report` sees each outcome as it comes."""
    summary = Summary()
    for entry in plan(paths):
        for outcome in _import_entry(store, entry, progress, debug):
            summary.add(outcome)
            report(outcome)
    return summary


def _import_entry(store: Store, entry: _Entry, progress, debug: bool) -> Iterator[Outcome]:
    assert entry.path is not None
    path = entry.path
    if path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
        yield from _import_zip(store, path, entry.shown, progress, debug)
        return
    if not entry.explicit and path.suffix.lower() not in DATA_SUFFIXES:
        yield Outcome(entry.shown, entry.size, skipped=f"not a data file ({path.suffix or 'no suffix'})")
        return
    yield _import_one(store, path, entry.shown, entry.size, progress, debug)


def _import_one(store: Store, path: Path, shown: str, size: int, progress, debug: bool) -> Outcome:
    outcome = Outcome(shown, size)
    try:
        outcome.result = import_file(store, path, shown=shown)
    except StridepodError as exc:
        outcome.error = str(exc).replace(str(path), shown) if str(path) != shown else str(exc)
    except Exception as exc:  # a parser's bug must not stop the other files
        if debug:
            raise
        outcome.error = (f"{shown}: could not be read ({type(exc).__name__}: {exc}); "
                         "please report this file's kind (`--debug` shows where)")
    if progress is not None:
        progress(size)
    return outcome


def _import_zip(store: Store, archive: Path, shown: str, progress, debug: bool) -> Iterator[Outcome]:
    try:
        with zipfile.ZipFile(archive) as zf:
            members = sorted((i for i in zf.infolist() if not i.is_dir()), key=lambda i: i.filename)
            for info in members:
                name = f"{shown}:{info.filename}"
                if Path(info.filename).suffix.lower() not in DATA_SUFFIXES:
                    yield Outcome(name, info.file_size,
                                  skipped=f"not a data file ({Path(info.filename).suffix or 'no suffix'})")
                    continue
                try:
                    with _unpacked(zf, info) as member:
                        if member.suffix.lower() == ".zip" and zipfile.is_zipfile(member):
                            outcomes = list(_import_zip(store, member, name, progress, debug))
                        else:
                            outcomes = [_import_one(store, member, name, info.file_size, progress, debug)]
                except (zipfile.BadZipFile, OSError, EOFError) as exc:
                    outcomes = [Outcome(name, info.file_size, error=f"{name}: cannot be unpacked ({exc})")]
                yield from outcomes
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        yield Outcome(shown, 0, error=f"{shown}: damaged zip archive ({exc})")


@contextmanager
def _unpacked(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="stridepod-import-") as tmp:
        target = Path(tmp) / Path(info.filename).name
        with zf.open(info) as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        yield target
