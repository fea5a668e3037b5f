"""`stridepod record`: raw samples from a pod over USB serial into a recording."""

from __future__ import annotations

from pathlib import Path

import click

from stridepod.errors import StridepodError


@click.command("record", short_help="Record raw sensor samples from a pod over USB.")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--port", help="Serial port of the pod (default: the one ESP32 board attached).")
@click.option("--baud", default=115200, show_default=True, help="Baud rate (ignored by USB CDC).")
@click.option("--seconds", type=float, help="Stop after this many seconds (default: until Ctrl-C "
              "or the pod stops).")
@click.option("--start/--no-start", default=True, show_default=True,
              help="Interrupt the pod's firmware and start its raw mode first.")
@click.option("--idle-timeout", default=5.0, show_default=True,
              help="Stop when nothing arrives for this many seconds.")
def command(out: Path, port: str | None, baud: int, seconds: float | None, start: bool,
            idle_timeout: float) -> None:
    """Record raw IMU and pressure samples from a pod into OUT.csv + OUT.json
    (the stridepod-dump-csv/1 format of the shared datasets)."""
    import serial

    from stridepod.devtools.deploy import choose_port
    from stridepod.recordings.recorder import Recorder

    device = choose_port(port)
    try:
        link = serial.Serial(device, baudrate=baud, timeout=0.2)
    except (serial.SerialException, OSError) as exc:
        raise StridepodError(f"cannot open {device}: {exc}") from None
    with link:
        rec = Recorder(link, source_name=device)
        if start:
            rec.start_pod()
        click.echo(f"recording from {device}" + (f" for {seconds:g} s" if seconds else
                                                 " (Ctrl-C stops)"), err=True)
        rec.run(seconds=seconds, idle_timeout_s=idle_timeout)
    result = rec.write(out)
    click.echo(
        f"wrote {result.csv_path}: {result.duration_s:.1f} s, {result.imu_samples} IMU samples, "
        f"{result.pressure_scans} pressure scans; lost {result.lost_imu_samples} IMU samples "
        f"and {result.lost_pressure_scans} scans; skipped {result.corrupt_frames} corrupt "
        f"frames" + (f", {result.truncated_bytes} bytes of a truncated frame"
                     if result.truncated_bytes else "")
    )
