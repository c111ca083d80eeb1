"""Is a run converged? Its per-step losses (steps.csv, written by synface.train.loop), summarised.

A run's end is judged on its last two tenths of SGD steps: the final loss is the mean of the
last tenth, and the end fall is how much the mean loss still fell from the tenth before,
relative to the final loss. A run whose loss is flat at the end falls by less than FLAT_FALL.

`results/tables/final_loss.csv` gives this per paper-table training set over its seeds (columns
table, train, seeds, steps, epochs, final_loss: mean over seeds, end_fall_pct: the largest over
seeds, in %, flat: every seed below FLAT_FALL).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from synface.errors import SynfaceError

END_WINDOW = 0.1  # the loss's flatness is judged on the last two tenths of the steps
# A flat end: the mean loss of the last tenth of the steps is within 2 % of the tenth before
# (the LR is then at 1/1000 of its peak; a loss still falling faster is still being optimised).
FLAT_FALL = 0.02
STEPS_COLUMNS = ("step", "epoch", "loss")
FINAL_LOSS_COLUMNS = ["table", "train", "seeds", "steps", "epochs", "final_loss", "end_fall_pct", "flat"]


def read_steps(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A run's steps file: numeric step, epoch and loss columns, at least one row."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError as err:
        raise SynfaceError(f"{path}: steps file not found") from err
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise SynfaceError(f"{path}: cannot read steps file ({err})") from err
    missing = [c for c in STEPS_COLUMNS if c not in frame.columns]
    if missing:
        raise SynfaceError(f"{path}: steps file lacks column(s) {', '.join(missing)}")
    if frame.empty or not all(pd.api.types.is_numeric_dtype(frame[c]) for c in STEPS_COLUMNS):
        raise SynfaceError(f"{path}: steps file must hold numeric step, epoch and loss rows")
    return frame


def loss_summary(losses: np.ndarray) -> tuple[float, float]:
    """(final loss, end fall): the mean loss of the last tenth of the steps, and its relative fall
    from the tenth before: (mean(second-last tenth) - mean(last tenth)) / mean(last tenth)."""
    window = max(1, round(END_WINDOW * len(losses)))
    last = float(np.mean(losses[-window:]))
    before = float(np.mean(losses[-2 * window : -window])) if len(losses) >= 2 * window else last
    return last, (before - last) / last


def final_loss_frame(runs: Mapping[str, Mapping[str, Sequence[str | os.PathLike[str]]]]) -> pd.DataFrame:
    """`runs`: per table, per training set, its steps files (one per seed); one row per training set."""
    records = []
    for table, sets in runs.items():
        for train, files in sets.items():
            frames = [read_steps(f) for f in files]
            summaries = np.array([loss_summary(f["loss"].to_numpy(float)) for f in frames])
            records.append(
                {
                    "table": table,
                    "train": train,
                    "seeds": len(frames),
                    "steps": int(np.mean([len(f) for f in frames])),
                    "epochs": int(np.mean([f["epoch"].max() for f in frames])),
                    "final_loss": float(summaries[:, 0].mean()),
                    "end_fall_pct": 100.0 * float(summaries[:, 1].max()),
                    "flat": bool((summaries[:, 1] < FLAT_FALL).all()),
                }
            )
    return pd.DataFrame(records, columns=FINAL_LOSS_COLUMNS)
