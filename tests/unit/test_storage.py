"""The dataset storage: round trip, subset views, atomic publication, checks of what is read."""

from __future__ import annotations

import json

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
    with pytest.raises(SynfaceError, match="not an empty folder"), DatasetWriter(out, 4, 3):  # checked once locked
        pass
    assert [p.name for p in out.iterdir()] == ["x"]
    with pytest.raises(SynfaceError, match="does not match"), DatasetWriter(tmp_path / "other", 5, 3) as writer:
        writer.append(*_shard(range(1), 1))


def test_open_rejects_non_dataset(tmp_path):
    with pytest.raises(SynfaceError, match="dataset.json"):
        Dataset.open(tmp_path)


def test_failed_index_write_publishes_nothing_and_releases_the_output(tmp_path):
    out = tmp_path / "ds"
    with pytest.raises(SynfaceError, match="a pair points outside the 4 images"), DatasetWriter(out, 4, 3) as writer:
        writer.append(*_shard(range(2), 2))
        writer.set_pairs(pd.DataFrame({"left": [0], "right": [4], "same": [True], "fold": [0]}))
    assert list(tmp_path.iterdir()) == []  # no dataset, temporary or lock file
    assert len(_write(out)) == 20  # and the output is free again


@pytest.mark.parametrize(
    ("shard", "message"),
    [
        ({"file": "../../escape.npy", "count": 20}, "shards[0].file '../../escape.npy'"),
        ({"file": "/tmp/escape.npy", "count": 20}, "shards[0].file '/tmp/escape.npy'"),
        ({"file": "..", "count": 20}, "shards[0].file '..'"),
        ({"count": 20}, "shards[0].file None"),
        ({"file": "shard-00000.npy", "count": -1}, "shards[0].count -1"),
    ],
)
def test_open_refuses_a_shard_outside_the_dataset_naming_the_key(tmp_path, shard, message):
    path = tmp_path / "ds"
    _write(path, shards=((0, 5),))
    info_file = path / "dataset.json"
    info = json.loads(info_file.read_text())
    info["shards"] = [shard]
    info_file.write_text(json.dumps(info))
    with pytest.raises(SynfaceError) as err:
        Dataset.open(path)
    assert str(err.value).startswith(f"{info_file}: {message}")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("-1,3,True,0", ":3: left '-1' is not an image index 0..19"),
        ("0,20,True,0", ":3: right '20' is not an image index 0..19"),
        ("0,1.5,True,0", ":3: right '1.5' is not an image index 0..19"),
        ("0,1,yes,0", ":3: same 'yes' is not True or False"),
        ("0,1,True,", ":3: fold '' is not a fold number"),
    ],
)
def test_open_refuses_pairs_outside_the_images_naming_file_and_line(tmp_path, row, message):
    path = tmp_path / "ds"
    _write(path)
    (path / "pairs.csv").write_text(f"left,right,same,fold\n0,19,False,0\n{row}\n")
    with pytest.raises(SynfaceError) as err:
        Dataset.open(path)
    assert str(err.value) == f"{path / 'pairs.csv'}{message}"


def test_open_reads_valid_pairs_typed(tmp_path):
    path = tmp_path / "ds"
    _write(path)
    (path / "pairs.csv").write_text("left,right,same,fold\n0,19,False,0\n4,7,True,1\n")
    pairs = Dataset.open(path).pairs
    assert pairs.to_dict("list") == {"left": [0, 4], "right": [19, 7], "same": [False, True], "fold": [0, 1]}
    assert pairs["same"].dtype == bool and pairs["left"].dtype == np.int64


def test_open_reads_shard_headers_not_pixels_and_the_images_come_back_bit_identical(tmp_path, monkeypatch):
    written = [_shard(range(3), 4)[0], _shard(range(3, 5), 4)[0]]
    _write(tmp_path / "ds")
    loads = []
    real_load = np.load
    monkeypatch.setattr(np, "load", lambda *a, **kw: loads.append(a) or real_load(*a, **kw))
    ds = Dataset.open(tmp_path / "ds")
    assert loads == []  # checked from the .npy headers and file sizes; pixels are mapped on first use
    assert ds.images().tobytes() == np.concatenate(written).tobytes()
    assert len(loads) == 2


def _crafts() -> dict[str, tuple]:
    def shard_bytes(ds, data):
        (ds / "shard-00000.npy").write_bytes(data)

    def info(ds, change):
        doc = json.loads((ds / "dataset.json").read_text())
        change(doc)
        (ds / "dataset.json").write_text(json.dumps(doc))

    return {
        "shard-missing": (lambda ds: (ds / "shard-00001.npy").unlink(), r"shard-00001\.npy: shard file does not exist"),
        "shard-not-npy": (lambda ds: shard_bytes(ds, b"PK\x03\x04 zip"), r"shard-00000\.npy: not a \.npy shard"),
        "shard-other-shape": (
            lambda ds: np.save(ds / "shard-00000.npy", np.zeros((12, 4, 4, 3), np.uint8)),
            r"shard-00000\.npy: shard holds uint8 \(12, 4, 4, 3\), dataset\.json says uint8 \(12, 4, 3, 3\)",
        ),
        "shard-float": (
            lambda ds: np.save(ds / "shard-00000.npy", np.zeros((12, 4, 3, 3), np.float32)),
            r"shard holds float32 \(12, 4, 3, 3\)",
        ),
        "json-a-list": (lambda ds: (ds / "dataset.json").write_text("[]"), r"dataset\.json: not a JSON object"),
        "json-binary": (
            lambda ds: (ds / "dataset.json").write_bytes(b"\xff\xfe{"),
            r"dataset\.json: not UTF-8 text \(byte 0: invalid start byte\)$",
        ),
        "count-a-string": (lambda ds: info(ds, lambda d: d.update(count="20")), r"count '20' is not an integer >= 0"),
        "width-zero": (lambda ds: info(ds, lambda d: d.update(width=0)), r"width 0 is not an integer >= 1"),
        "attrs-a-list": (lambda ds: info(ds, lambda d: d.update(attrs=[])), r"attrs is not an object"),
        "metadata-missing": (lambda ds: (ds / "metadata.csv").unlink(), r"metadata\.csv: missing"),
        "metadata-empty": (lambda ds: (ds / "metadata.csv").write_text(""), r"metadata\.csv: unreadable CSV"),
    }


@pytest.mark.parametrize("craft, message", list(_crafts().values()), ids=list(_crafts()))
def test_open_refuses_crafted_internals_in_one_line(tmp_path, craft, message):
    _write(tmp_path / "ds")
    craft(tmp_path / "ds")
    with pytest.raises(SynfaceError, match=message) as err:
        Dataset.open(tmp_path / "ds")
    assert "\n" not in str(err.value) and str(tmp_path / "ds") in str(err.value)
