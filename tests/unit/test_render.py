import numpy as np
import pytest

from synface.generator import lam as L
from synface.generator.align import (
    ARCFACE_112x112_TEMPLATE,
    TEMPLATE_112x96,
    apply_transform,
    similarity_transform,
    warp_affine,
)
from synface.generator.facemodel import _grid_triangles, vertex_normals
from synface.generator.render import canvas_size, render_faces


def _lams(n, seed=0, yaw_deg=0.0):
    rng = np.random.default_rng(seed)
    lam = np.zeros((n, L.LAMBDA_DIM), np.float32)
    lam[:, L.IDENTITY] = rng.standard_normal((n, 160))
    lam[:, L.EXPRESSION] = rng.normal(0, 0.3, (n, 64))
    lam[:, L.POSE] = np.deg2rad(np.c_[np.full(n, yaw_deg), rng.normal(0, 4, n), rng.normal(0, 3, n)])
    sh = np.zeros((n, 9, 3))
    sh[:, 0] = rng.uniform(0.8, 1.0, (n, 1))
    sh[:, 1:4] = rng.normal(0, 0.15, (n, 3, 1))
    lam[:, L.ILLUMINATION] = sh.reshape(n, 27)
    lam[:, L.NOISE] = rng.standard_normal((n, 32))
    return lam


def test_similarity_transform_recovers_known():
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 100, (5, 2))
    a, th, t = 1.7, 0.4, np.array([5.0, -3.0])
    R = a * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    dst = src @ R.T + t
    M = similarity_transform(src, dst)
    np.testing.assert_allclose(M[:, :2], R, atol=1e-10)
    np.testing.assert_allclose(M[:, 2], t, atol=1e-9)
    np.testing.assert_allclose(apply_transform(M, src), dst, atol=1e-9)
    np.testing.assert_allclose(ARCFACE_112x112_TEMPLATE[:, 0] - TEMPLATE_112x96[:, 0], 8.0, atol=1e-5)


def test_warp_affine_identity_and_shift():
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, (2, 20, 30, 3), dtype=np.uint8)
    out = warp_affine(img, np.array([[1.0, 0, 0], [0, 1.0, 0]]), (20, 30))
    np.testing.assert_array_equal(out, img)
    out = warp_affine(img, np.array([[1.0, 0, -3], [0, 1.0, -2]]), (10, 10))
    np.testing.assert_array_equal(out, img[:, 2:12, 3:13])


@pytest.fixture(scope="module")
def frontal():
    lam = _lams(12, seed=3)
    return lam, render_faces(lam)


def test_output_format_and_coverage(frontal):
    lam, r = frontal
    assert r.images.shape == (12, 112, 96, 3) and r.images.dtype == np.uint8
    assert r.landmarks.shape == (12, 5, 2) and r.landmarks.dtype == np.float32
    # centre of the crop (between eyes and mouth) is covered by the face
    assert r.mask[:, 45:95, 30:66].mean() > 0.99
    # a distinct flat background shows where the face is not
    bg = np.zeros((12, *canvas_size(), 3), np.uint8)
    bg[..., 1] = 255
    g = render_faces(lam, backgrounds=bg).images
    green = (g[..., 1] > 250) & (g[..., 0] < 5) & (g[..., 2] < 5)
    assert not green[:, 45:95, 30:66].any()
    assert green.any()  # some background visible in the corners
    # pure background only where the head covers less than half the pixel; pixels the edge
    # crosses blend face and background (anti-aliasing), so a few uncovered ones are not pure
    window = np.s_[:, 40:100, 25:70]
    assert not (green[window] & r.mask[window]).any()
    assert (~green[window] & ~r.mask[window]).mean() < 0.01


def test_landmarks_near_template(frontal):
    # the mean face, neutral and frontal, fits the template within a few pixels
    lam = _lams(1, seed=7)
    lam[:, :80] = 0
    lam[:, L.EXPRESSION] = 0
    lam[:, L.POSE] = 0
    err = np.linalg.norm(render_faces(lam).landmarks - TEMPLATE_112x96, axis=2)
    assert err.max() < 3.0, err
    # random identities / mild expressions: residuals of the least-squares fit stay small
    _, r = frontal
    err = np.linalg.norm(r.landmarks - TEMPLATE_112x96, axis=2)
    assert err.mean() < 3.0 and err.max() < 8.0, err
    for yaw in (-40.0, 40.0):
        rr = render_faces(_lams(6, seed=4, yaw_deg=yaw))
        err = np.linalg.norm(rr.landmarks - TEMPLATE_112x96, axis=2)
        # a 2-D similarity cannot undo a 40° yaw: the nose tip (2.5 cm proud) lands ~9 px off,
        # as for real detector-aligned profile faces
        assert err.mean() < 8.0 and err.max() < 16.0, err
        assert rr.mask[:, 45:85, 38:58].mean() > 0.95


def test_landmark_noise_shifts_alignment():
    lam = _lams(3, seed=5)
    noise = np.zeros((3, 5, 2))
    noise[:, :, 0] = 4.0  # detector biased 4 crop-px to the right
    r0 = render_faces(lam)
    r1 = render_faces(lam, landmark_noise=noise)
    d = (r1.landmarks - r0.landmarks)[..., 0]
    np.testing.assert_allclose(d, -4.0, atol=0.05)


