# MicroPython frozen manifest for the qemu port's VIRT_RV32 board (a RISC-V machine under
# qemu-system-riscv32): the pod's gait engine (all of podfw.gait) and wire format
# (podfw.link.wire) frozen into the firmware image, as a MicroPython product ships its
# code. Their @micropython.native and @micropython.viper functions become rv32imc machine
# code (the ESP32-C3's instruction set), at -O2 like `stridepod dev deploy` compiles them.
# Built by stridepod.devtools.interpreters (`make test`); used by tests/host/test_gait_rv32.py
# and `tools/bench_gait.py --rv32`. Paths are relative to this file.
FIRMWARE = "../../../firmware"

module("podfw/__init__.py", base_path=FIRMWARE, opt=2)
package("podfw/gait", base_path=FIRMWARE, opt=2)
module("podfw/link/__init__.py", base_path=FIRMWARE, opt=2)
module("podfw/link/wire.py", base_path=FIRMWARE, opt=2)
