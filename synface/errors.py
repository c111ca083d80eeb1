"""The one error type the CLI turns into a clean one-line message and exit code 2."""


class SynfaceError(Exception):
    """A user-facing error: bad input, bad config, a missing or malformed file."""
