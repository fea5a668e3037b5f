"""Developer tools for the pod firmware: build .mpy files, deploy with mpremote and
verify by hash, keep the mip package.json in step with the firmware tree; build the
MicroPython interpreters the tests run on (interpreters: 32-bit unix port, rv32 firmware)
and run code on the rv32 firmware under QEMU (qemu_rv32)."""
