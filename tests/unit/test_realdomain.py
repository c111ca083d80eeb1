import numpy as np
import pytest

from synface.data.imagefiles import Alignment, read_image
from synface.data.importers import import_lfw
from synface.data.pairs import parse_pairs
from synface.data.storage import Dataset
from synface.errors import SynfaceError
from synface.generator import lam as L
from synface.generator.align import TEMPLATE_112x96
from synface.generator.facemodel import build_face_model
from synface.generator.render import render_faces
from synface.generator.sampling import GenerationSettings, identity_lambdas
from synface.generator.synthesize import identity_range, merge_shards
from synface.realdomain import identities as ids
from synface.realdomain.appearance import APPEARANCE_DIM, real_face_model
from synface.realdomain.casia import generate_real_train
from synface.realdomain.lfw import lfw_protocol, write_standin_lfw, write_syn_lfw
from synface.realdomain.photos import render_photos

SETTINGS = ids.RealDomainSettings(seed=0, dataset="real-train")


def test_photos_independent_of_batch():
    keys = [(3, 0), (3, 1), (7, 2), (11, 0)]
    together = render_photos(SETTINGS, keys).images
    alone = np.concatenate([render_photos(SETTINGS, [k]).images for k in reversed(keys)])[::-1]
    np.testing.assert_array_equal(together, alone)
    assert not np.array_equal(together[0], together[1])  # images of one person differ


def test_real_train_shards_merge_to_the_whole(tmp_path):
    n_ids = 3
    generate_real_train(tmp_path / "whole", n_ids, progress=False)
    parts = [tmp_path / f"part{k}" for k in range(2)]
    for k, part in enumerate(parts):
        generate_real_train(part, n_ids, identities=identity_range(n_ids, k, 2), progress=False)
    merge_shards(parts, tmp_path / "merged")
    whole, merged = Dataset.open(tmp_path / "whole"), Dataset.open(tmp_path / "merged")
    np.testing.assert_array_equal(whole.images(), merged.images())
    assert whole.meta["name"].tolist() == merged.meta["name"].tolist()
    counts = whole.meta.groupby("identity").size().to_numpy()
    np.testing.assert_array_equal(counts, ids.real_train_counts(n_ids))
    folders = [name.split("/")[0] for name in whole.meta["name"].drop_duplicates()]
    assert folders == sorted(folders) and all(len(f) == 7 and f.isdigit() for f in folders)
    subset = whole.subset(2, 5, strict=False)  # Real_N_S: first identities, first images
    assert set(subset.meta["identity"]) == {0, 1} and subset.meta["image"].max() == 4


def test_casia_like_counts():
    counts = ids.real_train_counts(20000)
    assert counts.min() >= 2 and counts.max() <= 804
    assert abs(counts.mean() - 494_414 / 10_575) < 2.0
    assert counts.max() > 10 * np.median(counts)  # long tail
    np.testing.assert_array_equal(ids.real_train_counts(50), counts[:50])  # a prefix does not depend on n
    with pytest.raises(SynfaceError):
        ids.real_train_counts(0)


def test_domains_differ_but_share_the_face_model():
    n = 16
    real = render_photos(SETTINGS, [(i, i % 3) for i in range(n)])
    gs = GenerationSettings(n_ids=n, per_id=1, identity_mixup=False)
    syn = render_faces(np.concatenate([identity_lambdas(gs, i)[0] for i in range(n)]))

    def corner_texture(images):  # background clutter and sensor noise in the top-left corner
        p = images[:, :14, :14].astype(float).mean(-1)
        return np.abs(np.diff(p, axis=1)).mean() + np.abs(np.diff(p, axis=2)).mean()

    def noise_floor(images):  # |Laplacian| of the quietest quarter of pixels: sensor noise and JPEG lift it
        x = images.astype(float).mean(-1)
        lap = 4 * x[:, 1:-1, 1:-1] - x[:, :-2, 1:-1] - x[:, 2:, 1:-1] - x[:, 1:-1, :-2] - x[:, 1:-1, 2:]
        return np.quantile(np.abs(lap), 0.25)

    def alignment_error(landmarks):
        return np.linalg.norm(landmarks - TEMPLATE_112x96, axis=2).mean()

    assert corner_texture(real.images) > 2 * corner_texture(syn.images)
    assert noise_floor(real.images) > 1.5 * noise_floor(syn.images)
    assert alignment_error(real.landmarks) > alignment_error(syn.landmarks) + 0.5
    model, synthetic_model = real_face_model(), build_face_model()
    for name in ("vertices", "triangles", "mean_albedo", "shape_basis", "texture_basis", "expression_basis"):
        np.testing.assert_array_equal(getattr(model, name), getattr(synthetic_model, name))
    assert model.extra_texture_basis.shape[0] == SETTINGS.extra_texture + APPEARANCE_DIM


