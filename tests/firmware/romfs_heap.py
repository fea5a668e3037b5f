# Heap after start with the firmware library imported from a ROMFS image, as on a pod
# whose library was deployed with `stridepod dev deploy --romfs`.
#     micropython romfs_heap.py IMAGE BOARD_JSON
# MICROPYPATH must not hold firmware/: podfw has to come from the image. The image is read
# into one bytes object before the heap baseline: it stands for the memory-mapped flash
# partition the ESP32 mounts at /rom, which costs no heap there.
import sys

import vfs

with open(sys.argv[1], "rb") as f:
    image = f.read()
vfs.mount(vfs.VfsRom(image), "/rom")
sys.path.insert(0, "/rom/lib")  # the ESP32 puts /rom and /rom/lib on sys.path at boot

from heap_start import heap_after_start  # noqa: E402

modules, pod = heap_after_start(sys.argv[2])
import podfw  # noqa: E402

print("podfw from", podfw.__file__)
print("heap after start", modules, pod)
elsewhere = [n for n, m in sys.modules.items() if n.startswith("podfw")
             and not m.__file__.startswith("/rom/lib/podfw/")]
print("podfw modules not from the image:", len(elsewhere), elsewhere)
