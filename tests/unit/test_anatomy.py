"""Per-pixel anatomy: features at hand-picked surface points, their identity tints, the noise."""

from __future__ import annotations

import numpy as np
import pytest

from synface.generator import lam as L
from synface.generator.anatomy import (
    N_PARAMS,
    P_BALD,
    P_HAIRLINE,
    P_PARTING,
    P_PARTING_X,
    P_PUPIL,
    feature_params,
    measured,
    mouth_interior,
    surface_albedo,
    value_noise,
)
from synface.generator.facemodel import (
    BROW_Y,
    CANTHAL_TILT,
    EYE_HALF_HEIGHT_UPPER,
    EYE_OPENING,
    EYE_X,
    EYE_Y,
    F_BROW,
    F_HAIR,
    F_IRIS,
    F_LASH,
    F_MOUTH,
    F_SCLERA,
    F_TEETH,
    FAIR_HAIR,
    FEATURE_BASE,
    HAIR,
    HAIR_FAIRNESS,
    HAIR_REDNESS,
    HAIR_SKIN_CORRELATION,
    HAIR_THICKNESS,
    HAIR_VOLUME,
    HAIR_VOLUME_SD,
    HAIRLINE_COMPONENT,
    HAIRLINE_Y,
    NAMED_SHAPE_DIM,
    PARTING_COMPONENT,
    SHAPE_FACTORS,
    SKIN,
    SKIN_TONE,
    _sky_visibility,
    build_face_model,
    feature_albedo,
    hairline,
)


def albedo_at(x: float, y: float, u: float = 0.0, lam: np.ndarray | None = None) -> np.ndarray:
    lam = np.zeros((1, L.LAMBDA_DIM)) if lam is None else lam
    lam[0, L.ILLUMINATION.start : L.ILLUMINATION.start + 3] = 0.9
    alb = SKIN.copy()
    above = y - float(hairline(u))  # as FaceModel.surface stores it
    params = feature_params(measured(lam))[0]
    surface_albedo(alb, x, y, np.cos(u), above, feature_albedo(lam[:, L.ID_TEX])[0], params)
    return alb


def test_value_noise_is_deterministic_bounded_and_smooth():
    xs = np.linspace(-5, 5, 401)
    v = np.array([value_noise(x, 0.3 * x, 4) for x in xs])
    assert np.all((v >= 0) & (v < 1)) and v.std() > 0.1
    assert np.abs(np.diff(v)).max() < 0.1  # 40 samples per lattice cell: no jumps
    assert value_noise(1.7, 2.2, 4) == value_noise(1.7, 2.2, 4) != value_noise(1.7, 2.2, 5)


def test_surface_coordinates_of_the_model():
    model = build_face_model()
    _, _, cu, above = model.surface.T
    assert np.all(np.abs(cu) <= 1) and np.isclose(cu.max(), 1.0)
    hair = model.region["hair"] > 0.9
    assert np.all(above[hair] > 0) and np.all(above[model.landmark_index] < 0)  # hair above, eyes/nose/mouth below
    assert hairline(0.3) > hairline(1.2) > hairline(2.5) and float(hairline(0.0)) == HAIRLINE_Y
    # the temporal hairline runs down to the sideburn in front of the ear, below eye level, and arcs over the ear
    assert hairline(np.deg2rad(82.0)) < EYE_Y < hairline(np.deg2rad(95.0))


def test_eye_draws_pupil_iris_and_sclera_where_anatomy_puts_them():
    pupil, iris, sclera = albedo_at(EYE_X, EYE_Y), albedo_at(EYE_X + 0.45, EYE_Y), albedo_at(EYE_X + 0.95, EYE_Y)
    base = feature_albedo(np.zeros((1, 80)))[0]
    assert pupil.max() < 0.02
    assert np.allclose(iris, base[F_IRIS], rtol=0.6) and iris.max() < 0.2
    assert np.allclose(sclera, base[F_SCLERA], rtol=0.35)
    assert np.allclose(albedo_at(-EYE_X, EYE_Y), pupil)  # both eyes
    cheek = albedo_at(4.3, -0.5)
    np.testing.assert_allclose(cheek, SKIN, rtol=0.1)  # skin grain only


