# DevKitC-1 with an N8R8 or N16R8 module (octal PSRAM), as ESP32_GENERIC_S3's variant.
list(APPEND SDKCONFIG_DEFAULTS
    boards/sdkconfig.240mhz
    boards/sdkconfig.spiram_oct
)

list(APPEND MICROPY_DEF_BOARD
    MICROPY_HW_BOARD_NAME="stridepod ESP32-S3-DevKitC-1 with Octal-SPIRAM"
)
