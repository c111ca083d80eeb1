"""Verification of a trained model on pair datasets under the LFW protocol."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from synface.data.storage import Dataset
from synface.evaluate.embed import Backbone, load_model, pair_scores
from synface.io.atomic import atomic_path
from synface.protocol import evaluate_scores, protocol_folds
from synface.runtime.device import pick_device


def evaluate_model(
    model_path: str | os.PathLike[str],
    dataset: str | os.PathLike[str],
    *,
    threads: int | None = None,
    batch: int = 256,
    flip: bool = False,
    scores_out: str | os.PathLike[str] | None = None,
    backbone: Backbone | None = None,
) -> dict[str, Any]:
    """Embed each distinct image of `dataset` once, score its pairs, apply the LFW protocol
    (`backbone`: the model file is an external checkpoint of it, see `load_model`)."""
    device = pick_device(threads)
    model, input_hw = load_model(Path(model_path), device, backbone)
    return _evaluate(model, input_hw, device, dataset, batch=batch, flip=flip, scores_out=scores_out)


def evaluate_model_on(
    model_path: str | os.PathLike[str],
    datasets: Sequence[str | os.PathLike[str]],
    *,
    threads: int | None = None,
    batch: int = 256,
    backbone: Backbone | None = None,
) -> list[dict[str, Any]]:
    """`evaluate_model` on each dataset in turn, loading the model once (the pipeline's one job per model)."""
    device = pick_device(threads)
    model, input_hw = load_model(Path(model_path), device, backbone)
    return [_evaluate(model, input_hw, device, dataset, batch=batch) for dataset in datasets]


def _evaluate(
    model: torch.nn.Module,
    input_hw: tuple[int, int],
    device: torch.device,
    dataset: str | os.PathLike[str],
    *,
    batch: int,
    flip: bool = False,
    scores_out: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    ds = Dataset.open(dataset)
    scores = pair_scores(model, ds, input_hw, device, batch=batch, flip=flip)
    n_folds = protocol_folds(scores["fold"].to_numpy(), str(Path(dataset) / "pairs.csv"))
    if scores_out is not None:
        with atomic_path(scores_out) as tmp:
            scores.to_csv(tmp, index=False)  # full precision: --scores reproduces the metrics exactly
    return evaluate_scores(scores["score"].to_numpy(), scores["same"].to_numpy(), n_folds)
