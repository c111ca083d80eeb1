"""The config a run sees: config/config.yaml, an overlay merged in as Snakemake merges
`--configfile` files (the grid replaced, not merged), validated against the schema."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

from synface.errors import SynfaceError
from synface.io.yamlfile import read_yaml

CONFIG = "config/config.yaml"  # the default; overlays (--configfile) are merged into it
SCHEMA = "workflow/schemas/config.schema.yaml"
# Mappings an overlay replaces whole instead of merging into: the grid of tables, the tuning
# study's candidates and the diagnostic studies (a table, candidate or study the overlay leaves out is not run).
REPLACED_BY_OVERLAYS = (("experiments",), ("tuning", "candidates"), ("studies",))


def overlay_grid(config: MutableMapping[str, Any], overlay_files: Iterable[str | os.PathLike[str]]) -> None:
    """Replace, not merge, the grid and the tuning candidates of `config` by the overlays' (Snakemake's
    --configfile files).

    Snakemake deep-merges overlays, so a table an overlay leaves out (or `experiments: {}`) would
    keep the default's rows. Here the last overlay that gives such a mapping sets all of it.
    """
    for path in overlay_files:
        _replace_grid(config, _read_yaml(path))


def _replace_grid(config: MutableMapping[str, Any], overlay: Mapping[str, Any]) -> None:
    for keys in REPLACED_BY_OVERLAYS:
        *parents, last = keys
        source, target = overlay, config
        for key in parents:
            if not isinstance(source.get(key), Mapping):
                break
            source, target = source[key], target.setdefault(key, {})
        else:
            if last in source:
                target[last] = source[last]


def _merge(base: MutableMapping[str, Any], overlay: Mapping[str, Any]) -> None:
    """Snakemake's --configfile merge: nested mappings merge key by key, anything else replaces."""
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), MutableMapping):
            _merge(base[key], value)
        else:
            base[key] = value


def _read_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    data = read_yaml(path, "the config") or {}
    if not isinstance(data, dict):
        raise SynfaceError(f"{path}: a config is a mapping of keys, not {type(data).__name__}")
    return data


def load_config(configfile: str | os.PathLike[str], root: str | os.PathLike[str] = ".") -> dict[str, Any]:
    """The config the Snakefile sees for `--configfile configfile`: config/config.yaml with the
    overlay merged in (the grid replaced, `overlay_grid`), validated against the schema."""
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    root = Path(root)
    config = _read_yaml(root / CONFIG)
    if Path(configfile).resolve() != (root / CONFIG).resolve():
        overlay = _read_yaml(configfile)
        _merge(config, overlay)
        _replace_grid(config, overlay)
    try:
        validate(config, str(root / SCHEMA))
    except WorkflowError as err:
        raise SynfaceError(f"{configfile}: {_schema_violation(str(err))}") from None
    return config


def _schema_violation(report: str) -> str:
    """jsonschema's failure report (the whole schema and config dumped) as its message and the key
    it concerns: "-1 is less than the minimum of 0 (at config['seeds'][0])"."""
    message = re.search(r"ValidationError: (.*)", report)
    where = re.search(r"On instance((?:\[[^\]]*\])*):", report)
    text = message[1].strip() if message else " ".join(report.split())[:300]
    return f"{text} (at config{where[1]})" if where and where[1] else text
