"""Reading the pipeline's small JSON files, with one-line errors that name the file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from synface.errors import SynfaceError


def read_json_object(path: str | os.PathLike[str], what: str) -> dict[str, Any]:
    """The JSON object in `path`; a missing, unreadable or non-object file raises naming `what` it should be."""
    try:
        record = json.loads(Path(path).read_text())
    except FileNotFoundError as err:
        raise SynfaceError(f"{path}: {what} file not found") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SynfaceError(f"{path}: cannot read {what} ({err})") from err
    if not isinstance(record, dict):
        raise SynfaceError(f"{path}: {what} file must hold one JSON object")
    return record
