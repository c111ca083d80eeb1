"""The dataset storage: round trip, subset views, atomic publication."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synface.data.storage import Dataset, DatasetWriter, empty_metadata
from synface.errors import SynfaceError


def _shard(ids: range, per_id: int, h: int = 4, w: int = 3) -> tuple[np.ndarray, pd.DataFrame]:
    n = len(ids) * per_id
    meta = empty_metadata(n)
    meta["identity"] = np.repeat(list(ids), per_id)
    meta["image"] = np.tile(np.arange(per_id), len(ids))
    images = np.zeros((n, h, w, 3), np.uint8)
    images[..., 0] = meta["identity"].to_numpy()[:, None, None]
    images[..., 1] = meta["image"].to_numpy()[:, None, None]
    return images, meta


def _write(path, shards=((0, 3), (3, 5)), per_id=4):
    with DatasetWriter(path, 4, 3, {"kind": "test"}) as writer:
        for a, b in shards:
            writer.append(*_shard(range(a, b), per_id))
    return Dataset.open(path)


def test_round_trip_across_shards(tmp_path):
    ds = _write(tmp_path / "ds")
    assert len(ds) == 20 and ds.num_identities == 5 and ds.attrs == {"kind": "test"}
    images = ds.images()
    np.testing.assert_array_equal(images[:, 0, 0, 0], ds.meta["identity"])
    np.testing.assert_array_equal(images[:, 0, 0, 1], ds.meta["image"])
    # a gather crossing the shard boundary keeps the requested order
    picked = ds.images([13, 2, 11])
    np.testing.assert_array_equal(picked[:, 0, 0, 0], [3, 0, 2])


def test_subset_is_a_view_of_first_ids_and_images(tmp_path):
    ds = _write(tmp_path / "ds")
    sub = ds.subset(2, 3)
    assert len(sub) == 6
    assert sorted(set(sub.meta["identity"])) == [0, 1]
    np.testing.assert_array_equal(sub.images()[:, 0, 0, 1], [0, 1, 2, 0, 1, 2])
    with pytest.raises(SynfaceError, match="identities"):
        ds.subset(6, 1)
    with pytest.raises(SynfaceError, match="images per identity"):
        ds.subset(2, 5)
    assert len(ds.subset(2, 5, strict=False)) == 8


def test_failed_write_leaves_nothing(tmp_path):
    out = tmp_path / "ds"
    with pytest.raises(RuntimeError), DatasetWriter(out, 4, 3) as writer:
        writer.append(*_shard(range(2), 2))
        raise RuntimeError("disk full")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_refuses_non_empty_output_and_wrong_shapes(tmp_path):
    out = tmp_path / "ds"
    out.mkdir()
    (out / "x").write_text("keep me")
    with pytest.raises(SynfaceError, match="not an empty folder"):
        DatasetWriter(out, 4, 3)
    with pytest.raises(SynfaceError, match="does not match"), DatasetWriter(tmp_path / "other", 5, 3) as writer:
        writer.append(*_shard(range(1), 1))


def test_open_rejects_non_dataset(tmp_path):
    with pytest.raises(SynfaceError, match="dataset.json"):
        Dataset.open(tmp_path)
