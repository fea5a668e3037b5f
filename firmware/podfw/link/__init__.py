# The pod's link to the outside world: the v1 wire format (wire), the power-cut-safe
# flash log (flashlog) and the GATT server on MicroPython's `bluetooth` module
# (gatt, rsc, podlink). wire and flashlog import no hardware module.
