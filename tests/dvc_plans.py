"""dvc.yaml's stages as `synface dvc-yaml --config CONFIGFILE` writes them, planned once per test process:
each plan starts Snakemake in a child process (2-4 s), and many tests read the same committed configs."""

from __future__ import annotations

import copy
import functools
from typing import Any

from repo_copy import CONFIG, ROOT

from synface.config import load_config
from synface.dvcgen import dvc_stages


@functools.cache
def _planned(configfile: str) -> dict[str, Any]:
    return dvc_stages(load_config(ROOT / configfile, ROOT), configfile)


def planned_dvc_yaml(configfile: str = CONFIG) -> dict[str, Any]:
    """The document for a config file of the checkout (a copy: callers may edit it)."""
    return copy.deepcopy(_planned(configfile))
