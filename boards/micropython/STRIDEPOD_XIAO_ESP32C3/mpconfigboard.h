// The stridepod image for the Seeed Studio XIAO ESP32-C3: MicroPython's own
// SEEED_XIAO_ESP32C3 board (ports/esp32/boards/SEEED_XIAO_ESP32C3) with ROMFS on and
// the firmware frozen (manifest.py). Build: docs/flashing.md.
#define MICROPY_HW_BOARD_NAME               "stridepod XIAO ESP32C3"
#define MICROPY_HW_MCU_NAME                 "ESP32-C3"

// ROMFS: MicroPython mounts the partition labelled "romfs" (partitions-stridepod.csv)
// at /rom and puts /rom and /rom/lib on sys.path; `mpremote romfs deploy` writes it.
// Stock ESP32 images have it off.
#define MICROPY_VFS_ROM                     (1)

// REPL on the native USB Serial/JTAG; the UART pins are free.

#define MICROPY_HW_I2C0_SCL  (7)
#define MICROPY_HW_I2C0_SDA  (6)
