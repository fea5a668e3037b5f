"""The gait engine as rv32imc machine code gives exactly the unix ports' output: the
rv32 firmware (podfw.gait frozen, its native and viper functions compiled for the
ESP32-C3's instruction set) replays one recording of each detector family under
qemu-system-riscv32 (tests/firmware/gait_replay.py as the job, the samples in its ROMFS
image), and its events and windows equal those of the same replay under the 64-bit and
32-bit unix ports."""

from __future__ import annotations

import pytest

from gait_replay_case import (
    CASES,
    GAIT_REPLAY,
    ROOT,
    UNIX64,
    quantised,
    replay_output,
    unix_replay,
    write_case,
)
from stridepod.devtools import interpreters, qemu_rv32

FWTEST = ROOT / "tests" / "firmware" / "fwtest.py"
GUEST_JOB = """import sys
import podfw.gait.engine
print("ENGINE " + podfw.gait.engine.__file__)
sys.argv[:] = ["gait_replay.py", "/rom/case.json"]
import gait_replay
"""


@pytest.mark.parametrize(("name", "limit"), CASES)
def test_rv32_engine_output_equals_the_unix_ports(name, limit, tmp_path):
    q = quantised(name, limit)
    host, guest = tmp_path / "host", tmp_path / "guest"
    host.mkdir()
    guest.mkdir()
    case = write_case(q, host)
    write_case(q, guest, data_dir="/rom")
    files = {"gait_replay.py": GAIT_REPLAY, "fwtest.py": FWTEST}
    files.update({p.name: p for p in guest.iterdir()})
    lines = qemu_rv32.run(GUEST_JOB, files)
    assert lines[0] == "ENGINE podfw/gait/engine.py", lines[0]  # frozen, not from /rom
    rv32 = replay_output(lines[1:])
    unix64 = unix_replay(UNIX64, case)
    unix32 = unix_replay(interpreters.installed().unix32, case)
    assert len(rv32[0]) > 10  # the comparison is about real strides
    assert rv32 == unix64
    assert rv32 == unix32
