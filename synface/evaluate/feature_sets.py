"""Embeddings behind the paper's Fig. 4: real data and synthetic sets of increasing
intra-class variation, each seed's observer model seeing them all."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from synface.analysis.features import feature_distribution, observer_record
from synface.analysis.metrics import aggregate, load_metrics
from synface.data.storage import Dataset
from synface.evaluate.embed import embed, load_model
from synface.io.atomic import write_text
from synface.runtime.device import pick_device


def write_feature_distribution(
    observers: Sequence[str | os.PathLike[str]],
    sets: Sequence[Mapping[str, Any]],
    metrics_files: Sequence[str],
    out: str | os.PathLike[str],
    *,
    identities: int,
    images: int,
    seed: int = 0,
    threads: int | None = None,
) -> None:
    """Embed the first `identities` x `images` of each set with each observer model (one per seed)
    and project jointly; the first observer's projection is the figure's.

    `sets`: dicts with name (training-set name, for its LFW accuracy), label and dataset (folder).
    """
    device = pick_device(threads)
    means = aggregate(load_metrics(metrics_files))
    on_lfw = means[means["test"] == "lfw"]
    lfw = dict(zip(on_lfw["train"], on_lfw["accuracy"], strict=True))  # mean over seeds, %
    views = {s["name"]: Dataset.open(s["dataset"]).subset(identities, images, strict=False) for s in sets}
    ids = {name: view.meta["identity"].to_numpy() for name, view in views.items()}
    accuracies = {name: None if lfw.get(name) is None else lfw[name] / 100 for name in views}
    labels = {s["name"]: s["label"] for s in sets}
    results = []
    for observer in observers:
        model, input_hw = load_model(observer, device)
        embeddings = {name: embed(model, view, np.arange(len(view)), input_hw, device) for name, view in views.items()}
        results.append(feature_distribution(embeddings, ids, accuracies, labels, seed=seed, model=str(observer)))
    result = {**results[0], "observers": [observer_record(r) for r in results]}
    write_text(out, json.dumps(result, indent=1) + "\n")
