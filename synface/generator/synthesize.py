"""Render a synthetic dataset (or one shard of it) into the project's storage.

Shards are ranges of identities; because λ and pixels depend only on (seed, identity,
image, settings), any shard split yields the same images, and `merge_shards` joins
them without copying pixels.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from synface.data.storage import LANDMARK_COLUMNS, Dataset, DatasetWriter, check_metadata
from synface.errors import SynfaceError
from synface.generator.render import render_faces
from synface.generator.sampling import GenerationSettings, identity_lambdas

IMAGE_SIZE = (112, 96)


def settings_attrs(settings: GenerationSettings) -> dict[str, object]:
    """What dataset.json records so the λ of every image can be rebuilt."""
    attrs = asdict(settings)
    attrs["kind"] = "synthetic"
    return attrs


def render_identities(settings: GenerationSettings, identities: Sequence[int]) -> tuple[np.ndarray, pd.DataFrame]:
    """Images (n, 112, 96, 3) and metadata of all images of the given identities."""
    parts = [identity_lambdas(settings, i) for i in identities]
    lambdas = np.concatenate([p[0] for p in parts])
    meta = pd.concat([p[1] for p in parts], ignore_index=True)
    result = render_faces(lambdas, size=IMAGE_SIZE)
    meta["name"] = ""
    meta[LANDMARK_COLUMNS] = result.landmarks.reshape(len(meta), -1)
    return result.images, check_metadata(meta, "render")


def identity_range(n_ids: int, shard: int, n_shards: int) -> range:
    """The identities of shard `shard` of `n_shards` (contiguous, near-equal)."""
    if not 0 <= shard < n_shards:
        raise SynfaceError(f"shard {shard} is outside 0..{n_shards - 1}")
    bounds = np.linspace(0, n_ids, n_shards + 1).round().astype(int)
    return range(bounds[shard], bounds[shard + 1])


def iter_rendered(
    settings: GenerationSettings,
    identities: range,
    *,
    ids_per_batch: int = 8,
    desc: str = "render",
    progress: bool = True,
) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
    """Render `identities` a batch of identities at a time, with a progress bar."""
    with tqdm(total=len(identities) * settings.per_id, unit="img", desc=desc, disable=not progress) as bar:
        for start in range(0, len(identities), ids_per_batch):
            images, meta = render_identities(settings, identities[start : start + ids_per_batch])
            yield images, meta
            bar.update(len(images))


def generate(
    settings: GenerationSettings,
    out: str | os.PathLike[str],
    *,
    identities: range | None = None,
    ids_per_batch: int = 8,
    progress: bool = True,
) -> Path:
    """Write the images of `identities` (default: all) as a dataset at `out`."""
    identities = identities if identities is not None else range(settings.n_ids)
    with DatasetWriter(out, *IMAGE_SIZE, settings_attrs(settings)) as writer:
        for images, meta in iter_rendered(
            settings, identities, ids_per_batch=ids_per_batch, desc=f"render {Path(out).name}", progress=progress
        ):
            writer.append(images, meta)
    return Path(out)


def merge_shards(shards: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str]) -> Path:
    """Join shard datasets (in identity order) into one dataset, linking their pixel files."""
    opened = [Dataset.open(s) for s in shards]
    if not opened:
        raise SynfaceError(f"{out}: no shards to merge")
    first = opened[0]
    for ds in opened[1:]:
        if ds.attrs != first.attrs or (ds.height, ds.width) != (first.height, first.width):
            raise SynfaceError(f"{ds.path}: shard settings differ from {first.path}")
    with DatasetWriter(out, first.height, first.width, first.attrs) as writer:
        for ds in opened:
            for shard_file, meta in ds.shards():
                writer.link_shard(shard_file, meta)
    return Path(out)