def test_hair_above_the_hairline_and_its_shift():
    assert np.allclose(albedo_at(1.0, HAIRLINE_Y + 1.5), FEATURE_BASE[F_HAIR], rtol=0.9)
    assert albedo_at(1.0, HAIRLINE_Y + 1.5).max() < 0.15  # dark default hair over pale skin
    receding = np.zeros((1, L.LAMBDA_DIM))
    receding[0, L.ID_TEX.start + HAIRLINE_COMPONENT] = 1.0  # hairline component: +1.3 cm, no hair loss yet
    assert feature_params(receding)[0, P_HAIRLINE] == pytest.approx(1.3)
    assert feature_params(receding)[0, P_BALD] == 0.0
    np.testing.assert_allclose(albedo_at(1.0, HAIRLINE_Y + 1.0, lam=receding), SKIN, rtol=0.1)
    assert albedo_at(1.0, HAIRLINE_Y + 2.0, lam=receding).max() < 0.15


def test_baldness_clears_the_top_and_keeps_the_fringe():
    bald = np.zeros((1, L.LAMBDA_DIM))
    bald[0, L.ID_TEX.start + HAIRLINE_COMPONENT] = 3.0  # past 2.5 SD: fully bald
    assert feature_params(measured(bald))[0, P_BALD] == 1.0
    np.testing.assert_allclose(albedo_at(1.0, 12.0, lam=bald), SKIN, rtol=0.1)  # crown: scalp
    back = np.deg2rad(150.0)
    assert albedo_at(1.0, 4.0, u=back, lam=bald).max() < 0.15  # the fringe above the occiput stays
    assert albedo_at(1.0, 4.0, u=back).max() < 0.15
    # the hair layer goes with the hair: the mesh's hair thickness cancels, the scalp is the skull
    hair = measured(bald)[0, L.ID_SHAPE.start + HAIR_VOLUME]
    assert hair == pytest.approx(-HAIR_THICKNESS / HAIR_VOLUME_SD)
    layer = np.linalg.norm(build_face_model().shape_basis[HAIR_VOLUME] * hair, axis=1)
    assert layer.max() == pytest.approx(HAIR_THICKNESS, rel=1e-3)


def test_a_parting_shows_scalp_in_longer_hair_only():
    full = np.zeros((1, L.LAMBDA_DIM))
    full[0, L.ID_SHAPE.start + HAIR_VOLUME] = 1.0
    full[0, L.ID_TEX.start + PARTING_COMPONENT] = 0.8  # a side parting
    x = feature_params(measured(full))[0, P_PARTING_X]
    assert 1.5 < x < 2.6
    y = HAIRLINE_Y + 2.0
    assert albedo_at(x, y, lam=full).mean() > 2.0 * albedo_at(x + 1.0, y, lam=full).mean()
    short = full.copy()
    short[0, L.ID_SHAPE.start + HAIR_VOLUME] = -1.0  # a close crop has no parting
    np.testing.assert_allclose(albedo_at(x, y, lam=short), albedo_at(x + 0.01, y, lam=short), rtol=0.5)
    assert albedo_at(x, y, lam=short).max() < 0.15


def test_named_measures_covary_as_the_shape_factors_say():
    z = np.random.default_rng(3).standard_normal((40000, L.LAMBDA_DIM))
    c = measured(z)[:, :NAMED_SHAPE_DIM].astype(np.float64)
    np.testing.assert_allclose(c.std(0), 1.0, atol=0.02)  # each measure keeps its population SD
    load = np.zeros((NAMED_SHAPE_DIM, len(SHAPE_FACTORS)))
    for f, loadings in enumerate(SHAPE_FACTORS.values()):
        for k, v in loadings.items():
            load[k, f] = v
    expected = load @ load.T
    np.fill_diagonal(expected, 1.0)
    np.testing.assert_allclose(np.corrcoef(c.T), expected, atol=0.03)
    jaw, brow_ridge, brow_height = 2, 10, 25  # masculine faces: broad jaw, strong ridge, low brows
    assert expected[jaw, brow_ridge] > 0.25 and expected[brow_ridge, brow_height] < -0.2
    np.testing.assert_array_equal(measured(z)[:, NAMED_SHAPE_DIM + 1 :], z[:, NAMED_SHAPE_DIM + 1 :].astype(np.float32))


