import itertools

import numpy as np
import pytest

from synface.generator import lam as L
from synface.generator.facemodel import FEATURE_SHAPE_COMPONENTS, HAIR_VOLUME, build_face_model


@pytest.fixture(scope="module")
def model():
    return build_face_model()


def test_lambda_layout():
    assert L.LAMBDA_DIM == 286
    spans = [L.ID_SHAPE, L.ID_TEX, L.EXPRESSION, L.POSE, L.ILLUMINATION, L.NOISE]
    assert spans[0].start == 0 and spans[-1].stop == 286
    for a, b in itertools.pairwise(spans):
        assert a.stop == b.start
    assert L.IDENTITY == slice(0, 160)


def test_shapes_and_finite(model):
    V = model.n_vertices
    assert V <= 15000
    assert model.vertices.shape == (V, 3) and model.mean_albedo.shape == (V, 3)
    assert model.triangles.dtype == np.int32 and model.triangles.shape[1] == 3
    assert model.triangles.min() >= 0 and model.triangles.max() < V
    assert model.shape_basis.shape == (80, V, 3)
    assert model.texture_basis.shape == (80, V, 3)
    assert model.expression_basis.shape == (64, V, 3)
    assert model.extra_shape_basis.shape[0] == 0
    rng = np.random.default_rng(0)
    g = model.geometry(rng.standard_normal(80), rng.normal(0, 0.5, 64))
    assert g.shape == (V, 3) and np.isfinite(g).all()
    a = model.albedo(rng.standard_normal(80))
    assert a.min() >= 0 and a.max() <= 1
    assert ((model.mean_albedo >= 0) & (model.mean_albedo <= 1)).all()
    assert model.landmark_index.shape == (5,)


def test_shape_spread_is_anthropometric_then_decaying(model):
    named = len(model.shape_std) - 55  # the 25 named components carry population SDs (cm)
    assert named == 25 and np.all((0.1 <= model.shape_std[:named]) & (model.shape_std[:named] <= 0.6))
    assert 0.1 <= model.shape_std[HAIR_VOLUME] <= 0.6  # hair volume is a population SD too
    bumps = np.setdiff1d(np.arange(named, len(model.shape_std)), [HAIR_VOLUME])
    assert np.all(np.diff(model.shape_std[bumps]) < 0)
    assert np.all(np.diff(model.texture_std) < 0)
    peak = np.linalg.norm(model.shape_basis, axis=2).max(1)
    on_mesh = np.setdiff1d(np.arange(len(peak)), FEATURE_SHAPE_COMPONENTS)
    np.testing.assert_allclose(peak[on_mesh], model.shape_std[on_mesh], rtol=1e-4)
    assert np.all(peak[FEATURE_SHAPE_COMPONENTS] == 0)  # they shape the per-pixel features
    assert np.all(np.abs(model.texture_basis).reshape(80, -1).max(1) <= model.texture_std * (1 + 1e-5))


def test_landmarks_layout(model):
    p = model.vertices[model.landmark_index]
    # left (image-left, x<0) eye / mouth corner, nose tip in front, mouth below eyes
    assert p[0, 0] < 0 < p[1, 0] and p[3, 0] < 0 < p[4, 0]
    assert p[2, 2] > p[[0, 1, 3, 4], 2].max()
    assert p[3, 1] < p[2, 1] < p[0, 1]


def test_expressions_move_the_right_way(model):
    V = model.n_vertices
    zero = np.zeros(80)
    neutral = model.geometry(zero, np.zeros(64))
    jaw = np.zeros(64)
    jaw[L.EXPRESSION_JAW_OPEN] = 1.0
    g = model.geometry(zero, jaw)
    chin = model.region["face"] > 0.5
    chin &= model.vertices[:, 1] < -7.5
    assert chin.sum() > 5
    assert (g[chin, 1] - neutral[chin, 1]).mean() < -0.3
    smile = np.zeros(64)
    smile[L.EXPRESSION_SMILE] = 1.0
    g = model.geometry(zero, smile)
    corners = model.landmark_index[3:]
    assert np.all(g[corners, 1] - neutral[corners, 1] > 0.2)
    assert g[corners[0], 0] < neutral[corners[0], 0] and g[corners[1], 0] > neutral[corners[1], 0]
    assert V == g.shape[0]


def test_extra_bases_and_determinism():
    m = build_face_model(8, 6)
    assert m.extra_shape_basis.shape == (8, m.n_vertices, 3)
    assert m.extra_texture_basis.shape == (6, m.n_vertices, 3)
    assert np.abs(m.extra_shape_basis).max() < m.shape_std[0]
    base = build_face_model()
    np.testing.assert_array_equal(m.shape_basis, base.shape_basis)
    g = m.geometry(np.zeros(80), np.zeros(64), extra=np.ones(8))
    assert np.isfinite(g).all() and not np.array_equal(g, base.vertices)
