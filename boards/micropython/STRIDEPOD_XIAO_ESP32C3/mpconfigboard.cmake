# The stridepod image for the Seeed Studio XIAO ESP32-C3 (4 MiB flash), as MicroPython's
# SEEED_XIAO_ESP32C3, with the stridepod partition table (a "romfs" partition) and the
# firmware frozen. For a board file whose "micropython_board" names it.
include(boards/mpconfigboard_esp32c3_common.cmake)

include(${MICROPY_BOARD_DIR}/../stridepod_common.cmake)
