"""One home for every constant the firmware and the host share (issue 12).

SHARED lists each shared constant and its home: the one module that defines it. Every
other module imports it. Two kinds of exception, each listed with its reason:
- derived: a module-level name computed from the home's value (the float reference's
  seconds from the firmware's milliseconds, the host's full UUID strings from the pod's
  16-bit numbers). Its expression must name the home constant.
- mirrors: a private copy where an import cannot be afforded on the pod (a const() that
  must be inlined into per-sample or viper code, or a module the pod's core does not
  load). Its value must equal the home's.
The sources of firmware/ and host/ are scanned with `ast` (module-level assignments; a
leading underscore does not make a different name), so a copy added anywhere fails
here, and so does any other upper-case name or long string/tuple value defined in two
modules unless DIFFERENT_CONCEPTS says why they are not the same thing.

MicroPython's `bluetooth` constants (_IRQ_*, _FLAG_* ...) live outside this tree: the
module leaves them out for space and extmod/modbluetooth.h lists them for users to copy.
Every copy here (firmware, virtual pod, tests) is checked against that header, read from
the MicroPython source in ../shared/micropython.
"""

from __future__ import annotations

import ast
import re
import tarfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TREES = ("firmware", "host")
MICROPYTHON_SRC = ROOT.parent / "shared" / "micropython" / "micropython-src.tar.xz"
MODBLUETOOTH_H = "micropython/extmod/modbluetooth.h"


@dataclass(frozen=True)
class Shared:
    home: str  # "path:NAME"
    derived: tuple[str, ...] = ()
    mirrors: tuple[str, ...] = ()
    why: str = ""  # why the mirrors cannot import

    @property
    def path(self) -> str:
        return self.home.split(":")[0]

    @property
    def name(self) -> str:
        return self.home.split(":")[1]


FW = "firmware/podfw/"
HOST = "host/stridepod/"
GAIT = FW + "gait/"
CONFIG = GAIT + "config.py"
STEP = GAIT + "step_detector.py"
ACC = GAIT + "acc_steps.py"
PRESSURE = GAIT + "pressure.py"
SUMMARY = GAIT + "summary.py"
WIRE = FW + "link/wire.py"
UUIDS = FW + "link/uuids.py"
PROFILE = HOST + "ble/profile.py"
REF_IMU = HOST + "recordings/reference/imu.py"
REF_FOOT = HOST + "recordings/reference/foot_gyro.py"
REF_PRESSURE = HOST + "recordings/reference/pressure.py"
REF_ENGINE = HOST + "recordings/reference/engine.py"

# FootGyroStrides' per-sample kernels (viper, and their plain twins) inline its state
# array's slots and constants
KERNELS = (GAIT + "foot_gyro_plain.py", GAIT + "foot_gyro_viper.py")
KERNEL_SLOTS = ("ACC_SHIFT", "CLIP_M2", "DEAD_M2", "GYRO_SHIFT", "COV_EVERY", "COV_LEFT",
                "AXIS_LEFT", "AVG_SHIFT", "AVG_SEEN", "AXIS_MIN_VAR", "AXIS_YOUNG", "COV", "AXIS",
                "PREV_RATE", "RATE", "M2", "CROSS_PEAK_M2", "LOBE_SIGN", "LOBE_AREA", "LOBE_PEAK",
                "LOBE_PEAK_N", "QUIET_N", "PEND_IC_N", "PEND_IMPACT", "HYSTERESIS", "REST_LEVEL",
                "REST_N", "IMPACT_N", "LANDING_M2", "LANDING_N", "AIRBORNE_N")


def in_kernels(name: str, *others: str) -> tuple[str, ...]:
    return tuple(k + ":" + name for k in KERNELS) + others


INLINED = ("a private const() inlined into per-sample or viper code: an import would be a "
           "global lookup per sample (or impossible in viper)")

