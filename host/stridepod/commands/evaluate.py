"""`stridepod evaluate DIR`: accuracy of the gait engine against reference events."""

from __future__ import annotations

import math

import click

from stridepod.commands import output
from stridepod.commands.analyze import ENGINES, run_engine
from stridepod.recordings import dumpfile
from stridepod.recordings import evaluation as E
from stridepod.recordings.replay import DEFAULT_UNITS

CAUSE_NAMES = {"timing": "timing", "turn": "turn", "first_last": "first/last", "other": "other"}


def _num(value: float, digits: int = 3) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def _f(v: float, d: int = 3) -> str:
    return "—" if math.isnan(v) else f"{v:.{d}f}"


def _ms(window_s: float) -> str:
    return f"±{round(window_s * 1000)} ms"


def _causes(counts: dict[str, int]) -> str:
    return ", ".join(f"{CAUSE_NAMES[c]} {counts[c]}" for c in E.CAUSES)


def _ic_line(window_s: float, s: E.EventScore, own: bool) -> str:
    return (f"  IC {_ms(window_s):8s}{'*' if own else ' '} P {_f(s.precision)} R {_f(s.recall)} "
            f"F1 {_f(s.f1)} | error median {_f(s.median_ms, 1)} p95 {_f(s.p95_ms, 1)} "
            f"bias {_f(s.bias_ms, 1)} ms | missed: {_causes(s.missed_by_cause)} | extra: "
            f"{_causes(s.extra_by_cause)} | while standing {s.standing}")


def _group_lines(name: str, g: E.GroupScore, scores: list[E.RecordingScore]) -> list[str]:
    own = sorted(g.own_windows_s)
    lines = [f"{name} ({g.recordings} recordings; * = the reference's own window)"]
    for w, s in g.ic_windows.items():
        lines.append(_ic_line(w, s, w in own and len(own) == 1))
    if len(own) > 1:  # families of different references: each in its own window
        lines.append(_ic_line(0, g.own, True).replace(f"{_ms(0):8s}*", "own     *", 1))
    lines.append(f"  FC {_ms(E.FC_TOLERANCE_S)}  F1 {_f(g.fc.f1)} | error median "
                 f"{_f(g.fc.median_ms, 1)} p95 {_f(g.fc.p95_ms, 1)} ms | contact time error "
                 f"{_f(g.contact_median_ms, 1)} ms | cadence error {_f(g.cadence_error_pct, 2)} %"
                 + (f" | reference chatter removed: {g.reference_chatter}"
                    if g.reference_chatter else ""))
    worst = E.worst(scores)
    if worst:
        lines.append("  worst: " + "; ".join(
            f"{s.name} F1 {_f(s.own.f1)} ({s.own.fn} missed, {s.own.fp} extra"
            + (f", {s.own.standing} standing" if s.own.standing else "") + ")" for s in worst))
    return lines


def _json(engine: str, scores: list[E.RecordingScore], families: dict[str, E.GroupScore],
          overall: E.GroupScore) -> dict:
    def clean(d):
        if isinstance(d, dict):
            return {k: clean(v) for k, v in d.items()}
        if isinstance(d, list):
            return [clean(v) for v in d]
        return _num(d) if isinstance(d, float) else d

    return clean({
        "engine": engine,
        "recordings": {s.name: {"family": s.family, "initial_contacts": s.ic.as_dict(),
                                "initial_contacts_by_window": {
                                    f"{round(w * 1000)}ms": v.as_dict()
                                    for w, v in s.ic_windows.items()},
                                "own_window_ms": round(s.own_window_s * 1000),
                                "final_contacts": s.fc.as_dict(),
                                "cadence_error_pct": s.cadence_error_pct}
                       for s in scores},
        "families": {k: dict(g.as_dict(), worst=[s.name for s in E.worst(
            [s for s in scores if s.family == k])]) for k, g in families.items()},
        "overall": overall.as_dict(),
    })


@click.command("evaluate", short_help="Score the gait engine against reference gait events.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=str))
@click.option("--engine", type=click.Choice(ENGINES), default="firmware", show_default=True,
              help="firmware: the pod's fixed-point engine; reference: its float reference.")
@click.option("--json", "json_out", is_flag=True, help="Print the scores as JSON.")
def command(directory: str, engine: str, json_out: bool) -> None:
    """Score the gait engine on every recording in DIRECTORY that has reference events
    (NAME.truth.json): initial contacts matched one to one within ±50 ms and within
    ±100 ms (the reference's own window starred: ±100 ms for an expert annotation on the
    foot IMU, else ±50 ms), final contacts within ±100 ms, inside walking_bounds_s (else
    the span of the reference events), outside exclude_s, after merging one foot's
    reference contacts and swings under 50 ms (threshold chatter, counted in the output).
    Per family and overall: precision, recall, F1, median, 95th-percentile and median
    signed timing error, missed and extra strikes by cause (in a turn_bounds_s turn, the
    first or last of a walk, other), strikes while standing (outside walking_bounds_s),
    contact-time and cadence error, and the recordings with the most errors."""
    paths = E.recordings_with_truth(directory)
    scores = []
    with output.progress("evaluating", total=len(paths)) as advance:
        for path in paths:
            rec = dumpfile.load(path)
            try:
                scores.append(E.score_recording(rec, run_engine(rec, engine, DEFAULT_UNITS, 5)))
            except E.EvaluationError as exc:
                raise E.EvaluationError(f"{path.with_suffix('.truth.json')}: {exc}") from None
            advance()
    families, overall = E.group(scores)
    if json_out:
        output.emit_json(_json(engine, scores, families, overall))
        return
    out = output.console()
    out.print(f"{engine} engine, {len(scores)} recordings with reference events in {directory}")
    for name, g in sorted(families.items()):
        for line in _group_lines(name, g, [s for s in scores if s.family == name]):
            out.print(line)
    for line in _group_lines("overall", overall, scores):
        out.print(line)
