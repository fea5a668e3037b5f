# A whole simulated pod for tests and the benchmark: board file, simulated chips fed from
# recordings, and the real Pod on top.
from podfw import board as boardfile
from podfw.pod import Pod
from sim_hw import SimHardware, feed_zones
from sim_imu import SimICM42688P, SimLSM6DS3TRC, SimLSM6DSO

IMU_FEED = "gaitmap_walk_left"
PRESSURE_FEED = "gaitpdb_GaCo01_01_left"
BOARDS = ("boards/esp32-s3-devkitc-1.json", "boards/seeed-xiao-esp32s3.json",
          "boards/seeed-xiao-esp32c3.json")


def flash_dir():
    import os

    path = "/tmp/stridepod-sim-flash-%s/" % _worker()
    try:
        os.mkdir(path)
        _MADE.append(path)
    except OSError:
        pass
    for name in os.listdir(path):
        os.remove(path + name)
    return path


def board_variant(board_path, section, name="variant", **changes):
    """A copy of a board file with some keys of one section changed, as a new file."""
    import json

    with open(board_path) as f:
        raw = json.load(f)
    raw[section].update(changes)
    path = "/tmp/stridepod-sim-board-%s-%s.json" % (name, _worker())
    with open(path, "w") as f:
        json.dump(raw, f)
    _MADE.append(path)
    return path


class CountingSink:
    """A window sink that only counts: it allocates nothing, so heap_lock can surround it."""

    def __init__(self):
        self.count = 0

    def __call__(self, summary):
        self.count += 1


def imu_only_board(board_path, name="imu-only"):
    """A copy of a board file without pressure zones (a foot pod on the shoe), as a new file."""
    import json

    with open(board_path) as f:
        raw = json.load(f)
    del raw["pressure"]
    raw["placement"] = "left_foot"
    path = "/tmp/stridepod-sim-board-%s-%s.json" % (name, _worker())
    with open(path, "w") as f:
        json.dump(raw, f)
    _MADE.append(path)
    return path


_RUN = []
_MADE = []  # files and directories this process made under /tmp, for cleanup()


def cleanup():
    """Removes what this process made under /tmp (mprun calls it after the last test)."""
    import os

    for path in _MADE:
        try:
            if path.endswith("/"):
                for name in os.listdir(path):
                    os.remove(path + name)
                os.rmdir(path)
            else:
                os.remove(path)
        except OSError:
            pass
    del _MADE[:]


def _worker():
    """A name of this process's own: test runs of several checkouts (or pytest workers)
    at once must not share a simulated flash directory or board file."""
    if not _RUN:
        import os

        _RUN.append("".join("%02x" % b for b in os.urandom(6)))
    return _RUN[0]


def make_hardware(board_path, imu_feed=IMU_FEED, pressure_feed=PRESSURE_FEED, who_am_i=None):
    board = boardfile.load(board_path)
    hw = SimHardware(board, flash_dir())
    model = {"lsm6dso": SimLSM6DSO, "lsm6ds3trc": SimLSM6DS3TRC,
             "icm42688p": SimICM42688P}[board.imu_model]
    chip = model(hw, imu_feed) if who_am_i is None else model(hw, imu_feed, who_am_i)
    hw.i2c_bus.devices[board.imu_address] = chip
    if board.zones and pressure_feed:
        feed_zones(hw, board, pressure_feed)
    return board, hw, chip


def make_pod(board_path, sink=None, raw_out=None, **kw):
    board, hw, chip = make_hardware(board_path, **kw)
    windows = []
    pod = Pod(board, sink or windows.append, hw, raw_out=raw_out)
    return pod, hw, chip, windows


def run_pod(pod, seconds):
    """Runs the pod's schedule (drain, process, pause) for `seconds` of simulated time."""
    hw = pod.hw
    end = hw.now_us + seconds * 1000000
    while hw.now_us < end:
        pod.service()
        hw.run_for(pod.board.drain_ms * 1000)
