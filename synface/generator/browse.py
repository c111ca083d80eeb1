"""The browsable form of a synthetic set: JPEGs named by the official SynFace convention.

`DIR/{i:05}/{j:03}_{i:05}x{φ:.3f}_({k:05})x{1−φ:.3f}.jpg` (1-based i, j, k) plus
`DIR/metadata.csv`, whose identity, image and partner columns are the same 1-based i, j, k (a stored
dataset's metadata.csv holds 0-based class indices); this is what people look at and what other tools read. Stand-in
real photos use the same layout (`synface.realdomain.browse`), so both domains look alike.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from synface.generator.sampling import GenerationSettings
from synface.generator.synthesize import iter_rendered
from synface.io.atomic import naming_write_errors, new_folder

JPEG_QUALITY = 95


def synface_image_name(identity: int, image: int, partner: int, phi: float) -> str:
    """The official file name of image `image` of `identity` (0-based in, 1-based out)."""
    return f"{image + 1:03d}_{identity + 1:05d}x{phi:.3f}_({partner + 1:05d})x{1 - phi:.3f}.jpg"


def write_browsable(settings: GenerationSettings, out: str | os.PathLike[str], *, ids_per_batch: int = 8) -> Path:
    """Render every image of `settings` as JPEGs under `out` (atomically) and return it."""
    return write_browsable_batches(iter_rendered(settings, range(settings.n_ids), ids_per_batch=ids_per_batch), out)


def write_browsable_batches(batches: Iterable[tuple[np.ndarray, pd.DataFrame]], out: str | os.PathLike[str]) -> Path:
    """Write (images, metadata) batches as officially named JPEGs plus metadata.csv under `out` (atomically).

    Any domain's batches: the names need only identity, image, partner (-1: none) and phi.
    """
    out = Path(out)
    with new_folder(out) as tmp:
        metas = []
        for images, meta in batches:
            partners = meta["partner"].where(meta["partner"] >= 0, meta["identity"])
            meta["name"] = [
                f"{i + 1:05d}/{synface_image_name(i, j, k, phi)}"
                for i, j, k, phi in zip(meta["identity"], meta["image"], partners, meta["phi"], strict=True)
            ]
            for image, name in zip(images, meta["name"], strict=True):
                (tmp / name).parent.mkdir(exist_ok=True)
                with naming_write_errors(out / name):
                    Image.fromarray(image).save(tmp / name, quality=JPEG_QUALITY)
            # the listing numbers as the names do (from 1, partner k = i without IM), not as class indices
            metas.append(meta.assign(identity=meta["identity"] + 1, image=meta["image"] + 1, partner=partners + 1))
        pd.concat(metas, ignore_index=True).to_csv(tmp / "metadata.csv", index=False, float_format="%.6g")
    return out
