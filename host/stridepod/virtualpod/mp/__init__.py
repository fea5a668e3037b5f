"""MicroPython files of the virtual pod: the `bluetooth` stand-in, the radio link framing
(`vlink`, shared with the host) and the replay script. This directory goes on
MICROPYPATH; CPython only imports `vlink` from here."""
