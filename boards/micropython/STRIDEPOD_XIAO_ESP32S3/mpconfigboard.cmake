# The stridepod image for the Seeed Studio XIAO ESP32-S3 (8 MiB flash, 8 MiB octal
# PSRAM), as MicroPython's SEEED_XIAO_ESP32S3, with the stridepod partition table (a
# "romfs" partition) and the firmware frozen.
include(boards/mpconfigboard_esp32s3_common.cmake)

list(APPEND SDKCONFIG_DEFAULTS
    boards/sdkconfig.flash_qio_80m
    boards/sdkconfig.240mhz
    boards/sdkconfig.spiram_oct
)

include(${MICROPY_BOARD_DIR}/../stridepod_common.cmake)
