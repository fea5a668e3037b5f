"""Recordings and the pod's gait engine on them.

`dumpfile` reads and writes the `stridepod-dump-csv/1` format (CSV + JSON sidecar) and
quantises it to the pod's sensor units; `recorder` writes one from the pod's raw USB stream;
`replay` runs the firmware's own engine on a recording; `reference` holds the float twins of
the engine's detectors; `evaluation` scores detected events against reference events."""
