"""Synthetic sets end to end: shard-split determinism, storage, the `synface render` CLI."""

from __future__ import annotations

import errno
import json

import numpy as np
import pandas as pd
import pytest

from synface.cli import main
from synface.data.storage import Dataset
from synface.generator.browse import synface_image_name
from synface.generator.sampling import GenerationSettings
from synface.generator.synthesize import generate, identity_range, merge_shards


def _error_lines(stderr: str) -> list[str]:
    """The error messages, apart from progress-bar output."""
    return [line[line.index("synface: error") :] for line in stderr.splitlines() if "synface: error" in line]


SETTINGS = GenerationSettings(n_ids=6, per_id=3, identity_mixup=True, factor="all", seed=11)


def test_pixels_do_not_depend_on_shard_split_or_batch_size(tmp_path):
    whole = Dataset.open(generate(SETTINGS, tmp_path / "whole", ids_per_batch=6, progress=False))
    shards = [
        generate(
            SETTINGS,
            tmp_path / f"shard{k}",
            identities=identity_range(SETTINGS.n_ids, k, 3),
            ids_per_batch=1,
            progress=False,
        )
        for k in range(3)
    ]
    merged = Dataset.open(merge_shards(shards, tmp_path / "merged"))
    np.testing.assert_array_equal(whole.images(), merged.images())
    assert whole.meta.equals(merged.meta)
    assert merged.attrs["kind"] == "synthetic" and merged.attrs["seed"] == 11


def test_subset_view_equals_rendering_the_smaller_set_of_the_same_setting(tmp_path):
    big = Dataset.open(generate(SETTINGS, tmp_path / "big", progress=False))
    sub = big.subset(2, 2)
    assert list(sub.meta["identity"]) == [0, 0, 1, 1] and list(sub.meta["image"]) == [0, 1, 0, 1]
    np.testing.assert_array_equal(sub.images(), big.images([0, 1, 3, 4]))


def test_stored_landmarks_sit_near_the_template(tmp_path):
    from synface.generator.align import TEMPLATE_112x96

    frontal = GenerationSettings(n_ids=4, per_id=2, identity_mixup=False, factor="none", seed=0)
    ds = Dataset.open(generate(frontal, tmp_path / "ds", progress=False))
    lms = ds.meta[[c for c in ds.meta.columns if c.startswith("lm")]].to_numpy().reshape(-1, 5, 2)
    assert np.median(np.linalg.norm(lms - TEMPLATE_112x96, axis=-1)) < 6


def test_render_cli_round_trips_through_the_synface_importer(tmp_path, capsys):
    out = tmp_path / "browse"
    assert main(["render", "--ids", "4", "--per-id", "2", "--seed", "3", "--out", str(out)]) == 0
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.jpg"))
    assert len(names) == 8 and names[0].startswith("00001/001_00001x")
    listing = pd.read_csv(out / "metadata.csv")
    assert len(listing) == 8
    for row in listing.itertuples():  # one numbering: each row's numbers are its file's (folder, j, i, k)
        folder, name = row.name.split("/")
        assert (int(folder), row.image, row.identity) == (row.identity, int(name[:3]), int(name[4:9]))
        assert name == synface_image_name(row.identity - 1, row.image - 1, row.partner - 1, row.phi)
    capsys.readouterr()
    assert main(["import", "synface", str(out), "--out", str(tmp_path / "ds")]) == 0
    counts = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert counts == {"identities": 4, "images": 8, "pairs": 0}
    ds = Dataset.open(tmp_path / "ds")
    settings = GenerationSettings(4, 2, seed=3)
    from synface.generator.sampling import mixup_labels

    partners, phi = mixup_labels(settings, 0)
    first = ds.meta.iloc[:2]
    assert list(first["partner"]) == list(partners) and np.allclose(first["phi"], phi)


def test_official_file_name_convention():
    assert synface_image_name(identity=0, image=4, partner=9, phi=0.35) == "005_00001x0.350_(00010)x0.650.jpg"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ids", "0", "--per-id", "2"], "positive"),
        (["--ids", "3", "--per-id", "2", "--factor", "hair"], "unknown factor mode"),
        (["--ids", "3", "--per-id", "3"], "distinct partner"),
    ],
)
def test_render_cli_rejects_bad_input(tmp_path, capsys, args, message):
    out = tmp_path / "out"
    assert main(["render", *args, "--out", str(out)]) == 2
    errors = _error_lines(capsys.readouterr().err)
    assert len(errors) == 1 and message in errors[0]
    assert not out.exists()


def test_render_cli_refuses_a_non_empty_output(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("x")
    assert main(["render", "--ids", "2", "--per-id", "1", "--out", str(tmp_path)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_full_disk_gives_one_line_and_no_half_written_folder(tmp_path, capsys, monkeypatch):
    from PIL import Image

    def no_space(self, fp, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(fp))

    monkeypatch.setattr(Image.Image, "save", no_space)
    out = tmp_path / "out"
    assert main(["render", "--ids", "2", "--per-id", "1", "--out", str(out)]) == 2
    errors = _error_lines(capsys.readouterr().err)
    assert len(errors) == 1 and "No space left on device" in errors[0]
    assert list(tmp_path.iterdir()) == []
