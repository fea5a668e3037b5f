# Heap after start with the firmware library imported from a ROMFS image, as on a pod
# whose library was deployed with `stridepod dev deploy --romfs`, or from a directory of
# .mpy files, as `stridepod dev deploy` puts them in /lib.
#     micropython romfs_heap.py IMAGE|LIB_DIR BOARD_JSON [--names-apart]
# MICROPYPATH must not hold firmware/: podfw has to come from the image (or directory).
# The image is read into one bytes object before the heap baseline: it stands for the
# memory-mapped flash partition the ESP32 mounts at /rom, which costs no heap there.
#
# The names the modules use are interned (qstrs) into pools that the unix port allocates
# as they fill, each twice the size of the one before, so the plain figure depends on
# where the pool boundaries fall. --names-apart measures without them: the simulated
# chips are imported and a large empty pool is allocated before the baseline, and the
# names the firmware interns are counted (micropython.qstr_info before and after) for the
# caller to add at their entry size. In that mode the BLE link and the flash log are then
# started on top as main.run() does (on the `bluetooth` stand-in of the tests), for scale.
import os
import sys
import time

import vfs

if os.stat(sys.argv[1])[0] & 0x4000:  # a directory: .mpy files read into the heap
    sys.path.insert(0, sys.argv[1])
else:
    with open(sys.argv[1], "rb") as f:
        image = f.read()
    vfs.mount(vfs.VfsRom(image), "/rom")
    sys.path.insert(0, "/rom/lib")  # the ESP32 puts /rom and /rom/lib on sys.path at boot

import gc  # noqa: E402

import micropython  # noqa: E402

from heap_start import heap_after_start  # noqa: E402


def intern_until_pool(min_bytes):
    """Interns fresh names until the unix port allocates a qstr pool of at least
    min_bytes."""
    gc.collect()
    before = gc.mem_alloc()
    for n in range(100000):
        hasattr(intern_until_pool, "zq%d" % n)
        gc.collect()
        grew = gc.mem_alloc() - before
        if grew >= min_bytes:
            return
        before += grew
    raise RuntimeError("no qstr pool of %d bytes was allocated" % min_bytes)


names_apart = "--names-apart" in sys.argv
if names_apart:
    import sim_hw  # noqa: F401  (the simulation's own names, before the baseline)
    import sim_imu  # noqa: F401

    intern_until_pool(10000)  # room for a thousand names: no pool grows while measuring
def link_after_start(pod):
    """Bytes the BLE link and flash log add, started as main.run() starts them."""
    import radio_recorder

    radio_recorder.install()
    root = "/tmp/stridepod-heap-%d" % time.ticks_us()
    os.mkdir(root)
    micropython.qstr_info()
    gc.collect()
    before = gc.mem_alloc()
    from podfw.link import gatt
    from podfw.link.clock import PodClock
    from podfw.link.flashlog import FileStorage, FlashLog
    from podfw.link.podlink import PodLink

    link = PodLink(radio_recorder.BLE(), FlashLog(FileStorage(root)), PodClock(),
                   config=pod.engine.config, controller=pod,
                   bonds=gatt.BondStore(root + "/bonds.json"),
                   battery_percent=pod.battery_percent)
    gc.collect()
    grew = gc.mem_alloc() - before
    micropython.qstr_info()
    for name in os.listdir(root):
        os.remove(root + "/" + name)
    os.rmdir(root)
    return grew, link


micropython.qstr_info()  # the names interned before the firmware loads
modules, pod, started = heap_after_start(sys.argv[2])
micropython.qstr_info()  # ... and after start
import podfw  # noqa: E402

print("podfw from", podfw.__file__)
print("heap after start", modules, pod)
if names_apart:
    print("link after start", link_after_start(started)[0])
elsewhere = [n for n, m in sys.modules.items() if n.startswith("podfw")
             and not m.__file__.startswith("/rom/lib/podfw/")]
print("podfw modules not from the image:", len(elsewhere), elsewhere)
