"""Errors the CLI reports as one line on stderr, with a non-zero exit code."""


class CliError(Exception):
    """Bad input or an unusable environment: the message is all the user sees."""
