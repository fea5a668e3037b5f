"""Errors a user can act on. The command line prints them as one line and exits 2."""


class StridepodError(Exception):
    """A problem with the user's input or environment, explained in one line."""

    exit_code = 2


class AlreadyReported(StridepodError):
    """Problems already printed one line each (e.g. the files of an import that failed):
    the command line prints nothing more and exits 2."""

    def __init__(self) -> None:
        super().__init__("")
