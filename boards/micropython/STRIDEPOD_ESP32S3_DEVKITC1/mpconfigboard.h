// The stridepod image for the Espressif ESP32-S3-DevKitC-1: MicroPython's
// ESP32_GENERIC_S3 board with ROMFS on and the firmware frozen (manifest.py).
// Build: docs/flashing.md.
#ifndef MICROPY_HW_BOARD_NAME
// Can be set by mpconfigvariant_SPIRAM_OCT.cmake.
#define MICROPY_HW_BOARD_NAME               "stridepod ESP32-S3-DevKitC-1"
#endif
#define MICROPY_HW_MCU_NAME                 "ESP32-S3"

// ROMFS: MicroPython mounts the partition labelled "romfs" (partitions-stridepod.csv)
// at /rom and puts /rom and /rom/lib on sys.path; `mpremote romfs deploy` writes it.
// Stock ESP32 images have it off.
#define MICROPY_VFS_ROM                     (1)

// The DevKitC-1 has a USB-to-UART bridge on UART0 (TX/RX, GPIO43/44): REPL there too.
#define MICROPY_HW_ENABLE_UART_REPL         (1)

// The pod's IMU bus (boards/esp32-s3-devkitc-1.json) as the default I2C(0) pins.
#define MICROPY_HW_I2C0_SCL                 (18)
#define MICROPY_HW_I2C0_SDA                 (17)
