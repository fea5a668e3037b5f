"""Errors a user can act on. The command line prints them as one line and exits 2."""


class StridepodError(Exception):
    """A problem with the user's input or environment, explained in one line."""

    exit_code = 2