def test_batch_independence_and_determinism(frontal):
    lam, r = frontal
    one = np.concatenate([render_faces(lam[i : i + 1]).images for i in range(5)])
    np.testing.assert_array_equal(one, r.images[:5])
    again = render_faces(lam[[4, 0, 2]])
    np.testing.assert_array_equal(again.images, r.images[[4, 0, 2]])
    np.testing.assert_array_equal(again.landmarks, r.landmarks[[4, 0, 2]])


def test_identities_differ(frontal):
    lam, _ = frontal
    same_pose = lam.copy()
    same_pose[:, 160:] = lam[0, 160:]  # only identity differs
    imgs = render_faces(same_pose).images.astype(np.float32)
    face = (slice(None), slice(40, 100), slice(20, 76))
    for i in range(1, 6):
        assert np.abs(imgs[i][face[1:]] - imgs[0][face[1:]]).mean() > 4.0


def test_extra_identity_detail():
    lam = _lams(2, seed=6)
    rng = np.random.default_rng(0)
    es, et = rng.standard_normal((2, 10)), rng.standard_normal((2, 10))
    a = render_faces(lam)
    b = render_faces(lam, extra_shape=es, extra_texture=et)
    assert b.images.shape == a.images.shape
    assert not np.array_equal(a.images, b.images)


def _grid_mesh(n: int, size: float, height: float) -> tuple[np.ndarray, np.ndarray]:
    """A flat square of n x n vertices, `size` cm a side, at y = height, facing up (+y)."""
    u = np.linspace(-size / 2, size / 2, n)
    X, Z = np.meshgrid(u, u)
    verts = np.stack([X.ravel(), np.full(n * n, height), Z.ravel()], 1)
    tris = _grid_triangles(n, n, wrap=False)[:, ::-1]  # reversed: faces turned up (+y), the side the shadow map keeps
    return verts, np.ascontiguousarray(tris, np.int32)


def _shadow_of(verts, tris, light):
    from synface.generator.render import SHADOW_GRID, _key_shadow

    V = len(verts)
    nrm = vertex_normals(verts, tris).astype(np.float32)
    G = (SHADOW_GRID, SHADOW_GRID)
    work = (
        np.empty((V, 3), np.float32),
        np.empty(G, np.float32),
        np.empty(G, np.int32),
        np.empty(G, np.float32),
        np.empty(G, np.float32),
    )
    lit = np.empty(V, np.float32)
    _key_shadow(verts.astype(np.float32), nrm, tris, np.asarray(light, np.float64), work, lit)
    return lit


def test_key_light_casts_a_shadow_under_a_roof():
    floor, floor_tris = _grid_mesh(41, 20.0, 0.0)
    roof, roof_tris = _grid_mesh(11, 6.0, 4.0)
    verts = np.concatenate([floor, roof])
    tris = np.concatenate([floor_tris, roof_tris + len(floor)])
    lit = _shadow_of(verts, tris, [0.0, 1.0, 0.0])  # light straight from above
    x, z = floor[:, 0], floor[:, 2]
    under = (np.abs(x) < 2.0) & (np.abs(z) < 2.0)
    open_floor = (np.abs(x) > 5.0) | (np.abs(z) > 5.0)
    assert lit[: len(floor)][under].max() == 0.0  # the roof blocks the key light
    assert lit[: len(floor)][open_floor].min() == 1.0
    assert lit[len(floor) :].min() == 1.0  # nothing shadows the roof, nor itself
    # a slanted light moves the shadow away from the light's side
    lit = _shadow_of(verts, tris, [np.sin(0.5), np.cos(0.5), 0.0])[: len(floor)]
    shift = 4.0 * np.tan(0.5)
    assert lit[(np.abs(x + shift) < 1.5) & (np.abs(z) < 1.5)].max() == 0.0
    assert lit[(np.abs(x - 3.5) < 0.5) & (np.abs(z) < 1.5)].min() == 1.0


def test_a_lone_surface_does_not_shadow_itself():
    verts, tris = _grid_mesh(41, 20.0, 0.0)
    bumped = verts.copy()
    bumped[:, 1] = 1.5 * np.exp(-(verts[:, 0] ** 2 + verts[:, 2] ** 2) / 20.0)  # a smooth hill, as a cheek
    for light in ([0.0, 1.0, 0.0], [np.sin(0.8), np.cos(0.8), 0.0]):
        assert _shadow_of(bumped, tris, light).min() > 0.99  # no visible acne


def test_a_shadowed_vertex_loses_the_key_lights_share_of_the_sh_light():
    from synface.generator.render import _key_light, _vertex_light

    gam = np.zeros(27)
    gam[:3] = 1.0  # ambient
    gam[3:6] = -0.3  # light from above: the y term
    light, strength = _key_light(gam)
    nrm = np.array([[0.0, 1.0, 0.0], [0.0, 0.6, 0.8], [0.0, -1.0, 0.0]], np.float32)
    ones = np.ones(3, np.float32)
    h = np.array([0.0, 0.0, 1.0])
    lit, _ = _vertex_light(nrm, gam, light, strength, h, ones, np.zeros(3, np.float32), ones)
    dark, _ = _vertex_light(nrm, gam, light, strength, h, ones, np.zeros(3, np.float32), np.zeros(3, np.float32))
    nl = nrm @ light
    # Ramamoorthi and Hanrahan: a directional light of band-1 strength s adds s (1/2 + n.l) in bands 0-1
    expected = strength[None, :] * np.maximum(0.5 + nl, 0.0)[:, None]
    np.testing.assert_allclose(lit - dark, expected, rtol=1e-5, atol=1e-6)
    assert np.all(lit[2] == dark[2])  # facing away: nothing of the key light to block