def test_measured_commutes_with_identity_mixup_and_is_row_independent():
    a, b = np.random.default_rng(1).standard_normal((2, 1, L.LAMBDA_DIM))
    a[0, L.ID_TEX.start + HAIRLINE_COMPONENT] = b[0, L.ID_TEX.start + HAIRLINE_COMPONENT] = 0.0  # no hair loss
    np.testing.assert_allclose(measured(0.3 * a + 0.7 * b), 0.3 * measured(a) + 0.7 * measured(b), atol=1e-5)
    batch = np.random.default_rng(2).standard_normal((7, L.LAMBDA_DIM))
    np.testing.assert_array_equal(measured(batch)[3:4], measured(batch[3:4]))


def test_identity_texture_tints_features():
    tex = np.zeros((2, 80))
    tex[1, 4] = 2.0  # iris brown -> blue/green
    tex[1, 1] = 2.0  # hair dark -> fair
    dark, tinted = feature_albedo(tex)
    assert tinted[F_IRIS, 2] > dark[F_IRIS, 2] + 0.05
    assert np.all(tinted[F_HAIR] > dark[F_HAIR])
    assert np.all(feature_albedo(np.full((1, 80), 50.0)) <= 1.0)


def test_melanin_scales_hair_brow_and_lash_albedo():
    one = np.zeros((1, 80))
    one[0, HAIR_FAIRNESS] = 1.0  # one SD fairer: log albedo + sqrt(1 - rho^2) * FAIR_HAIR
    expected = HAIR * np.exp(np.sqrt(1.0 - HAIR_SKIN_CORRELATION**2) * FAIR_HAIR)
    np.testing.assert_allclose(feature_albedo(one)[0, F_HAIR], expected, rtol=1e-5)
    skin = np.zeros((2, 80))
    skin[:, SKIN_TONE] = [-2.0, 2.0]
    dark, light = feature_albedo(skin)  # dark skin goes with darker hair and brows
    assert np.all(dark[F_HAIR] < light[F_HAIR]) and np.all(dark[F_BROW] < light[F_BROW])
    pale = np.zeros((1, 80))
    pale[0, HAIR_REDNESS] = -50.0  # no pheomelanin at all still leaves a warm brown, not green
    r, g, b = feature_albedo(pale)[0, F_HAIR]
    assert r > g > b > 0.4 * HAIR[2]
    feats = feature_albedo(np.random.default_rng(0).standard_normal((2000, 80)))
    for f in (F_HAIR, F_BROW, F_LASH):  # natural hues (R >= G >= B), off the albedo floor
        assert np.all(feats[:, f, 0] >= feats[:, f, 1]) and np.all(feats[:, f, 1] >= feats[:, f, 2])
        assert np.mean(feats[:, f].min(1) <= 0.003) < 0.02


def test_pupil_constricts_in_bright_light():
    lam = np.zeros((2, L.LAMBDA_DIM))
    lam[:, L.ILLUMINATION.start : L.ILLUMINATION.start + 3] = np.array([[0.75], [1.05]])
    dim, bright = feature_params(lam)[:, P_PUPIL]
    assert 0.15 < bright < dim < 0.35


def test_feature_params_blend_linearly_under_identity_mixup():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, L.LAMBDA_DIM))
    mixed = feature_params(0.3 * a + 0.7 * b)[0]
    blended = (0.3 * feature_params(a) + 0.7 * feature_params(b))[0]
    affine = np.setdiff1d(np.arange(1, N_PARAMS), [P_BALD, P_PARTING_X, P_PARTING])
    np.testing.assert_allclose(mixed[affine], blended[affine])
    # hair loss and the parting are smooth, not affine: a small step in λ moves them a little
    steps = [feature_params(a + t * (b - a))[0, [P_BALD, P_PARTING_X, P_PARTING]] for t in np.linspace(0, 1, 201)]
    assert np.abs(np.diff(steps, axis=0)).max() < 0.1


def test_open_mouth_has_teeth_behind_the_lips_and_a_dark_cavity():
    feats = feature_albedo(np.zeros((1, 80)))[0]
    teeth, cavity = np.empty(3), np.empty(3)
    mouth_interior(teeth, 0.9, 0.3, feats)
    mouth_interior(cavity, 0.4, 0.3, feats)
    assert np.allclose(teeth, feats[F_TEETH], rtol=0.3) and np.allclose(cavity, feats[F_MOUTH])
    side = np.empty(3)
    mouth_interior(side, 0.9, 2.3, feats)  # beyond the canines: no teeth
    np.testing.assert_allclose(side, feats[F_MOUTH])


