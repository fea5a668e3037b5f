"""The `stridepod` subcommands, one module each (assembled by `stridepod.cli`), with what
they share: `context` (the typed command-line context: database, --quiet, --debug) and
`output` (terminal text, JSON, progress bars)."""
