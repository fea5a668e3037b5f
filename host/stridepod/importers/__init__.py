"""The runner's other data, from files into the store.

Parsers turn files into the recovery model's dataclasses and never touch the store:
`csvfiles` and `planfile` (stridepod's own formats), `fit` + `fitfile` (FIT), `tracks` (TCX,
GPX), `services/` (intervals.icu, HRV4Training, Garmin Connect, Oura, Apple Health). Device
and service parsers fill a `parsed.Parsed`, which passes every record through the one set of
range checks in `validation`. `recognise` tells which file is which, `intake` keeps what one
file holds, idempotently, and `bulk` walks folders and zip archives. Every problem is a
StridepodError naming the file and record."""
