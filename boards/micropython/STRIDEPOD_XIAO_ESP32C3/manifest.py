# Frozen into the stridepod image for this board: what the stock ESP32 image freezes
# (asyncio, neopixel, ...) and the firmware library. Frozen modules run from flash, like
# a ROMFS image; a library deployed later (ROMFS at /rom/lib, or /lib) is imported
# instead, because firmware/main.py moves ".frozen" to the end of sys.path. Paths are
# relative to this file.
include("$(PORT_DIR)/boards/manifest.py")  # noqa: F821 - the manifest API
include("../podfw_manifest.py")  # noqa: F821
