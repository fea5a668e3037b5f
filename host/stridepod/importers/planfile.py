"""Plan files: CSV (see csvfiles.read_plan_csv) or YAML with the same fields.

    goal_race: {date: 2026-12-13, name: City half, distance_km: 21.1}   # optional
    sessions:
      - {date: 2026-11-24, kind: quality, duration_min: 50, intensity: 90% HRmax}
      - {date: 2026-11-25, kind: quality, duration_min: 40, back_to_back: yes}
      - {date: 2026-11-26, kind: rest}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import yaml

from stridepod.errors import StridepodError
from stridepod.importers.csvfiles import PlanFile, _Rows, plan_from_rows, read_plan_csv

SESSION_KEYS = {"date", "kind", "duration_min", "distance_km", "intensity", "back_to_back", "goal"}
GOAL_KEYS = {"date", "name", "distance_km"}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dt.date, int, float, str)):
        return str(value)
    raise TypeError(type(value).__name__)


class _YamlRows(_Rows):
    """The YAML sessions as rows of text cells, checked by the same code as the CSV rows."""

    def __init__(self, path: Path, entries: list):
        super().__init__(path, ("date", "kind"))
        self.entries = entries

    def __iter__(self) -> Iterator[dict[str, str]]:
        for n, entry in enumerate(self.entries, start=1):
            self.line = f"session {n}"
            if not isinstance(entry, dict):
                raise self.error("each session is a mapping (date: ..., kind: ...)")
            unknown = sorted(set(map(str, entry)) - SESSION_KEYS)
            if unknown:
                raise self.error(f"unknown field(s) {', '.join(unknown)}")
            try:
                yield {str(k): _text(v).strip() for k, v in entry.items()}
            except TypeError as exc:
                raise self.error(f"a field holds a {exc}, not a single value") from None


def read_plan_yaml(path: str | Path) -> PlanFile:
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StridepodError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise StridepodError(f"{path}: not a UTF-8 text file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise StridepodError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("sessions"), list):
        raise StridepodError(f"{path}: expected a mapping with a 'sessions' list")
    unknown = sorted(set(map(str, doc)) - {"sessions", "goal_race"})
    if unknown:
        raise StridepodError(f"{path}: unknown top-level field(s) {', '.join(unknown)}")
    entries = list(doc["sessions"])
    goal = doc.get("goal_race")
    if goal is not None:
        if not isinstance(goal, dict) or not GOAL_KEYS >= set(map(str, goal)) or "date" not in goal:
            raise StridepodError(f"{path}: goal_race needs date and may have name and distance_km")
        # the goal race is a race session marked as the goal, as in the CSV format
        listed = [e for e in entries if isinstance(e, dict) and e.get("date") == goal["date"]
                  and str(e.get("kind", "")).lower() == "race"]
        if listed:
            listed[0].update(goal=True, intensity=listed[0].get("intensity") or goal.get("name") or "goal race")
        else:
            entries.append({"date": goal["date"], "kind": "race", "distance_km": goal.get("distance_km"),
                            "intensity": goal.get("name") or "goal race", "goal": True})
    return plan_from_rows(_YamlRows(path, entries))


def read_plan(path: str | Path) -> PlanFile:
    """A plan file by its extension: .csv, .yaml or .yml."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return read_plan_csv(path)
    if suffix in (".yaml", ".yml"):
        return read_plan_yaml(path)
    raise StridepodError(f"{path}: plan files are .csv, .yaml or .yml")
