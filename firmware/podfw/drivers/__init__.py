# Thin hardware drivers. Each takes machine-like objects (I2C, Pin, ADC) by injection, so
# the tests run them against the simulated chips in tests/firmware/sim_*.py.
