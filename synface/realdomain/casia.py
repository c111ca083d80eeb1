"""Stand-in CASIA-WebFace ("real-train") rendered into the project's dataset storage.

Identities are stored in sorted folder order with global indices, images by index, so the
paper's Real_N_S subsets are `Dataset.subset(N, S, strict=False)`. Shards are identity ranges;
every image depends only on (seed, identity, image), so any split merged with
`synface.generator.synthesize.merge_shards` equals the unsharded dataset.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from synface.data.storage import LANDMARK_COLUMNS, DatasetWriter, check_metadata
from synface.errors import SynfaceError
from synface.realdomain import identities as ids
from synface.realdomain.photos import render_photos

IMAGE_SIZE = (112, 96)
BATCH_IMAGES = 256


def real_train_settings(seed: int = 0) -> ids.RealDomainSettings:
    """The stand-in real domain's settings for stand-in CASIA-WebFace (its people and photos)."""
    return ids.RealDomainSettings(seed=seed, dataset="real-train")


def casia_folder(settings: ids.RealDomainSettings, index: int) -> str:
    """CASIA-style zero-padded folder number of identity `index`: increasing, with gaps, like CASIA's."""
    gap = int(ids.stream_rng(settings, ids.S_FOLDER, index).integers(0, 60))
    return f"{100 * index + 45 + gap:07d}"


def real_train_attrs(settings: ids.RealDomainSettings, n_ids: int) -> dict[str, object]:
    """What dataset.json records (identical for every shard, so shards merge)."""
    return {
        "kind": "stand-in-real",
        "dataset": settings.dataset,
        "seed": settings.seed,
        "n_ids": n_ids,
        "extra_shape": settings.extra_shape,
        "extra_texture": settings.extra_texture,
        "note": "simulated stand-in for CASIA-WebFace (synface.realdomain), not real photographs",
    }


def render_keys(settings: ids.RealDomainSettings, keys: Sequence[tuple[int, int]]) -> tuple[np.ndarray, pd.DataFrame]:
    """Images and storage metadata of the photos (identity, image) of `keys`."""
    photos = render_photos(settings, keys, size=IMAGE_SIZE)
    meta = photos.info.copy()
    meta["partner"] = -1
    meta["phi"] = 1.0
    folders = {i: casia_folder(settings, i) for i in meta["identity"].unique()}
    meta["name"] = [f"{folders[i]}/{j + 1:03d}.jpg" for i, j in zip(meta["identity"], meta["image"])]
    meta[LANDMARK_COLUMNS] = photos.landmarks.reshape(len(meta), -1)
    return photos.images, check_metadata(meta, "stand-in CASIA")


def generate_real_train(
    out: str | os.PathLike[str], n_ids: int, *, seed: int = 0, identities: range | None = None, progress: bool = True
) -> Path:
    """Write stand-in CASIA-WebFace of `n_ids` identities (or the `identities` shard of it) at `out`."""
    settings = real_train_settings(seed)
    identities = identities if identities is not None else range(n_ids)
    if identities.start < 0 or identities.stop > n_ids:
        raise SynfaceError(f"identities {identities.start}..{identities.stop - 1} lie outside 0..{n_ids - 1}")
    keys = [(i, j) for i in identities for j in range(ids.image_count(settings, i))]
    with (
        DatasetWriter(out, *IMAGE_SIZE, real_train_attrs(settings, n_ids)) as writer,
        tqdm(
            total=len(keys), unit="img", desc=f"render {Path(out).name}", file=sys.stderr, disable=not progress
        ) as bar,
    ):
        for a in range(0, len(keys), BATCH_IMAGES):
            images, meta = render_keys(settings, keys[a : a + BATCH_IMAGES])
            writer.append(images, meta)
            bar.update(len(images))
    return Path(out)
