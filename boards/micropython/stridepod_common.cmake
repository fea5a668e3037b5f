# What every stridepod ESP32 board definition adds to MicroPython's (included by its
# mpconfigboard.cmake, after the SDKCONFIG_DEFAULTS it inherits):
# - the partition table with a "romfs" partition. ESP-IDF reads the table's path from
#   CONFIG_PARTITION_TABLE_CUSTOM_FILENAME, relative to ports/esp32 unless absolute, so
#   the path of this directory is written into an sdkconfig fragment of the build
#   (ports/esp32/boards/sdkconfig.base names partitions-4MiBplus.csv; later fragments
#   win);
# - the frozen manifest of the board (asyncio and friends, and the firmware library).
set(STRIDEPOD_BOARDS_DIR ${CMAKE_CURRENT_LIST_DIR})
file(WRITE ${CMAKE_BINARY_DIR}/sdkconfig.stridepod
    "CONFIG_PARTITION_TABLE_CUSTOM=y\n"
    "CONFIG_PARTITION_TABLE_CUSTOM_FILENAME=\"${STRIDEPOD_BOARDS_DIR}/partitions-stridepod.csv\"\n"
)
list(APPEND SDKCONFIG_DEFAULTS ${CMAKE_BINARY_DIR}/sdkconfig.stridepod)

set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)