SHARED = [
    # where a pod is worn; the wire format sends the position + 1
    Shared(CONFIG + ":PLACEMENTS"),
    Shared(CONFIG + ":FOOT_PLACEMENTS"),
    # the pod clock's epoch as the host's datetime
    Shared(PROFILE + ":POD_EPOCH"),
    # window quality flags
    *(Shared(SUMMARY + ":" + n) for n in (
        "FLAG_IMU_DEGRADED", "FLAG_PRESSURE_DEGRADED", "FLAG_CLIPPED", "FLAG_SAMPLES_LOST",
        "FLAG_WALKING", "FLAG_LOW_BATTERY", "FLAG_NO_IMU", "FLAG_NO_PRESSURE")),
    # control-point calibrate targets
    *(Shared(WIRE + ":" + n, mirrors=(FW + "pod.py:" + n,),
             why="the pod's core does not load the link: importing wire there costs 8 KB "
                 "of heap after start (45.7 -> 53.8 KB, over the 48 KB goal)")
      for n in ("CALIBRATE_IMU_STILL", "CALIBRATE_PRESSURE_ZERO")),
    # GATT UUIDs
    Shared(UUIDS + ":STRIDEPOD_SERVICE_UUID", derived=(PROFILE + ":STRIDEPOD_SERVICE",)),
    Shared(UUIDS + ":SUMMARY_UUID", derived=(PROFILE + ":SUMMARY",)),
    Shared(UUIDS + ":CONTROL_POINT_UUID", derived=(PROFILE + ":CONTROL_POINT",)),
    Shared(UUIDS + ":RSC_SERVICE_UUID", derived=(PROFILE + ":RSC_SERVICE",)),
    Shared(UUIDS + ":RSC_MEASUREMENT_UUID", derived=(PROFILE + ":RSC_MEASUREMENT",)),
    Shared(UUIDS + ":RSC_FEATURE_UUID", derived=(PROFILE + ":RSC_FEATURE",)),
    Shared(UUIDS + ":SENSOR_LOCATION_UUID"),
    Shared(UUIDS + ":DEVICE_INFORMATION_UUID", derived=(PROFILE + ":DEVICE_INFORMATION",)),
    Shared(UUIDS + ":MANUFACTURER_NAME_UUID", derived=(PROFILE + ":MANUFACTURER",)),
    Shared(UUIDS + ":MODEL_NUMBER_UUID", derived=(PROFILE + ":MODEL",)),
    Shared(UUIDS + ":SERIAL_NUMBER_UUID", derived=(PROFILE + ":SERIAL_NUMBER",)),
    Shared(UUIDS + ":HARDWARE_REVISION_UUID"),
    Shared(UUIDS + ":FIRMWARE_REVISION_UUID", derived=(PROFILE + ":FIRMWARE_REVISION",)),
    Shared(UUIDS + ":BATTERY_SERVICE_UUID"),
    Shared(UUIDS + ":BATTERY_LEVEL_UUID", derived=(PROFILE + ":BATTERY_LEVEL",)),
    # insole detector: codes, flags and thresholds (the float reference converts)
    *(Shared(PRESSURE + ":" + n) for n in ("STRIKE_HEEL", "STRIKE_MID", "STRIKE_FORE")),
    *(Shared(PRESSURE + ":" + n, mirrors=(GAIT + "pressure_viper.py:_" + n,), why=INLINED)
      for n in ("PFLAG_NEGATIVE", "PFLAG_STUCK", "EV_ON", "EV_OFF")),
    # the detector's state layout and states, read by its viper push
    *(Shared(PRESSURE + ":" + n, mirrors=(GAIT + "pressure_viper.py:" + n,), why=INLINED)
      for n in ("_OFF", "_CANDIDATE", "_ON", "_STANDING", "_HALF_LIMIT", "_INDEX", "_FLAGS",
                "_ST", "_STARTED", "_FLOOR", "_FLOOR_ACC", "_FLOOR_SHIFT", "_TOUCH_MARGIN",
                "_CONFIRM_MARGIN", "_PREV_TOTAL", "_RECENT_POS", "_IDLE_RUN", "_IDLE_SAMPLES",
                "_RISE_START", "_MAX_RAMP", "_PEAK", "_PEAK_INDEX", "_LOADING", "_MAX_RISE",
                "_COP_X_MIN", "_COP_X_MAX", "_COP_Y_END", "_START_LEFT", "_START_SUM",
                "_START_COUNT", "_NZ", "_N_RECENT", "_ZONE_FULL_SCALE", "_STUCK_SAMPLES", "_SX",
                "_SY", "_LAG", "_ZONES", "_ZONE_INTS", "_Z_FORCE", "_Z_RUN", "_Z_X", "_Z_Y",
                "_Z_IMPULSE")),
    Shared(PRESSURE + ":_TOUCH_DIV", derived=(REF_PRESSURE + ":TOUCH_FRACTION",)),
    Shared(PRESSURE + ":_CONFIRM_DIV", derived=(REF_PRESSURE + ":CONFIRM_FRACTION",)),
    Shared(PRESSURE + ":_MIN_TOUCH_N", derived=(REF_PRESSURE + ":MIN_TOUCH_N",)),
    Shared(PRESSURE + ":_MIN_CONFIRM_N", derived=(REF_PRESSURE + ":MIN_CONFIRM_N",)),
    Shared(PRESSURE + ":_MIN_PEAK_N", derived=(REF_PRESSURE + ":MIN_PEAK_N",)),
    Shared(PRESSURE + ":_INITIAL_PEAK_N", derived=(REF_PRESSURE + ":INITIAL_PEAK_N",)),
    Shared(PRESSURE + ":_PEAK_FOLLOW_SHIFT", derived=(REF_PRESSURE + ":PEAK_FOLLOW",)),
    Shared(PRESSURE + ":_PEAK_RELAX_SHIFT", derived=(REF_PRESSURE + ":PEAK_RELAX",)),
    Shared(PRESSURE + ":_MAX_DURATION_SAMPLES",
           derived=(REF_PRESSURE + ":MAX_DURATION_SAMPLES",)),
    # IMU detectors (the float reference converts)
    Shared(STEP + ":_Q14", mirrors=in_kernels("_Q14", ACC + ":_Q14"), why=INLINED),
    Shared(STEP + ":_ONE_Q14", mirrors=in_kernels("_ONE_Q14", ACC + ":_ONE_Q14"), why=INLINED),
    Shared(STEP + ":AVG_SHIFT", mirrors=in_kernels("_AVG_SHIFT"), why=INLINED),
    *(Shared(STEP + ":_S_" + n, mirrors=in_kernels("_S_" + n), why=INLINED)
      for n in KERNEL_SLOTS),
    *(Shared(STEP + ":" + n, mirrors=in_kernels(n, GAIT + "engine.py:" + n), why=INLINED)
      for n in ("_IMU_SLOW", "_IMU_CLIP", "_IMU_DEAD")),
    *(Shared(STEP + ":" + n, mirrors=in_kernels(n), why=INLINED)
      for n in ("_AXIS_SEED_STEPS", "_AXIS_YOUNG", "_AXIS_YOUNG_STEPS", "_AREA_CAP")),
    Shared(STEP + ":AVERAGE_RATE_HZ"),
    Shared(STEP + ":MIN_STRIDE_MS", derived=(REF_IMU + ":MIN_STRIDE_S",)),
    Shared(STEP + ":_HYSTERESIS_DPS", derived=(REF_FOOT + ":HYSTERESIS_DPS",)),
    Shared(STEP + ":_REST_DPS", derived=(REF_FOOT + ":REST_DPS",)),
    Shared(STEP + ":_REST_MS", derived=(REF_FOOT + ":REST_S",)),
    Shared(STEP + ":_SWING_MIN_DEG", derived=(REF_FOOT + ":SWING_MIN_DEG",)),
    Shared(STEP + ":_LAST_STEP_MIN_DEG", derived=(REF_FOOT + ":LAST_STEP_MIN_DEG",)),
    Shared(STEP + ":_LAST_STEP_REST_MS", derived=(REF_FOOT + ":LAST_STEP_REST_S",)),
    Shared(STEP + ":_VOTE_MIN_DEG", derived=(REF_FOOT + ":VOTE_MIN_DEG",)),
    Shared(STEP + ":_VOTE_WITHIN_MS", derived=(REF_FOOT + ":VOTE_WITHIN_S",)),
    Shared(STEP + ":_IMPACT_MS", derived=(REF_FOOT + ":IMPACT_S",)),
    Shared(STEP + ":_LANDING_G_X10", derived=(REF_FOOT + ":LANDING_G",)),
    Shared(STEP + ":_LANDING_MS", derived=(REF_FOOT + ":LANDING_S",)),
    Shared(STEP + ":_AXIS_EVERY", derived=(REF_FOOT + ":AXIS_EVERY",),
           mirrors=in_kernels("_AXIS_EVERY"), why=INLINED),
    Shared(STEP + ":_AXIS_SEED_SHARE", derived=(REF_FOOT + ":AXIS_SEED_SHARE",),
           mirrors=in_kernels("_AXIS_SEED_SHARE"), why=INLINED),
    Shared(STEP + ":_AXIS_MIN_VAR", derived=(REF_FOOT + ":AXIS_MIN_VAR_DPS2",)),
    Shared(STEP + ":_MAX_CONTACT_MS", derived=(REF_FOOT + ":MAX_CONTACT_S",)),
    Shared(STEP + ":_WALK_GAP_MS", derived=(REF_FOOT + ":WALK_GAP_S",)),
    Shared(ACC + ":_ONSET_G_X10", derived=(REF_IMU + ":ONSET_G",)),
    Shared(ACC + ":_MIN_STEP_MS", derived=(REF_IMU + ":MIN_STEP_S",)),
    Shared(ACC + ":_MAX_INTERVAL_MS", derived=(REF_IMU + ":MAX_INTERVAL_S",)),
    Shared(ACC + ":_SACRUM_HIGH_MAX_MS", derived=(REF_IMU + ":SACRUM_HIGH_MAX_S",)),
    Shared(ACC + ":_FOOT_HIGH_MAX_MS", derived=(REF_IMU + ":FOOT_HIGH_MAX_S",)),
    Shared(GAIT + "engine.py:_MAX_STEP_INTERVAL_MS",
           derived=(REF_ENGINE + ":MAX_STEP_INTERVAL_S",)),
    # a 16-bit sensor reading's largest value: the engine's clip level, the host's
    # quantisation of recordings
    Shared(GAIT + "engine.py:_FULL_SCALE", derived=(HOST + "recordings/dumpfile.py:FULL_SCALE",)),
]

