"""The runner's data on disk and what is derived from it.

`database` is the SQLite store (opening, transactions, the tables' rows); `schema` its
migrations and how a file is recognised as a usable store; `faults` says in one
line what went wrong with it (busy, full, read-only, damaged, foreign); `paths` says where it
lives; `podruns` turns the pod's synced window records into runs; `history` reads the store
as the recovery model's inputs."""
