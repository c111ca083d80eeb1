"""The one error type the CLI turns into a clean one-line message and exit code 2."""


class SynfaceError(Exception):
    """A user-facing error: bad input, bad config, a missing or malformed file."""


def one_line(err: BaseException) -> str:
    """The first line of an exception's message (pandas' and torch's run over several), else its type."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__
