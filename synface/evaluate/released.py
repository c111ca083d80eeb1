"""The released checkpoints' table: each configured external checkpoint (e.g. the official SynFace
releases) evaluated on every test set, beside the accuracy it claims.

One row per checkpoint and test set, in config order. Columns: checkpoint (its name), file, arch,
input (HxW), test, accuracy (mean over the protocol's folds, %), std (over the folds, %), claimed
(%, empty where it claims none), delta (ours − claimed), profile (the world whose test sets they are:
`embedded` = the stand-in LFW and Syn-LFW).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from synface.analysis.tables import write_csv
from synface.evaluate.embed import Backbone
from synface.evaluate.verify import evaluate_model_on
from synface.experiments import ReleasedCheckpoint

COLUMNS = ["checkpoint", "file", "arch", "input", "test", "accuracy", "std", "claimed", "delta", "profile"]


def released_frame(
    checkpoints: Sequence[ReleasedCheckpoint],
    datasets: Mapping[str, str | os.PathLike[str]],
    profile: str,
    threads: int | None = None,
) -> pd.DataFrame:
    """Each checkpoint, loaded once, on each dataset of `datasets` (test set name -> folder)."""
    records = []
    for c in checkpoints:
        h, w = c["input_hw"]
        backbone = Backbone(c["arch"], (h, w), c["embedding"])
        results = evaluate_model_on(c["path"], list(datasets.values()), threads=threads, backbone=backbone)
        for test, metrics in zip(datasets, results, strict=True):
            accuracy, claimed = 100 * metrics["accuracy_mean"], c["claimed"].get(test, math.nan)
            records.append(
                {
                    "checkpoint": c["name"],
                    "file": Path(c["path"]).name,
                    "arch": c["arch"],
                    "input": f"{h}x{w}",
                    "test": test,
                    "accuracy": round(accuracy, 2),
                    "std": round(100 * metrics["accuracy_std"], 2),
                    "claimed": claimed,
                    "delta": round(accuracy - claimed, 2),
                    "profile": profile,
                }
            )
    return pd.DataFrame(records, columns=COLUMNS)


def write_released_table(
    checkpoints: Sequence[ReleasedCheckpoint],
    datasets: Mapping[str, str | os.PathLike[str]],
    out: str | os.PathLike[str],
    profile: str,
    threads: int | None = None,
) -> None:
    """Entry point: results/tables/released_checkpoints.csv."""
    write_csv(released_frame(checkpoints, datasets, profile, threads), out)
