"""Do the committed results still match the tree? Checks dvc.lock against the files in git.

`dvc status` needs the DVC cache (datasets, models), which a fresh clone does not have; this check
needs only the tree: every file dvc.lock hashes (code, config, the committed results) must have
that hash, every param its value, and every stage its command. A mismatch means a change reached
the tree without `make reproduce` (or, for a change that leaves results alone, `dvc commit`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from synface.errors import SynfaceError

LOCK = "dvc.lock"
_ABSENT = object()


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()  # DVC 3 hashes a file's raw bytes


def _dotted(document: Any, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(document, Mapping) or part not in document:
            return _ABSENT
        document = document[part]
    return document


def _load(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise SynfaceError(f"{path}: cannot read ({err})") from None


def _cached(stages: Mapping[str, Any]) -> set[str]:
    """The outputs dvc.yaml keeps in the DVC cache (not `cache: false`): data and models."""
    return {
        path
        for stage in stages.values()
        for out in stage.get("outs", [])
        for path, options in (out.items() if isinstance(out, Mapping) else [(out, None)])
        if (options or {}).get("cache", True)
    }


def lock_mismatches(root: Path, lock: str = LOCK) -> list[str]:
    """One line per way the tree differs from `lock`: a stage's command, a hashed file, a param."""
    root = Path(root)
    stages = (_load(root / "dvc.yaml") or {}).get("stages", {})
    locked = (_load(root / lock) or {}).get("stages", {})
    problems = [f"{name}: in dvc.yaml, not in {lock}" for name in stages if name not in locked]
    problems += [f"{name}: in {lock}, not in dvc.yaml" for name in locked if name not in stages]
    documents: dict[str, Any] = {}
    cached = _cached(stages)
    for name, entry in locked.items():
        if name in stages and stages[name]["cmd"] != entry.get("cmd"):
            problems.append(f"{name}: command changed")
        for item in [*entry.get("deps", []), *entry.get("outs", [])]:
            if str(item.get("md5", "")).endswith(".dir") or item["path"] in cached:
                continue  # in the DVC cache (data, models), not in git: `dvc status` checks those
            path = root / item["path"]
            if not path.is_file():
                problems.append(f"{name}: {item['path']} is missing")
            elif _md5(path) != item.get("md5"):
                problems.append(f"{name}: {item['path']} changed")
        for file, values in (entry.get("params") or {}).items():
            document = documents.setdefault(file, _load(root / file))
            for key, value in values.items():
                if _dotted(document, key) != value:
                    problems.append(f"{name}: param {file}:{key} changed")
    return problems