# The same name (or a long value) in two modules for two different things.
DIFFERENT_CONCEPTS = {
    "FIFO_CTRL3": "a register address, of the LSM6DS3TR-C and of the LSM6DSO",
    "FIFO_STATUS1": "a register address, of the LSM6DS3TR-C and of the LSM6DSO",
    "ODR_CODES": "output data rate codes, of the LSM6DSO and of the ICM-42688-P",
    "MAX_CONTACT_MS": "wire: the record field's largest value (4095); step_detector: the "
                      "longest push-off-to-strike time that is a ground contact (2500)",
    "MAX_CONTACT_S": "evaluation: how far a reference toe-off may be from its strike "
                     "(2.0 s); reference.foot_gyro: the detector's contact limit (2.5 s)",
}


def _sources() -> dict[str, ast.Module]:
    out = {}
    for tree in TREES:
        for path in sorted((ROOT / tree).rglob("*.py")):
            out[path.relative_to(ROOT).as_posix()] = ast.parse(path.read_text(), str(path))
    return out


SOURCES = _sources()


def _assignments(module: ast.Module) -> dict[str, ast.expr]:
    """Module-level NAME = value (the last one wins), `const(x)` unwrapped."""
    found = {}
    for node in module.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                and value.func.id == "const"):
            value = value.args[0]
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = value
    return found


