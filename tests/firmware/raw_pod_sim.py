# The pod's raw mode on simulated hardware, writing frames to stdout: the device side of
# the recorder tests (tests/host/test_recorder_*.py run it under `micropython` on a
# pseudo-terminal). Usage: micropython raw_pod_sim.py BOARD SECONDS [CORRUPT_EVERY]
# Like the real pod it starts streaming when the recorder's start line arrives on stdin
# (`... main.record()` + CR, what `stridepod record --start` types into the REPL).
# CORRUPT_EVERY=k flips one byte in every k-th sample frame written, as a noisy cable
# would (INFO and END frames pass intact so the test knows when the pod is done).
import sys

from sim_pod import make_pod, run_pod


class NoisyLine:
    def __init__(self, out, every):
        self.out = out
        self.every = every
        self.writes = 0

    def write(self, data):
        self.writes += 1
        if self.every and self.writes % self.every == 0 and data[2] in (2, 3):
            data = bytearray(data)
            data[len(data) // 2] ^= 0x5A
        self.out.write(data)


def wait_for_start(stream):
    line = b""
    while not line.endswith(b"main.record()\r"):
        c = stream.read(1)
        if not c:
            raise SystemExit("stdin closed before the start command")
        line = (line + c)[-64:]


def main():
    board_path = sys.argv[1]
    seconds = int(sys.argv[2])
    every = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    wait_for_start(sys.stdin.buffer)
    line = NoisyLine(sys.stdout.buffer, every)
    pod, hw, chip, windows = make_pod(board_path, raw_out=line)
    hw.unloaded = True
    pod.calibrate()
    hw.unloaded = False
    pod.engine.send_info()
    pod.start()
    run_pod(pod, seconds)
    pod.stop()  # flushes the last frames and sends END


main()
