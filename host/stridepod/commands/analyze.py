"""`stridepod analyze RECORDING`: the pod's gait engine on a recorded session."""

from __future__ import annotations

import math
from pathlib import Path

import click
from rich.markup import escape

from stridepod.commands import output
from stridepod.errors import StridepodError
from stridepod.recordings import dumpfile
from stridepod.recordings.replay import (
    DEFAULT_UNITS,
    GaitResult,
    SensorUnits,
    combine_feet,
    replay,
    replay_stream,
)

ENGINES = ("firmware", "reference")


def run_engine(rec: dumpfile.Recording, engine: str, units: SensorUnits, window_s: int) -> GaitResult:
    """The firmware engine on the quantised samples, or its float reference."""
    if engine == "reference":
        from stridepod.recordings.reference.engine import run  # scipy is only needed here

        return run(rec, window_s=window_s)
    return replay(rec, units, window_s)


def analyse(path: str, engine: str, units: SensorUnits,
            window_s: int) -> tuple[dumpfile.DumpStream, GaitResult]:
    """The recording at `path` and the engine's result. The firmware engine reads it part
    by part (memory independent of its length); the float reference, whose filters run
    forward and backward, holds it whole."""
    stream = dumpfile.open_stream(path)
    if engine == "firmware":
        return stream, replay_stream(stream, units, window_s)
    rec = dumpfile.load(path)
    stream.samples, stream.duration_s = rec.samples, rec.duration_s
    return stream, run_engine(rec, engine, units, window_s)


def notes(stream: dumpfile.DumpStream) -> list[str]:
    """What the runner should know about the recording the result came from."""
    if not stream.gaps:
        return []
    return [f"{stream.name}: {stream.gaps} gap{'s' * (stream.gaps != 1)} in t "
            f"({stream.gap_s:.2f} s without samples): the engine counts samples, so times "
            f"after a gap are early by up to {stream.gap_s:.2f} s"]


def as_json(rec: dumpfile.DumpStream, engine: str, result: GaitResult,
            notes: list[str]) -> dict:
    return {
        "recording": rec.name,
        "engine": engine,
        "notes": notes,
        "placement": rec.placement,
        "initial_contacts_s": [round(t, 4) for t in result.initial_contacts_s],
        "final_contacts_s": [round(t, 4) for t in result.final_contacts_s],
        "impact_g": [round(g, 3) for g in result.impact_g],
        "contact_ms": [round(c, 1) for c in result.contact_ms],
        "cadence_spm": round(result.cadence_spm, 2),
        "steps": result.steps,
        "metrics": {k: (None if isinstance(v, float) and math.isnan(v) else v)
                    for k, v in result.metrics().items()},
        "windows": result.windows,
    }


def _fmt(value: float, unit: str, digits: int = 0) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.{digits}f} {unit}"


@click.command("analyze", short_help="Gait metrics of a recording, computed as the pod does.")
@click.argument("recording", type=click.Path(dir_okay=False, path_type=str))
@click.option("--engine", type=click.Choice(ENGINES), default="firmware", show_default=True,
              help="firmware: the pod's fixed-point engine on the quantised samples; "
                   "reference: its float reference on the raw samples.")
@click.option("--window", "window_s", type=click.IntRange(1, 600), default=5, show_default=True,
              help="Summary window length in seconds.")
@click.option("--acc-lsb-per-g", type=float, default=DEFAULT_UNITS.acc_lsb_per_g,
              show_default=True,
              help="Accelerometer sensitivity the recording is quantised to (±16 g: 2048).")
@click.option("--gyro-lsb-per-dps", type=float, default=DEFAULT_UNITS.gyro_lsb_per_dps,
              show_default=True,
              help="Gyroscope sensitivity (±2000 dps: 16.4).")
@click.option("--other-foot", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="The same session recorded by a pod on the other foot: steps and cadence "
                   "from both feet's strikes.")
@click.option("--json", "json_out", is_flag=True, help="Print events and windows as JSON.")
def command(recording: str, engine: str, window_s: int, acc_lsb_per_g: float,
            gyro_lsb_per_dps: float, other_foot: str | None, json_out: bool) -> None:
    """Run the gait engine on RECORDING (stridepod-dump-csv/1: NAME.csv with NAME.json)
    and summarise strides, cadence, contact, impact and strike pattern. The recording is
    first quantised to the sensor's integer units, exactly as the pod would read it."""
    if not (64 <= acc_lsb_per_g <= 65536) or not (0.5 <= gyro_lsb_per_dps <= 1000):
        raise StridepodError("sensor sensitivity out of range (--acc-lsb-per-g 64..65536, "
                             "--gyro-lsb-per-dps 0.5..1000)")
    units = SensorUnits(acc_lsb_per_g=acc_lsb_per_g, gyro_lsb_per_dps=gyro_lsb_per_dps)
    rec, result = analyse(recording, engine, units, window_s)
    said = notes(rec)
    if other_foot:
        other = dumpfile.open_stream(other_foot)
        if {rec.placement, other.placement} not in ({"left_foot", "right_foot"},
                                                   {"left_insole", "right_insole"}):
            raise StridepodError(f"--other-foot: {rec.name} is {rec.placement} and "
                                 f"{other.name} is {other.placement}, not a left/right pair")
        other, other_result = analyse(other_foot, engine, units, window_s)
        said += notes(other)
        result = combine_feet(result, other_result)
    if json_out:
        output.emit_json(as_json(rec, engine, result, said))
        return
    m = result.metrics()
    out = output.console()
    one_foot = result.steps_per_contact == 2
    both = f" + {Path(other_foot).stem} (both feet)" if other_foot else ""
    out.print(f"[bold]{rec.name}[/bold]{both}  {rec.placement}, {rec.duration_s:.1f} s at "
              f"{rec.rate_hz:g} Hz, {engine} engine")
    out.print(f"steps            {result.steps}"
              + ("  (one foot: 2 per stride)" if one_foot else ""))
    out.print(f"cadence          {_fmt(result.cadence_spm, 'steps/min', 1)}"
              + ("  (from the stride time: 2 × 60 / stride)" if one_foot else ""))
    if both:
        out.print("                 (both feet: every strike is a step)")
    out.print(f"{m['interval_kind'] + ' time':17s}{_fmt(m['interval_ms_mean'], 'ms')}"
              f"  (variability CV {_fmt(m['interval_cv_pct'], '%', 1)})")
    if one_foot:
        out.print(f"swing time       {_fmt(m['swing_ms_mean'], 'ms')}")
    out.print(f"contact time     {_fmt(m['contact_ms_mean'], 'ms')}")
    out.print(f"impact           mean {_fmt(m['impact_g_mean'], 'g', 2)}, "
              f"peak {_fmt(m['impact_g_peak'], 'g', 2)}")
    strikes = m["strikes"]
    if any(strikes.values()):
        out.print("strike pattern   " + ", ".join(f"{k} {v}" for k, v in strikes.items()))
    for note in said:
        out.print(f"[yellow]note:[/yellow] {escape(note)}")
    out.print(f"\nwindows of {window_s} s: start, steps, cadence, impact mean/peak (g), "
              "contact (ms), flags")
    for w in result.windows:
        out.print(f"  {w['start_ms'] / 1000:7.1f} s  {w['steps']:4d}  {w['cadence_spm']:6.1f}"
                  f"  {w['impact_mean_cg'] / 100:5.2f}/{w['impact_peak_cg'] / 100:5.2f}"
                  f"  {w['contact_ms']:5.0f}  {w['flags']}")