def test_extra_components_carry_identity():
    a, b = ids.identity(SETTINGS, 0), ids.identity(SETTINGS, 1)
    assert a.extra_shape.shape == (40,) and a.extra_texture.shape == (40,)
    lam = np.zeros((2, L.LAMBDA_DIM), np.float32)
    lam[:, L.IDENTITY] = a.coefficients  # same 160 coefficients: only the extra detail differs
    lam[:, L.ILLUMINATION][:, [0, 1, 2]] = 1.0
    es = np.stack([a.extra_shape, b.extra_shape])
    et = np.stack([np.r_[x.extra_texture, np.zeros(APPEARANCE_DIM, np.float32)] for x in (a, b)])
    images = render_faces(lam, real_face_model(), extra_shape=es, extra_texture=et).images
    assert np.abs(images[0].astype(int) - images[1].astype(int)).mean() > 0.05
    plain = render_faces(lam[:1]).images[0]  # what the synthetic generator can express
    assert not np.array_equal(plain, images[0])


def test_lfw_protocol_structure():
    protocol = lfw_protocol(400, folds=4, pairs_per_fold=20, seed=1)
    assert len(protocol.pairs) == 4 * 40
    people_by_fold = [set() for _ in range(4)]
    for k, pair in enumerate(protocol.pairs):
        fold, pos = divmod(k, 40)
        assert pair.fold == fold and pair.same == (pos < 20)
        assert (pair.name1 == pair.name2) == pair.same and (not pair.same or pair.n1 < pair.n2)
        people_by_fold[fold] |= {pair.name1, pair.name2}
    for f in range(4):
        for g in range(f + 1, 4):
            assert not people_by_fold[f] & people_by_fold[g]  # identity-disjoint folds
    assert len({(p.name1, p.n1, p.name2, p.n2) for p in protocol.pairs}) == len(protocol.pairs)
    with pytest.raises(SynfaceError, match="matched pairs"):
        lfw_protocol(20, folds=2, pairs_per_fold=50)


def test_standin_lfw_imports_like_real_lfw(tmp_path):
    counts = write_standin_lfw(tmp_path / "lfw", 80, folds=2, pairs_per_fold=5, progress=False)
    protocol = parse_pairs(tmp_path / "lfw" / "pairs.txt")
    assert (protocol.n_folds, protocol.n_per_fold, len(protocol.pairs)) == (2, 5, 20)
    assert (tmp_path / "lfw" / "pairs.txt").read_text().startswith("2\t5\n")
    imported = import_lfw(tmp_path / "lfw" / "lfw", tmp_path / "lfw" / "pairs.txt", tmp_path / "ds", Alignment("none"))
    assert imported == counts
    ds = Dataset.open(tmp_path / "ds")
    for row, pair in zip(ds.pairs.itertuples(), protocol.pairs, strict=True):
        left = ds.meta["name"].iloc[row.left]
        assert left == f"{pair.name1}/{pair.name1}_{pair.n1:04d}.jpg" and row.same == pair.same
        np.testing.assert_array_equal(ds.images([row.left])[0], read_image(tmp_path / "lfw" / "lfw" / left))
    # Syn-LFW: the same protocol, other (synthetic) faces
    write_syn_lfw(tmp_path / "syn", 80, folds=2, pairs_per_fold=5, progress=False)
    assert (tmp_path / "syn" / "pairs.txt").read_text() == (tmp_path / "lfw" / "pairs.txt").read_text()
    name = ds.meta["name"].iloc[0]
    assert not np.array_equal(read_image(tmp_path / "syn" / "lfw" / name), read_image(tmp_path / "lfw" / "lfw" / name))


def test_datasets_draw_disjoint_identities():
    lfw = ids.RealDomainSettings(dataset="lfw")
    train = np.stack([ids.identity(SETTINGS, i).coefficients for i in range(50)])
    test = np.stack([ids.identity(lfw, i).coefficients for i in range(50)])
    distances = np.linalg.norm(train[:, None] - test[None], axis=2)
    assert distances.min() > 5.0  # no test person is a training person
    with pytest.raises(SynfaceError, match="unknown stand-in dataset"):
        ids.RealDomainSettings(dataset="casia")


def test_samples_figure_is_byte_stable(tmp_path):
    from synface.figures.samples import samples_figure

    samples_figure(tmp_path / "a.png", n=3)
    samples_figure(tmp_path / "b.png", n=3)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
