"""`stridepod evaluate DIR`: accuracy of the gait engine against reference events."""

from __future__ import annotations

import math

import click

from stridepod.commands import output
from stridepod.commands.analyze import ENGINES, run_engine
from stridepod.recordings import dumpfile
from stridepod.recordings import evaluation as E
from stridepod.recordings.replay import DEFAULT_UNITS


def _num(value: float, digits: int = 3) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def _line(name: str, g: E.GroupScore) -> str:
    def f(v, d=3):
        return "   —  " if math.isnan(v) else f"{v:6.{d}f}"

    return (f"{name:14s} {g.recordings:3d}  IC P {f(g.ic.precision)} R {f(g.ic.recall)} "
            f"F1 {f(g.ic.f1)} med {f(g.ic.median_ms, 1)} p95 {f(g.ic.p95_ms, 1)} ms | "
            f"FC F1 {f(g.fc.f1)} med {f(g.fc.median_ms, 1)} p95 {f(g.fc.p95_ms, 1)} ms | "
            f"contact {f(g.contact_median_ms, 1)} ms | cadence {f(g.cadence_error_pct, 2)} %"
            + (f" | reference chatter removed: {g.reference_chatter}" if g.reference_chatter
               else ""))


@click.command("evaluate", short_help="Score the gait engine against reference gait events.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=str))
@click.option("--engine", type=click.Choice(ENGINES), default="firmware", show_default=True,
              help="firmware: the pod's fixed-point engine; reference: its float reference.")
@click.option("--json", "json_out", is_flag=True, help="Print the scores as JSON.")
def command(directory: str, engine: str, json_out: bool) -> None:
    """Score the gait engine on every recording in DIRECTORY that has reference events
    (NAME.truth.json): initial contacts matched one to one within ±50 ms, final contacts
    within ±100 ms, inside walking_bounds_s (else the span of the reference events),
    outside exclude_s, after merging one foot's reference contacts and swings under 50 ms
    (threshold chatter, counted in the output). Prints precision, recall, F1, median and 95th-percentile timing
    error, contact-time error and cadence error per family and overall."""
    paths = E.recordings_with_truth(directory)
    scores = []
    with output.progress("evaluating", total=len(paths)) as advance:
        for path in paths:
            rec = dumpfile.load(path)
            scores.append(E.score_recording(rec, run_engine(rec, engine, DEFAULT_UNITS, 5)))
            advance()
    families, overall = E.group(scores)
    if json_out:
        def clean(d):
            if isinstance(d, dict):
                return {k: clean(v) for k, v in d.items()}
            return _num(d) if isinstance(d, float) else d

        output.emit_json(clean({
            "engine": engine,
            "recordings": {s.name: {"family": s.family, "initial_contacts": s.ic.as_dict(),
                                    "final_contacts": s.fc.as_dict(),
                                    "cadence_error_pct": s.cadence_error_pct}
                           for s in scores},
            "families": {k: g.as_dict() for k, g in families.items()},
            "overall": overall.as_dict(),
        }))
        return
    out = output.console()
    out.print(f"{engine} engine, {len(scores)} recordings with reference events in {directory}")
    for name, g in sorted(families.items()):
        out.print(_line(name, g))
    out.print(_line("overall", overall))
