"""What a runner reads speaks one plain language (issue 17): no rule id or internal name in
`today`, `plan`, the report's visible text or the JSON's human-readable fields, across
histories that make every rule speak; and the contradictions issue 17 found cannot occur.

The histories (recovery_scenarios.HISTORIES) are written as the project's CSV import
formats (docs/recovery.md, "File formats") from seeded day-by-day generators."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from recovery_scenarios import HISTORIES, TODAY, write_history

RULE_ID = re.compile(r"\b(?:advice|block|deload|gait|load|pain|plan|readiness|return)\.[a-z_]{3,}")
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # an identifier: walk_run, two_of_three, step_back
FORMULA_NAMES = {"load_t"}  # in the fitness/fatigue convention: CTL_t = CTL_t-1 + (load_t - ...)
INTERNAL_WORDS = re.compile(r"\b(?:rhr|hrv)\b")  # signal ids (the runner reads "resting HR", "HRV")
HUMAN_KEYS = {"message", "baseline", "changed", "evidence", "headline", "session", "was", "why", "text",
              "missing", "warnings", "convention", "acwr_method"}


def internal_names(text: str) -> list[str]:
    found = RULE_ID.findall(text) + INTERNAL_WORDS.findall(text)
    return found + [w for w in SNAKE.findall(text) if w not in FORMULA_NAMES]


class VisibleText(HTMLParser):
    """The text a browser shows: element contents, not attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def human_strings(value, key: str = "") -> list[str]:
    """The JSON's human-readable strings (by field name), at any depth."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in human_strings(v, k)]
    if isinstance(value, list):
        return [s for v in value for s in human_strings(v, key)]
    return [value] if isinstance(value, str) and key in HUMAN_KEYS else []


def rules_in(document) -> set[str]:
    if isinstance(document, dict):
        found = {document["rule"]} if isinstance(document.get("rule"), str) else set()
        return found.union(*(rules_in(v) for v in document.values()))
    if isinstance(document, list):
        return set().union(*(rules_in(v) for v in document))
    return set()


@pytest.fixture(params=sorted(HISTORIES))
def history(request, stridepod_cli, tmp_path):
    files = write_history(tmp_path / "in", **HISTORIES[request.param][0]())
    if files:
        result = stridepod_cli("import", *files)
        assert result.exit_code == 0, result.stderr
    else:
        from stridepod.store.database import Store

        Store.open(tmp_path / "stridepod.db").close()
    return request.param, stridepod_cli


def test_no_output_carries_a_rule_id_or_an_internal_name(history, tmp_path):
    name, cli = history
    texts = {command: cli(command, "--date", TODAY).stdout for command in ("today", "plan")}
    spoke: set[str] = set()
    for command in ("today", "plan"):
        document = json.loads(cli(command, "--date", TODAY, "--json").stdout)
        texts[f"{command} --json"] = "\n".join(human_strings(document))
        spoke |= rules_in(document)
    assert HISTORIES[name][1] <= spoke, name  # the rules this history is about did speak
    result = cli("report", "--date", TODAY, "-o", tmp_path / "report")
    assert result.exit_code == 0, result.stderr
    page = VisibleText()
    page.feed((tmp_path / "report" / "report.html").read_text())
    texts["report"] = " ".join(page.parts)
    for where, text in texts.items():
        assert text.strip(), (name, where)
        assert internal_names(text) == [], (name, where)


def test_old_or_missing_data_never_reads_as_ready(history):
    name, cli = history
    verdict = json.loads(cli("today", "--date", TODAY, "--json").stdout)
    if name in ("three years old", "nothing recorded"):
        assert verdict["verdict"] == "unknown" and verdict["headline"].startswith("Not enough data yet: ")
    if name == "three years old":  # beyond what the store reads for a verdict, yet its date is said
        last = max(d.date for d in HISTORIES[name][0]()["wellness"])
        assert verdict["headline"] == f"Not enough data yet: nothing recorded since {last.day} {last:%B %Y}"
        plan = cli("plan", "--date", TODAY).stdout
        assert "No run in the last 21 days (last: " in " ".join(plan.split())
    assert verdict["headline"] != "Ready: train as planned" or verdict["readiness"]["enough_data"]
