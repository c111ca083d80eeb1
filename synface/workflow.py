"""Glue for Snakemake scripts: send a job's output and errors to its log file."""

from __future__ import annotations

import contextlib
import logging
import os
import traceback
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def log_to(path: str | os.PathLike[str]) -> Iterator[None]:
    """Redirect stdout/stderr (progress bars, warnings, tracebacks) of a rule's script to its log."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        logging.basicConfig(stream=log, level=logging.INFO, force=True)
        try:
            yield
        except BaseException:
            traceback.print_exc(file=log)  # the log holds the cause; Snakemake reports the failure
            raise