def test_baked_occlusion_darkens_hollows():
    model = build_face_model()
    occ, r = model.occlusion, model.region
    assert 0.45 <= occ.min() and occ.max() <= 1.0
    x, y, cos_u = np.abs(model.surface[:, 0]), model.surface[:, 1], model.surface[:, 2]
    socket = (cos_u > 0.5) & (np.abs(x - EYE_X) < 1.2) & (y > EYE_Y + 0.5) & (y < BROW_Y - 0.5)  # under the brow
    assert socket.sum() > 20
    assert occ[socket].mean() < occ[r["forehead"] > 0.5].mean() - 0.005
    under_jaw = (r["neck"] > 0.5) & (y > -11.0) & (y < -9.5) & (cos_u > 0.7)  # the jaw overhangs the neck
    assert under_jaw.sum() > 3
    assert occ[under_jaw].mean() < occ[r["forehead"] > 0.5].mean() - 0.3


def _floor_and_roof(roof: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 10 x 10 cm floor of 21 x 21 vertices facing +z, and optionally a 4 x 4 cm roof 1.5 cm above its middle."""
    g = np.linspace(-5.0, 5.0, 21)
    X, Y = np.meshgrid(g, g)
    verts = [np.stack([X.ravel(), Y.ravel(), np.zeros(X.size)], 1)]
    if roof:
        r = np.linspace(-2.0, 2.0, 9)
        RX, RY = np.meshgrid(r, r)
        verts.append(np.stack([RX.ravel(), RY.ravel(), np.full(RX.size, 1.5)], 1))
    verts = np.concatenate(verts)
    i = np.arange(20)[:, None] * 21 + np.arange(20)[None, :]
    tris = np.concatenate([np.stack([i, i + 1, i + 21], -1), np.stack([i + 1, i + 22, i + 21], -1)]).reshape(-1, 3)
    normals = np.tile([0.0, 0.0, 1.0], (len(verts), 1))
    return verts, tris, normals


def test_sky_visibility_is_one_in_the_open_and_low_under_a_roof():
    verts, tris, normals = _floor_and_roof(roof=False)
    assert _sky_visibility(verts, tris, normals, n_smooth=0).min() > 0.99  # nothing above an open floor
    verts, tris, normals = _floor_and_roof(roof=True)
    vis = _sky_visibility(verts, tris, normals, n_smooth=0)
    centre, corner = 10 * 21 + 10, 0
    # under the middle of a 4 cm roof 1.5 cm up, directions within ~53 deg of the zenith are blocked:
    # cosine-weighted, a disc that wide would leave cos^2(53 deg) ~ 0.36 of the sky, the square a little less
    assert 0.1 < vis[centre] < 0.45 and vis[corner] > 0.95


def _open_eye_at(x: float, y: float, shape: dict[int, float]) -> float:
    lam = np.zeros((1, L.LAMBDA_DIM))
    for k, v in shape.items():
        lam[0, L.ID_SHAPE.start + k] = v
    alb = SKIN.copy()
    params = feature_params(lam)[0]
    return surface_albedo(alb, x, y, 1.0, -5.0, feature_albedo(lam[:, L.ID_TEX])[0], params)


def test_identity_shapes_the_eye_opening_and_canthal_tilt():
    above_centre = EYE_Y + EYE_HALF_HEIGHT_UPPER - 0.05  # just inside the mean upper lid
    assert _open_eye_at(EYE_X, above_centre, {EYE_OPENING: 0.0}) > 0.9
    assert _open_eye_at(EYE_X, above_centre, {EYE_OPENING: -2.0}) == 0.0  # a narrower fissure
    assert _open_eye_at(EYE_X, above_centre + 0.1, {EYE_OPENING: 2.0}) > 0.9  # a wider one
    lateral = (EYE_X + 1.1, EYE_Y + 0.25)  # near the outer canthus, above the mean axis
    assert _open_eye_at(*lateral, {CANTHAL_TILT: 2.0}) > _open_eye_at(*lateral, {CANTHAL_TILT: -2.0})
