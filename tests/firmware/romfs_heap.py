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
# where the pool boundaries fall. --names-apart (heap_apart.py) measures without them:
# the simulated chips are imported and a large empty pool is allocated before the
# baseline, and the names the firmware interns are counted (micropython.qstr_info before
# and after) for the caller to add at their entry size; then the BLE link and the flash
# log are started on top as main.run() does, for scale.
import os
import sys

import micropython
import vfs

if os.stat(sys.argv[1])[0] & 0x4000:  # a directory: .mpy files read into the heap
    sys.path.insert(0, sys.argv[1])
else:
    with open(sys.argv[1], "rb") as f:
        image = f.read()
    vfs.mount(vfs.VfsRom(image), "/rom")
    sys.path.insert(0, "/rom/lib")  # the ESP32 puts /rom and /rom/lib on sys.path at boot

from heap_start import heap_after_start  # noqa: E402

apart = None
if "--names-apart" in sys.argv:
    import heap_apart as apart

    apart.prepare()
micropython.qstr_info()  # the names interned before the firmware loads
modules, pod, started = heap_after_start(sys.argv[2])
micropython.qstr_info()  # ... and after start
import podfw  # noqa: E402

print("podfw from", podfw.__file__)
print("heap after start", modules, pod)
if apart:
    print("link after start", apart.link_after_start(started)[0])
elsewhere = [n for n, m in sys.modules.items() if n.startswith("podfw")
             and not m.__file__.startswith("/rom/lib/podfw/")]
print("podfw modules not from the image:", len(elsewhere), elsewhere)
