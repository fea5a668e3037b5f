# The stridepod image for the Espressif ESP32-S3-DevKitC-1 (8 MiB flash or more; quad
# PSRAM is found at boot, the N8R8/N16R8 modules' octal PSRAM needs the SPIRAM_OCT
# variant), as MicroPython's ESP32_GENERIC_S3, with the stridepod partition table (a
# "romfs" partition) and the firmware frozen.
include(boards/mpconfigboard_esp32s3_common.cmake)

list(APPEND SDKCONFIG_DEFAULTS
    boards/sdkconfig.flash_qio_80m
)

include(${MICROPY_BOARD_DIR}/../stridepod_common.cmake)
