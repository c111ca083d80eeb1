"""The library code a workflow job runs: its script and every synface module that script imports.

One answer serves both DAGs: Snakemake rules take these files as inputs (a job reruns when code
it runs changed, and only then) and each DVC stage depends on the union over its rules' scripts.
Imports are read with `ast`, without importing anything, and followed through the package:
`from synface.a import b` counts synface/a/__init__.py (it runs on import) and synface/a/b.py
when b is a module. Imports inside functions count too (they run when the function does).
"""

from __future__ import annotations

import ast
import functools
import os
from pathlib import Path

PACKAGE = "synface"
ROOT = Path(__file__).resolve().parents[1]


def _module_file(name: str) -> Path | None:
    """The file of dotted module `name` (synface.x.y), or None when it is not a module."""
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@functools.cache  # each module parsed once per process, not once per script whose closure holds it
def _imported_modules(path: Path) -> frozenset[str]:
    """Dotted names of the synface modules (and their parent packages) that `path` imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)  # submodules; others drop out below
    found = set()
    for name in names:
        parts = name.split(".")
        if parts[0] != PACKAGE:
            continue
        found.update(".".join(parts[:k]) for k in range(1, len(parts) + 1) if _module_file(".".join(parts[:k])))
    return frozenset(found)


@functools.cache
def _closure(script: Path) -> tuple[Path, ...]:
    seen: set[Path] = set()
    todo = [script]
    while todo:
        path = todo.pop()
        for name in _imported_modules(path):
            module = _module_file(name)
            if module is not None and module not in seen:
                seen.add(module)
                todo.append(module)
    return tuple(sorted(seen))


def code_files(script: str | os.PathLike[str]) -> list[str]:
    """`script` and the synface modules it runs, as paths relative to the project root, sorted."""
    path = (ROOT / script).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"{script}: workflow script not found")
    return [Path(script).as_posix(), *(p.relative_to(ROOT).as_posix() for p in _closure(path))]
