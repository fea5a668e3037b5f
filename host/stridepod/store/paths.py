"""Where stridepod keeps the runner's data: the platform's user data directory
(e.g. ~/.local/share/stridepod on Linux), unless `--db` or STRIDEPOD_DB says otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "stridepod"
DB_ENV = "STRIDEPOD_DB"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    override = os.environ.get(DB_ENV)
    return Path(override).expanduser() if override else data_dir() / "stridepod.db"


def default_report_dir(db_path: Path) -> Path:
    """Reports go next to the database they were made from."""
    return db_path.parent / "report"
