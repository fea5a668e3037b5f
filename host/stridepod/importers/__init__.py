"""The runner's other data, from files into the store.

The parsers (`csvfiles`, `fit`, `planfile`) turn files into the recovery model's dataclasses
and never touch the store; every problem is a StridepodError naming the file and line.
`intake` recognises which file is which and keeps what it holds, idempotently."""
