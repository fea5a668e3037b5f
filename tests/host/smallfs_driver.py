"""Runs stridepod commands on a store kept on a small or read-only filesystem, one case
at a time, and reports what each did (tests/host/test_faults_disk.py runs it).

    python smallfs_driver.py SPEC.json RESULTS.json

Run inside a private mount namespace (`unshare --mount`, or `unshare --user
--map-root-user --mount` without root), where it mounts a tmpfs of each case's size on
the case's folder, fills it to leave the free space asked for, or remounts it read-only.
Mode "rlimit" is the fallback where no namespace can be made: the file size limit
(RLIMIT_FSIZE) stands in for the full disk. Mode "chmod": read-only by permissions (only
meaningful when not root).

SPEC: {"mode": "tmpfs" | "rlimit" | "chmod", "cases": [{"folder", "keep", "size_kb",
"free_kb", "read_only", "files": {name: source path}, "args": [...]}]}. RESULTS: per case
the exit code, stdout, stderr, and every file in the folder before and after the command
as name -> sha256 (temporary files included); the folder's files are copied to `keep`
before the filesystem goes away.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

from stridepod.cli import main


def run_cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def fill(folder: Path, free_kb: int) -> None:
    """Leaves about free_kb KiB free on folder's filesystem."""
    st = os.statvfs(folder)
    spare = st.f_bavail * st.f_frsize - free_kb * 1024
    if spare > 0:
        with open(folder / "filler", "wb") as fh:
            fh.write(bytes(spare))


def contents(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "filler"}


def mount(folder: Path, size_kb: int) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0700", "tmpfs",
                    str(folder)], check=True)


def run_case(mode: str, case: dict) -> dict:
    folder = Path(case["folder"])
    folder.mkdir(parents=True, exist_ok=True)
    if mode == "tmpfs":
        mount(folder, case["size_kb"])
    try:
        for name, source in case["files"].items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, folder / name)
        before = contents(folder)
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)
        if case["read_only"]:
            if mode == "tmpfs":
                subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
            else:
                for path in (*folder.rglob("*"), folder):
                    path.chmod(0o555 if path.is_dir() else 0o444)
        elif mode == "tmpfs":
            fill(folder, case["free_kb"])
        else:  # no file may grow past what it holds now plus the free space asked for
            largest = max((p.stat().st_size for p in folder.rglob("*") if p.is_file()), default=0)
            soft = largest + case["free_kb"] * 1024
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, limit[1]))
        try:
            code, out, err = run_cli(case["args"])
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, limit)
        after = contents(folder)
        keep = Path(case["keep"])  # what is left, for the test to open
        shutil.copytree(folder, keep, ignore=shutil.ignore_patterns("filler"))
    finally:
        if mode == "tmpfs":
            subprocess.run(["umount", str(folder)], check=True)
        elif case["read_only"]:
            for path in (folder, *folder.rglob("*")):
                path.chmod(0o700 if path.is_dir() else 0o600)
    return {"exit_code": code, "stdout": out, "stderr": err, "before": before, "after": after}


def run(spec_path: str, results_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    results = [run_case(spec["mode"], case) for case in spec["cases"]]
    Path(results_path).write_text(json.dumps(results))


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2])