ASSIGNED = {path: _assignments(module) for path, module in SOURCES.items()}


def _value(path: str, name: str):
    """The value of a constant expression, evaluated with the module's earlier
    constants (const() expressions may use them)."""
    scope: dict = {}
    for other, node in ASSIGNED[path].items():
        try:
            scope[other] = eval(compile(ast.Expression(node), path, "eval"), {}, dict(scope))
        except Exception:  # not a constant expression (a class, a call): skipped
            continue
        if other == name:
            return scope[other]
    raise AssertionError(f"{path}: {name} is not a constant expression")


def _plain(name: str) -> str:
    return name.lstrip("_")


def _definitions(plain: str) -> set[str]:
    return {f"{path}:{name}" for path, names in ASSIGNED.items()
            for name in names if _plain(name) == plain}


def test_the_shared_constants_are_listed_once_each():
    homes = [s.home for s in SHARED]
    assert len(homes) == len(set(homes))


@pytest.mark.parametrize("shared", SHARED, ids=lambda s: s.name)
def test_a_shared_constant_is_defined_in_its_home_and_nowhere_else(shared):
    assert shared.name in ASSIGNED[shared.path], f"{shared.home} is not defined"
    found = _definitions(_plain(shared.name))
    unrelated = {d for d in found if _plain(shared.name) in DIFFERENT_CONCEPTS
                 and d.split(":")[0] != shared.path and d not in shared.mirrors
                 and d not in shared.derived}
    allowed = {shared.home, *shared.mirrors, *shared.derived}
    assert found - unrelated - allowed == set(), (
        f"{shared.home} is defined again: import it instead (or list a mirror, with why)")
    for mirror in shared.mirrors:
        assert shared.why, shared.home
        path, name = mirror.split(":")
        assert name.startswith("_") or path == FW + "pod.py", f"{mirror}: keep mirrors private"
        assert _value(path, name) == _value(shared.path, shared.name), (
            f"{mirror} disagrees with {shared.home}")


