"""Embeddings behind the paper's Fig. 4: real data and synthetic sets of increasing
intra-class variation, all seen through one fixed observer model."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from synface.analysis.features import feature_distribution
from synface.analysis.metrics import aggregate, load_metrics
from synface.data.storage import Dataset
from synface.evaluate.embed import embed, load_model
from synface.io.atomic import write_text
from synface.train.device import pick_device


def write_feature_distribution(
    observer: str | os.PathLike[str],
    sets: Sequence[Mapping[str, Any]],
    metrics_files: Sequence[str],
    out: str | os.PathLike[str],
    *,
    identities: int,
    images: int,
    seed: int = 0,
    threads: int | None = None,
) -> None:
    """Embed the first `identities` x `images` of each set with the observer model; project jointly.

    `sets`: dicts with name (training-set name, for its LFW accuracy), label and dataset (folder).
    """
    device = pick_device(threads)
    model, input_hw = load_model(observer, device)
    means = aggregate(load_metrics(metrics_files))
    on_lfw = means[means["test"] == "lfw"]
    lfw = dict(zip(on_lfw["train"], on_lfw["accuracy"], strict=True))  # mean over seeds, %
    embeddings, ids, accuracies, labels = {}, {}, {}, {}
    for s in sets:
        view = Dataset.open(s["dataset"]).subset(identities, images, strict=False)
        embeddings[s["name"]] = embed(model, view, np.arange(len(view)), input_hw, device)
        ids[s["name"]] = view.meta["identity"].to_numpy()
        accuracy = lfw.get(s["name"])
        accuracies[s["name"]] = None if accuracy is None else accuracy / 100
        labels[s["name"]] = s["label"]
    result = feature_distribution(embeddings, ids, accuracies, labels, seed=seed, model=str(observer))
    write_text(out, json.dumps(result, indent=1) + "\n")
