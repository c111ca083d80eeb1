"""Reading the pipeline's small JSON files, with one-line errors that name the file."""

from __future__ import annotations

import json
import os
from typing import Any

from synface.errors import SynfaceError
from synface.io.textfile import read_text


def read_json_object(path: str | os.PathLike[str], what: str) -> dict[str, Any]:
    """The JSON object in `path`; a missing, unreadable or non-object file raises naming `what` it should be."""
    try:
        record = json.loads(read_text(path))
    except FileNotFoundError as err:
        raise SynfaceError(f"{path}: {what} file not found") from err
    except (OSError, json.JSONDecodeError) as err:
        raise SynfaceError(f"{path}: cannot read {what} ({err})") from err
    except RecursionError:
        raise SynfaceError(f"{path}: cannot read {what} (nested too deeply)") from None
    if not isinstance(record, dict):
        raise SynfaceError(f"{path}: {what} file must hold one JSON object")
    return record
