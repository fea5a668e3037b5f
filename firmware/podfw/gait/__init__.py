# The gait engine: integer-only DSP that turns IMU and pressure samples into gait events
# (initial / final contacts with impact and contact time) and window summaries.
# No hardware imports: it runs unchanged under MicroPython and CPython (host replay).