@pytest.mark.parametrize("shared", [s for s in SHARED if s.derived], ids=lambda s: s.name)
def test_a_derived_constant_is_computed_from_its_home(shared):
    for derived in shared.derived:
        path, name = derived.split(":")
        assert name in ASSIGNED[path], f"{derived} is not defined"
        used = {n.attr for n in ast.walk(ASSIGNED[path][name]) if isinstance(n, ast.Attribute)}
        used |= {n.id for n in ast.walk(ASSIGNED[path][name]) if isinstance(n, ast.Name)}
        assert shared.name in used, f"{derived} must be computed from {shared.home}"


def test_no_other_constant_is_defined_in_two_modules(bluetooth_constants):
    by_name = defaultdict(set)
    by_value = defaultdict(set)
    for path, names in ASSIGNED.items():
        for name, node in names.items():
            plain = _plain(name)
            if not plain.isupper():
                continue
            by_name[plain].add(path)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and len(node.value) >= 8:
                by_value[node.value].add(f"{path}:{name}")
            elif isinstance(node, ast.Tuple) and len(node.elts) >= 3:
                by_value[ast.dump(node)].add(f"{path}:{name}")
    shared = {_plain(s.name) for s in SHARED} | {
        _plain(d.split(":")[1]) for s in SHARED for d in s.derived}
    copies = {name: sorted(paths) for name, paths in by_name.items()
              if len(paths) > 1 and name not in shared and name not in DIFFERENT_CONCEPTS
              and name not in bluetooth_constants}
    assert copies == {}, "defined in more than one module: give each one home"
    same_values = [sorted(defs) for defs in by_value.values() if len(defs) > 1]
    assert same_values == [], "the same value defined twice"


@pytest.fixture(scope="module")
def bluetooth_constants() -> dict[str, int]:
    """The block of extmod/modbluetooth.h that MicroPython's users copy: NAME -> value
    (names without the leading underscore)."""
    assert MICROPYTHON_SRC.exists(), f"{MICROPYTHON_SRC} is missing (../shared)"
    with tarfile.open(MICROPYTHON_SRC, "r:xz") as tar:
        member = tar.extractfile(MODBLUETOOTH_H)
        assert member is not None
        header = member.read().decode()
    found = {m[1]: int(m[2], 0) for m in
             re.finditer(r"^_([A-Z0-9_]+) = const\((0x[0-9a-fA-F]+|\d+)\)$", header, re.M)}
    assert found["IRQ_GATTS_WRITE"] == 3 and found["FLAG_WRITE_ENCRYPTED"] == 0x1000
    return found


def test_micropython_bluetooth_constants_are_micropythons(bluetooth_constants):
    checked = 0
    for tree in (*TREES, "tests"):
        for path in sorted((ROOT / tree).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            names = ASSIGNED.get(rel) or _assignments(ast.parse(path.read_text()))
            for name, node in names.items():
                if _plain(name) in bluetooth_constants and isinstance(node, ast.Constant):
                    assert node.value == bluetooth_constants[_plain(name)], (
                        f"{rel}: {name} = {node.value}, MicroPython's is "
                        f"{bluetooth_constants[_plain(name)]}")
                    checked += 1
    assert checked >= 20  # the pod's GATT server and IRQ handler, the virtual pod, tests


def test_docs_protocol_lists_the_pods_uuids_and_placement_codes():
    import podfw  # noqa: F401  (the CPython stand-in for `micropython`)
    from podfw.gait.config import PLACEMENTS
    from podfw.link import uuids

    doc = (ROOT / "docs" / "protocol.md").read_text()
    table = re.findall(r"^\|.*\|$", doc.split("## 3. GATT services")[1], re.M)
    listed = set(re.findall(r"`([0-9a-f-]{36})`|\b0x([0-9A-F]{4})\b", "\n".join(table)))
    listed_values = {text or int(short, 16) for text, short in listed}
    defined = {getattr(uuids, name) for name in dir(uuids) if name.endswith("_UUID")}
    # the table also lists the characteristics' values (RSC features 0x0004)
    assert defined <= listed_values, defined - listed_values
    codes = re.search(r"u8 placement \(0 unknown, ([^)]*)\)", doc.replace("\n", " "))
    assert codes is not None
    assert [c.split()[1] for c in codes[1].split(", ")] == list(PLACEMENTS)
    assert [int(c.split()[0]) for c in codes[1].split(", ")] == list(
        range(1, len(PLACEMENTS) + 1))
