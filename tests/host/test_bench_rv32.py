"""The rv32 instruction count of tools/bench_gait.py --rv32 is a measurement one can
trust: two runs of the guest give the same counts, the counts are real (positive, the
engine's functions show in the profile). The budget itself is not asserted: it is the
target of the engine's optimisation."""

from bench_gait import two_sensor_data
from bench_gait_rv32_report import parse_guest_output, run_guest


def test_rv32_instruction_counts_repeat_exactly():
    data = two_sensor_data(2)
    first, second = run_guest(data, 2), run_guest(data, 2)
    assert first == second  # counts, calibration and profile alike
    costs, probes, profile = parse_guest_output(first)
    assert set(costs) == {"both", "imu", "pressure"}
    assert all(v > 100_000 for v in costs.values()), costs
    names = {name for rows in profile.values() for name, _calls, _n in rows}
    assert {"GaitEngine.push_imu", "GaitEngine.push_pressure", "PressureContacts.push"} <= names
