# The names-apart mode of romfs_heap.py, in a module of its own so that its names are
# interned only in that mode (the plain mode's figure counts the names before the
# firmware's). See romfs_heap.py.
import gc
import os
import time

import micropython


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


def prepare():
    """The simulation's own names, then room for a thousand more: no pool grows while
    the firmware is measured."""
    import sim_hw  # noqa: F401
    import sim_imu  # noqa: F401

    intern_until_pool(10000)


def link_after_start(pod):
    """Bytes the BLE link and flash log add, started as main.run() starts them (on the
    tests' `bluetooth` stand-in); their names are counted by qstr_info before and after."""
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
