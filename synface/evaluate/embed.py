"""Embeddings of a pair dataset's images by a trained model, and the pairs' cosine scores.

Each distinct image of the pairs is embedded once (LFW's 6,000 pairs touch 7,701
images). Images get the test transform of the official code: normalise to [-1, 1],
no augmentation; stored images larger than the model input are area-downscaled
exactly as in training. The optional flip test sums the embeddings of an image and
its mirror (off by default: the paper does not use it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from synface.data.storage import Dataset
from synface.errors import SynfaceError
from synface.io.progress import progress_bar
from synface.models.lresnet import build_backbone, load_backbone_checkpoint, load_backbone_state
from synface.runtime import modelfile
from synface.runtime.device import prepare_input, prepare_model
from synface.runtime.model_input import check_input_size, to_model_input


@dataclass(frozen=True)
class Backbone:
    """What rebuilds the backbone of a file that does not say it (an external checkpoint)."""

    arch: str
    input_hw: tuple[int, int]
    embedding: int


def load_model(
    path: str | os.PathLike[str], device: torch.device, backbone: Backbone | None = None
) -> tuple[torch.nn.Module, tuple[int, int]]:
    """The backbone of a `synface train` model file, in eval mode, and its input size (H, W).

    With `backbone`: any weights-only torch.save file holding that backbone's weights (the official
    SynFace releases: a dict with `state_dict`, keys prefixed `module.`), loaded with strict keys.
    """
    if backbone is None:
        payload = modelfile.load(path, modelfile.MODEL_FORMAT)
        input_hw = (int(payload["input_hw"][0]), int(payload["input_hw"][1]))
        model = build_backbone(payload["arch"], input_hw, int(payload["embedding"]))
        load_backbone_state(model, payload["state_dict"], source=str(path))
    else:
        input_hw = backbone.input_hw
        model = build_backbone(backbone.arch, input_hw, backbone.embedding)
        load_backbone_checkpoint(model, path)
    # a diverged run's NaN or inf weights would score every pair NaN: refuse them naming the file
    bad = [k for k, v in model.state_dict().items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise SynfaceError(f"{path}: {len(bad)} weight tensor(s) hold NaN or inf, first {bad[0]} (a diverged run?)")
    return prepare_model(model, device).eval(), input_hw


@torch.no_grad()
def embed(
    model: torch.nn.Module,
    ds: Dataset,
    rows: np.ndarray,
    input_hw: tuple[int, int],
    device: torch.device,
    *,
    batch: int = 256,
    flip: bool = False,
) -> np.ndarray:
    """Unit-length float32 embeddings (n, D) of the given dataset rows."""
    check_input_size((ds.height, ds.width), input_hw, str(ds.path))
    out = []
    with progress_bar(len(rows), f"embed {ds.path.name}", "img", leave=False) as bar:
        for start in range(0, len(rows), batch):
            images = torch.from_numpy(ds.images(rows[start : start + batch])).to(device)
            x = prepare_input(to_model_input(images, input_hw))
            f = model(x)  # fp32 even on CUDA: evaluation is cheap and should not depend on bf16 rounding
            if flip:
                f = f + model(x.flip(3))
            out.append(F.normalize(f, dim=1).cpu())
            bar.update(len(images))
    return torch.cat(out).numpy()


def pair_scores(
    model: torch.nn.Module,
    ds: Dataset,
    input_hw: tuple[int, int],
    device: torch.device,
    *,
    batch: int = 256,
    flip: bool = False,
) -> pd.DataFrame:
    """The dataset's pairs (left, right, same, fold) with the cosine similarity `score` of each."""
    if ds.pairs is None or len(ds.pairs) == 0:
        raise SynfaceError(f"{ds.path}: no verification pairs (pairs.csv)")
    pairs = ds.pairs.copy()
    rows, inverse = np.unique(pairs[["left", "right"]].to_numpy().ravel(), return_inverse=True)
    emb = embed(model, ds, rows, input_hw, device, batch=batch, flip=flip)
    left, right = emb[inverse[0::2]], emb[inverse[1::2]]
    pairs["score"] = np.sum(left * right, axis=1, dtype=np.float64)
    return pairs
