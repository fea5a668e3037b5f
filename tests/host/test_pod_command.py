"""`stridepod pod`: the control point from the command line, against a virtual pod (the
real firmware's PodLink under `micropython`, over the emulated BlueZ, through bleak).
The virtual pod replays a recording and has no sensors or sessions to control: those
commands get the pod's "not supported" as one line. What the real pod does with them is
tested in tests/firmware/test_sensors_session.py."""

from __future__ import annotations

import errno
import json

import podfw  # noqa: F401
from podfw.counters import WHERE_LOG, WHERE_SAMPLING, Counters
from podfw.link import wire
from stridepod.commands.demo import bundled
from stridepod.commands.pod import last_error_text, status_text

RECORDING = bundled("gaitpdb_JuCo01_01_left.csv")  # an 8-zone insole at 100 Hz


def test_info_shows_the_pods_setup(stridepod_cli):
    result = stridepod_cli("pod", "info", "--virtual", RECORDING)
    assert result.exit_code == 0, result.stderr
    line = " ".join(result.stdout.split())  # as wrapped to the terminal's width
    assert line.startswith("pod VP000001 (") and "left_insole, no IMU, pressure zones 100 Hz" in line
    assert "5 s windows" in line and "clock not set" in line
    answer = json.loads(stridepod_cli("pod", "info", "--virtual", RECORDING, "--json").stdout)
    assert answer["op"] == "read-config" and answer["result"] == "success"
    fields = answer["fields"]
    assert (fields["placement"], fields["imu_rate_hz"], fields["pressure_rate_hz"]) == (
        "left_insole", 0, 100)
    assert fields["next_seq"] == 11  # the windows the replay logged
    # and what went wrong since boot: every counter the firmware keeps (nothing here)
    assert "since boot 0 IMU faults, 0 IMU restarts, 0 IMU samples lost, 0 pressure scans " \
           "missed, 0 windows not logged, 0 link errors, 0 sampling errors; last error: none" \
           in " ".join(line.split())  # wrapped at the terminal's width
    assert answer["read-status"] == {name: 0 for name in wire.STATUS_FIELDS}


def test_status_counters_and_the_last_error_in_words():
    counters = Counters()
    counters.imu_faults, counters.scans_missed, counters.log_failures = 3, 70000, 12
    counters.error(WHERE_LOG, OSError(errno.ENOSPC, "no space"))
    response = wire.decode_indication(wire.encode_response(
        wire.OP_READ_STATUS, wire.RESULT_SUCCESS, wire.status_payload(counters)))
    text = status_text(response)
    assert text.startswith("since boot 3 IMU faults, 0 IMU restarts, 0 IMU samples lost, "
                           "65535 pressure scans missed, 12 windows not logged")
    assert text.endswith("last error: flash log: OSError 28 (ENOSPC)")
    counters.error(WHERE_SAMPLING, ValueError("engine bug"))
    assert last_error_text(counters.last_error_where, wire.error_code(counters.last_error)) == (
        "sampling loop: ValueError")
    assert status_text(None) == "its firmware does not report errors (no read-status)"


def test_commands_the_pod_cannot_run_are_one_line_errors(stridepod_cli):
    for args, op in ((("calibrate", "pressure-zero"), "calibrate"),
                     (("start",), "start-session"), (("stop",), "stop-session")):
        result = stridepod_cli("pod", *args, "--virtual", RECORDING)
        assert result.exit_code == 2, result
        assert result.stderr.strip() == f"error: the pod refused {op}: not supported"
        assert "Traceback" not in result.stdout + result.stderr


def test_calibrate_says_what_to_do_first_and_rejects_unknown_targets(stridepod_cli):
    result = stridepod_cli("pod", "calibrate", "imu-still", "--virtual", RECORDING)
    assert result.stdout.startswith("calibrating imu-still: lay the pod still on a table")
    bad = stridepod_cli("pod", "calibrate", "magnetometer")
    assert bad.exit_code == 2 and "magnetometer" in bad.stderr
    both = stridepod_cli("pod", "info", "AA:BB:CC:DD:EE:FF", "--virtual", RECORDING)
    assert both.exit_code == 2 and "leave out TARGET" in both.stderr
