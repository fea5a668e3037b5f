"""Pure parsers from files to the recovery dataclasses. They never touch the store: the app
decides what to keep. Every problem is a StridepodError naming the file and line."""
