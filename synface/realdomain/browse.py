"""Stand-in real photos in the synthetic sets' browsable layout, so both domains are looked at alike.

Photos 1..M of stand-in CASIA-WebFace identities 1..N (`synface.realdomain.casia`), named as
SynFace names an image without mixup (`{j:03}_{i:05}x1.000_({i:05})x0.000.jpg`); metadata.csv
also records what was drawn for each photo (scene, accessories, camera).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from synface.errors import SynfaceError
from synface.generator.browse import write_browsable_batches
from synface.io.progress import progress_bar
from synface.realdomain.casia import real_train_settings, render_keys
from synface.realdomain.identities import RealDomainSettings


def iter_photos(
    settings: RealDomainSettings, n_ids: int, per_id: int, *, ids_per_batch: int = 8, progress: bool = True
) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
    """Photos 0..per_id-1 of identities 0..n_ids-1, a batch of identities at a time, with a progress bar."""
    with progress_bar(n_ids * per_id, "render", "img", disable=not progress) as bar:
        for start in range(0, n_ids, ids_per_batch):
            identities = range(start, min(start + ids_per_batch, n_ids))
            images, meta = render_keys(settings, [(i, j) for i in identities for j in range(per_id)])
            yield images, meta
            bar.update(len(images))


def write_browsable_real(n_ids: int, per_id: int, out: str | os.PathLike[str], *, seed: int = 0) -> Path:
    """Render `per_id` stand-in real photos of each of `n_ids` identities as JPEGs under `out` (atomically)."""
    if n_ids < 1 or per_id < 1:
        raise SynfaceError(f"identity and image counts must be positive, got ids={n_ids} per_id={per_id}")
    return write_browsable_batches(iter_photos(real_train_settings(seed), n_ids, per_id), out)
