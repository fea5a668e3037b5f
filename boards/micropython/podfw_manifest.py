# Freezes the stridepod firmware library (podfw) into a MicroPython image: every module
# `mpremote mip install firmware/package.json` would install (the file lists them and a
# test keeps it current; host-only modules are not in it), compiled at -O2 as
# `stridepod dev deploy` compiles them. Included by the ESP32 boards' manifest.py.
# Paths are relative to this file (the manifest runs in its directory).
import json

FIRMWARE = "../../firmware"

with open(FIRMWARE + "/package.json") as f:
    for path, _url in json.load(f)["urls"]:
        module(path, base_path=FIRMWARE, opt=2)  # noqa: F821 - the manifest API
