"""`stridepod pod`: ask a pod over Bluetooth what it is set up as, start and stop its
sessions, calibrate its sensors (the control point of docs/protocol.md)."""

from __future__ import annotations

import asyncio
import errno
from pathlib import Path

import click

import podfw  # noqa: F401  (the CPython stand-in for `micropython`, for podfw.link.wire)
from podfw.link import wire
from stridepod.ble.client import CommandResult
from stridepod.ble.client import command as pod_command
from stridepod.commands import output

# what to do before each calibration, and the control point's target for it
CALIBRATIONS = {
    "imu-still": (wire.CALIBRATE_IMU_STILL,
                  "lay the pod still on a table: its gyro's offsets are measured for 1 s"),
    "pressure-zero": (wire.CALIBRATE_PRESSURE_ZERO,
                      "take the insole off your foot and leave it unloaded: each zone's zero "
                      "is measured"),
}


def _target(func):
    func = click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")(func)
    func = click.option(
        "--virtual", "recording", type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Ask a virtual pod that replayed this recording through the real firmware (no "
             "Bluetooth hardware needed).")(func)
    func = click.option("--scan-timeout", type=click.FloatRange(0.5, 300), default=10.0,
                        show_default=True, help="Seconds to look for the pod.")(func)
    return click.argument("target", required=False)(func)


def _run(target: str | None, op: int, param: int | None, scan_timeout: float,
         recording: Path | None, more: tuple[int, ...] = ()) -> CommandResult:
    if recording is not None:
        if target:
            raise click.UsageError("--virtual asks its own pod: leave out TARGET")
        from stridepod.ble.virtual import command_virtual_pod

        return asyncio.run(command_virtual_pod(recording, op, param, more=more))
    return asyncio.run(pod_command(target, op, param, scan_timeout=scan_timeout, more=more))


def _emit(result: CommandResult, text: str, as_json: bool) -> None:
    if as_json:
        answer = {"serial": result.serial, "address": result.address,
                  "op": wire.OP_NAMES[result.response.op],
                  "result": wire.RESULT_NAMES[result.response.result],
                  "fields": result.response.fields, "notes": result.notes}
        for op, more in result.more.items():
            answer[wire.OP_NAMES[op]] = more.fields if more is not None else None
        output.emit_json(answer)
        return
    output.console().print(f"pod {result.serial} ({result.address}): {text}")


def last_error_text(where: int, code: int) -> str:
    """The read-status last error in words, with the errno's name when it is one."""
    text = wire.error_text(where, code)
    if code and not code & wire.ERROR_KIND_FLAG and code in errno.errorcode:
        text += f" ({errno.errorcode[code]})"
    return text


def status_text(status: wire.Response | None) -> str:
    """read-status in words: every counter the firmware keeps, and the last error."""
    if status is None:
        return "its firmware does not report errors (no read-status)"
    f = status.fields
    return (f"since boot {f['imu_faults']} IMU faults, {f['imu_restarts']} IMU restarts, "
            f"{f['imu_lost']} IMU samples lost, {f['scans_missed']} pressure scans missed, "
            f"{f['log_failures']} windows not logged, {f['link_errors']} link errors, "
            f"{f['cycle_errors']} sampling errors; last error: "
            f"{last_error_text(f['last_error_where'], f['last_error_code'])}")


@click.group("pod", short_help="Ask a pod its setup, start or stop a session, calibrate it.")
def command() -> None:
    """Talk to one pod over Bluetooth: TARGET is its address or name (the strongest pod
    in range if left out). Bonds on first use, like `stridepod sync`."""


@command.command("info", short_help="What the pod is set up as.")
@_target
def info(target: str | None, scan_timeout: float, recording: Path | None, as_json: bool) -> None:
    """Placement, window length, sensor rates, status and flash log of the pod, and what
    went wrong since it booted (every error counter the firmware keeps, the last error)."""
    result = _run(target, wire.OP_READ_CONFIG, None, scan_timeout, recording,
                  more=(wire.OP_READ_STATUS,))
    f = result.response.fields
    status = f["status"]
    imu = "no IMU"
    if f["imu_rate_hz"]:
        imu = f"IMU {f['imu_rate_hz']} Hz" + (" with gyroscope" if status & wire.STATUS_HAS_GYRO
                                               else " (accelerometer only)")
    pressure = (f"pressure zones {f['pressure_rate_hz']} Hz"
                if status & wire.STATUS_HAS_PRESSURE else "no pressure zones")
    session = "session active" if status & wire.STATUS_SESSION_ACTIVE else "no session"
    clock = "clock set" if status & wire.STATUS_CLOCK_SET else "clock not set (a sync sets it)"
    _emit(result, f"{f['placement']}, {imu}, {pressure}, {f['window_s']} s windows; {session}, "
                  f"{clock}; flash log of {f['log_capacity']} records, next #{f['next_seq']}; "
                  f"{status_text(result.more.get(wire.OP_READ_STATUS))}",
          as_json)


@command.command("start", short_help="Start a new session (windows count from 0).")
@_target
def start(target: str | None, scan_timeout: float, recording: Path | None, as_json: bool) -> None:
    """Start a session; one in progress ends first, its last window logged."""
    result = _run(target, wire.OP_START_SESSION, None, scan_timeout, recording)
    _emit(result, "session started", as_json)


@command.command("stop", short_help="End the session (the sensors keep watching for motion).")
@_target
def stop(target: str | None, scan_timeout: float, recording: Path | None, as_json: bool) -> None:
    """End the session: its last, partial window is logged; no windows until `start`."""
    result = _run(target, wire.OP_STOP_SESSION, None, scan_timeout, recording)
    _emit(result, "session stopped", as_json)


@command.command("calibrate", short_help="Calibrate the gyroscope or the pressure zones.")
@click.argument("what", type=click.Choice(sorted(CALIBRATIONS)))
@_target
def calibrate(what: str, target: str | None, scan_timeout: float, recording: Path | None,
              as_json: bool) -> None:
    """Calibrate WHAT and keep it in the pod's flash: imu-still (the gyroscope's offsets,
    pod lying still) or pressure-zero (each zone's zero, insole unloaded)."""
    code, before = CALIBRATIONS[what]
    if not as_json:
        output.console().print(f"calibrating {what}: {before}")
    result = _run(target, wire.OP_CALIBRATE, code, scan_timeout, recording)
    _emit(result, f"{what} calibrated and saved", as_json)

