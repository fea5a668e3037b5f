# Gyro zero-rate offsets (what each gyro axis reads at rest), measured while the pod lies
# still and kept in flash; the Pod subtracts them from every sample (Pod.gyro_bias). Loaded
# only when a calibration runs: Pod.calibrate(CALIBRATE_IMU_STILL), over the link or from
# the REPL.
import json
import os

from micropython import const

from podfw.drivers.imu import GYRO_BIAS_FILE, GYRO_BIAS_MAX_DPS

_STILL_MS = const(1000)  # samples averaged
_GIVE_UP_MS = const(3000)
_STILL_DPS = const(2)  # a pod lying still varies less than this per axis, peak to peak


def calibrate_still(pod):
    """Measures the offsets over 1 s of the pod lying still. True (and saved in flash)
    when it was still and the offsets are plausible; False, nothing changed, otherwise.
    The samples drained meanwhile reach the engine as usual."""
    if not pod.running:
        return False
    pod.process()  # rows drained before belong to before
    ring = pod.imu_ring
    d = ring.data
    lo = [32767, 32767, 32767]
    hi = [-32768, -32768, -32768]
    total = [0, 0, 0]
    n = 0
    want = pod.board.imu_rate_hz * _STILL_MS // 1000
    waited = 0
    while n < want and waited < _GIVE_UP_MS:
        pod.hw.sleep_ms(pod.board.drain_ms)
        waited += pod.board.drain_ms
        pod.drain_imu()
        for k in range(ring.available()):
            o = ring.offset(k) + 3  # raw gx, gy, gz: the old offsets are not in the ring
            for a in range(3):
                v = d[o + a]
                total[a] += v
                if v < lo[a]:
                    lo[a] = v
                if v > hi[a]:
                    hi[a] = v
            n += 1
        pod.process()
    lsb = pod.imu.GYRO_LSB_PER_DPS
    if n < want:
        return False
    bias = [(total[a] + n // 2) // n for a in range(3)]
    for a in range(3):
        if hi[a] - lo[a] > _STILL_DPS * lsb or abs(bias[a]) > GYRO_BIAS_MAX_DPS * lsb:
            return False
    for a in range(3):
        pod.gyro_bias[a] = bias[a]
    save(pod)
    return True


def save(pod):
    path = pod.hw.flash_dir + GYRO_BIAS_FILE
    with open(path + ".new", "w") as f:
        json.dump({"imu": pod.board.imu_model, "gyro_bias": list(pod.gyro_bias)}, f)
    os.rename(path + ".new", path)  # replace in one step: a power cut keeps the old file
