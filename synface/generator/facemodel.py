"""A procedural 3D morphable face model (mesh, identity/expression/texture bases).

Nothing is learned or downloaded: the mean head is an ellipsoid grid in (azimuth u,
elevation v) with a denser sampling over the face, deformed by closed-form facial
features (eye sockets, nose, lips, brows, cheekbones, chin, ears) plus a hair cap and a
neck tube. The bases are closed-form deformation fields: named anatomical components
first (face width, nose length, eye spacing, ...), then progressively finer smooth
radial-basis bumps from fixed seeds. Units are centimetres; x right, y up, z towards the
camera; the face looks along +z. "Left" landmarks are image-left, i.e. x < 0.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

# ----------------------------------------------------------------------------- layout
YC, B_HEAD, A_HEAD, C_FRONT, C_BACK = 1.0, 13.0, 6.7, 9.2, 10.0
EYE_X, EYE_Y = 3.15, 2.5
BROW_Y = 4.5
NOSE_TIP_Y, SUBNASALE_Y = -1.5, -2.6
MOUTH_X, MOUTH_Y = 2.55, -4.8
CHIN_Y = -9.0
HAIRLINE_Y = 8.6
# The face front is a superellipse: depth grows as cos(azimuth)^FACE_FLATNESS, so the transverse
# section is broad and flat in front and turns at the lateral orbital rims and cheekbones (with the
# ellipse the far cheek's silhouette cut the far eye at 25-30 degrees of yaw).
FACE_FLATNESS = 0.65
# Hair volume (cm): hairs lie flat at the hairline and the layer thickens over ~2.5 cm behind it;
# its thickness is an identity shape component (+-2 SD: 0.2-2.2 cm, close-cropped to full).
HAIR_VOLUME, HAIR_THICKNESS, HAIR_VOLUME_SD = 32, 1.2, 0.5
# The hairline, (|azimuth| in degrees, height in cm): level across the forehead, it turns down at the
# frontotemporal corner (~50 deg, above the lateral brow), runs down the temple to the sideburn,
# which ends at the level of the tragus just in front of the ear (~82 deg), arcs over the ear
# (~88-104 deg) and falls behind it to the nape.
_HAIRLINE = (
    (0.0, 35.0, 50.0, 62.0, 74.0, 82.0, 88.0, 104.0, 115.0, 180.0),
    (HAIRLINE_Y, 8.4, 7.7, 5.8, 3.0, 1.3, 4.3, 4.3, 1.5, -1.4),
)
N_U_HALF = 44  # azimuth samples: 2 * N_U_HALF around the head
N_V = 60  # elevation rows (one more is inserted for the mouth slit)

EYE_HALF_WIDTH, EYE_HALF_HEIGHT_UPPER, EYE_HALF_HEIGHT_LOWER = 1.45, 0.62, 0.48  # palpebral fissure
SHAPE_DIM, TEX_DIM, EXPR_DIM, NOISE_TEX_DIM = 80, 80, 64, 16
TEXTURE_STD = (0.17 / (1.0 + 0.15 * np.arange(TEX_DIM))).astype(np.float32)

SKIN = np.array([0.50, 0.31, 0.22], np.float32)
LIPS = np.array([0.40, 0.14, 0.12], np.float32)
MOUTH_INSIDE = np.array([0.05, 0.012, 0.012], np.float32)
HAIR = np.array([0.045, 0.03, 0.02], np.float32)
SCLERA = np.array([0.60, 0.56, 0.53], np.float32)
IRIS = np.array([0.085, 0.06, 0.045], np.float32)

# Features drawn per pixel (synface.generator.anatomy): their base albedo and the named texture
# components (index, RGB direction) that tint them per identity; the mesh carries none of them.
F_SCLERA, F_IRIS, F_LASH, F_BROW, F_LIPS, F_MOUTH, F_TEETH, F_HAIR = range(8)
FEATURE_BASE = np.array(
    [SCLERA, IRIS, [0.02, 0.015, 0.012], HAIR, LIPS, MOUTH_INSIDE, [0.55, 0.5, 0.42], HAIR], np.float32
)
FEATURE_TINTS: dict[int, list[tuple[int, list[float]]]] = {
    F_SCLERA: [(18, [0.1, 0.08, 0.06])],
    F_IRIS: [(4, [-0.02, 0.1, 0.3])],
    F_LIPS: [(7, [0.6, 0.0, 0.02]), (14, [-0.5, -0.3, -0.25])],
}
# Hair, brows and lashes are keratin coloured by melanin, which absorbs (Beer-Lambert): more or less
# pigment scales their reflectance per channel, so their identity tints act on log albedo, per SD of
# the coefficient (additive tints sent 44 % of heads' hair to the albedo floor and turned 12 % green
# or blue). Directions from typical photographed hair in linear RGB (rough values): black ~(0.015,
# 0.012, 0.010), dark brown = HAIR, blond ~(0.35, 0.26, 0.15), auburn ~(0.11, 0.05, 0.03).
HAIRLINE_COMPONENT, BROW_COMPONENT = 10, 5  # hairline height (receding <-> low), brow density
PARTING_COMPONENT = 77  # a fine spot component that also places the parting (anatomy.feature_params)
SKIN_TONE, HAIR_FAIRNESS, HAIR_REDNESS, LASH_DARKNESS = 0, 1, 9, 19
FAIR_HAIR = np.array([0.8, 0.85, 0.8])  # less eumelanin: brighter, hue kept (+2 SD: dark blond)
RED_HAIR = np.array([0.6, 0.35, 0.2])  # pheomelanin: redder; a concentration, so bounded below
# Skin and hair pigment come from the same melanocytes: dark skin goes with dark hair and brows. The
# fairness coordinate shares this correlation with the skin tone (a guess, not a published statistic).
HAIR_SKIN_CORRELATION = 0.5
BROW_DARK, LASH_DARK = -0.3, -0.4  # log albedo per SD of the brow density and lash darkness components
# Identity shape components that shape the per-pixel features instead of the mesh (anatomy.py;
# the mesh component is zero): brow height, arch and thickness, eye opening and canthal tilt,
# upper and lower lip height. They follow the 25 named mesh components.
BROW_HEIGHT, BROW_ARCH, BROW_THICKNESS, EYE_OPENING, CANTHAL_TILT, UPPER_LIP, LOWER_LIP = range(25, 32)
FEATURE_SHAPE_COMPONENTS = [BROW_HEIGHT, BROW_ARCH, BROW_THICKNESS, EYE_OPENING, CANTHAL_TILT, UPPER_LIP, LOWER_LIP]
NAMED_SHAPE_DIM = 32  # the 25 mesh and 7 feature components, in units of their population SD
# People's facial measures covary (Farkas; sexual dimorphism, adiposity and ageing studies): a few
# shared factors load on many named components, the rest of each measure's variance is its own.
# Loadings are correlations with the factor (signs: + is wider, longer, more prominent, higher).
SHAPE_FACTORS: dict[str, dict[int, float]] = {
    # robust male faces: broad long lower face, strong brow ridge and nose, low thick brows, thin lips
    "masculinity": {
        0: 0.3,
        1: 0.4,
        2: 0.5,
        3: 0.4,
        4: 0.4,
        5: 0.3,
        9: 0.3,
        10: 0.6,
        13: -0.4,
        12: -0.3,
        8: -0.2,
        14: 0.2,
        17: 0.3,
        25: -0.4,
        27: 0.4,
        28: -0.2,
        30: -0.2,
        31: -0.2,
    },
    # facial fat: broad face and jaw, full cheeks and jowls, hidden cheekbones, shallow orbits
    "adiposity": {0: 0.4, 2: 0.4, 16: 0.6, 22: 0.5, 11: -0.3, 9: -0.3, 3: -0.2},
    # adult ageing: jowls, a longer drooping nose, thinner lips, lower brows, smaller fissures
    "age": {22: 0.4, 18: -0.3, 4: 0.2, 12: -0.3, 30: -0.3, 25: -0.2, 28: -0.3, 9: 0.3},
    # facial index: long narrow (leptoprosopic) <-> short broad faces
    "facial_index": {1: 0.5, 0: -0.3, 4: 0.3, 2: -0.2},
}


def _mixing(factors: dict[str, dict[int, float]]) -> np.ndarray:
    """(32, 32) M with M M^T = R, the correlation of the named measures that the factors imply;
    the symmetric root, so each λ entry stays closest to its own measure."""
    load = np.zeros((NAMED_SHAPE_DIM, len(factors)))
    for f, loadings in enumerate(factors.values()):
        for k, v in loadings.items():
            load[k, f] = v
    r = load @ load.T
    r += np.diag(1.0 - np.diag(r))  # each measure's own variance makes up the rest
    w, u = np.linalg.eigh(r)
    return (u * np.sqrt(w)) @ u.T


# a measure's coefficient is c = SHAPE_MIXING z for the identity's N(0, I) λ entries z (anatomy.measured)
SHAPE_MIXING = _mixing(SHAPE_FACTORS)


EXPRESSION_NAMES = [
    "jaw_open",
    "smile",
    "brow_raise",
    "brow_frown",
    "eye_close_left",
    "eye_close_right",
    "lip_press",
    "lip_pucker",
    "smile_left",
    "smile_right",
    "cheek_puff",
    "nose_wrinkle",
    "mouth_stretch",
    "mouth_frown",
    "lower_lip_down",
    "upper_lip_raise",
    "squint",
    "jaw_sideways",
    "eye_widen",
    "brow_raise_left",
    "brow_raise_right",
    "mouth_left",
    "mouth_right",
    "lips_funnel",
    "cheek_raise",
    "chin_raise",
]


@dataclass(frozen=True)
class FaceModel:
    """The morphable model. Bases are (K, V, 3) float32 already scaled by their std."""

    vertices: np.ndarray  # (V, 3) mean geometry
    triangles: np.ndarray  # (T, 3) int32, counter-clockwise seen from outside
    mean_albedo: np.ndarray  # (V, 3) linear RGB in [0, 1]
    shape_basis: np.ndarray  # (80, V, 3)
    texture_basis: np.ndarray  # (80, V, 3)
    expression_basis: np.ndarray  # (64, V, 3)
    noise_texture_basis: np.ndarray  # (16, V, 3) identity-independent fine albedo detail
    extra_shape_basis: np.ndarray  # (E_s, V, 3) finer identity detail (stand-in real domain)
    extra_texture_basis: np.ndarray  # (E_t, V, 3)
    shape_std: np.ndarray  # (80,) peak displacement (cm) per unit coefficient: population SDs, then decreasing
    texture_std: np.ndarray  # (80,) bound on per-channel albedo change per unit coefficient
    expression_std: np.ndarray  # (64,) peak displacement per unit coefficient
    landmark_index: np.ndarray  # (5,) int32: left eye, right eye, nose tip, left/right mouth corner
    surface: np.ndarray  # (V, 4) where a vertex sits on the un-deformed head: x, y (cm), cos(azimuth)
    # (1 ahead, -1 at the nape; interpolates across the back seam, unlike the azimuth) and the
    # height above the mean hairline (cm): the per-pixel anatomy is drawn in these coordinates
    mouth_side: np.ndarray  # (V,) 1 on the upper lip's side of the mouth slit, 0 elsewhere
    occlusion: np.ndarray  # (V,) baked ambient occlusion in [0.45, 1]
    gloss: np.ndarray  # (V,) specular strength (oily T-zone high, hair low)
    region: dict = field(default_factory=dict)  # named (V,) float32 masks: face, hair, eyes, lips, ...
    pivot: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, -1.0], np.float32))

    @property
    def n_vertices(self) -> int:
        return self.vertices.shape[0]

    def geometry(self, shape_coeffs, expr_coeffs, extra=None) -> np.ndarray:
        g = self.vertices.astype(np.float32).copy()
        g += np.tensordot(np.asarray(shape_coeffs, np.float32), self.shape_basis, 1)
        g += np.tensordot(np.asarray(expr_coeffs, np.float32), self.expression_basis, 1)
        if extra is not None and len(extra):
            g += np.tensordot(np.asarray(extra, np.float32), self.extra_shape_basis[: len(extra)], 1)
        return g

    def albedo(self, tex_coeffs, extra=None) -> np.ndarray:
        a = self.mean_albedo.copy()
        a += np.tensordot(np.asarray(tex_coeffs, np.float32), self.texture_basis, 1)
        if extra is not None and len(extra):
            a += np.tensordot(np.asarray(extra, np.float32), self.extra_texture_basis[: len(extra)], 1)
        return np.clip(a, 0.0, 1.0)


# ----------------------------------------------------------------------------- helpers
def smoothstep(e0, e1, x):
    """0 below e0, 1 above e1 (or the reverse when e1 < e0), a cubic ease between."""
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _g(x, s):
    return np.exp(-0.5 * (x / s) ** 2)


def _cdf_samples(lo, hi, density_fn, n):
    grid = np.linspace(lo, hi, 4001)
    d = density_fn(grid)
    c = np.concatenate([[0.0], np.cumsum(0.5 * (d[1:] + d[:-1]) * np.diff(grid))])
    return np.interp(np.linspace(0.0, 1.0, n), c / c[-1], grid)


def _grid_angles():
    uh = _cdf_samples(0.0, np.pi, lambda u: 1.0 + 3.2 * np.exp(-((u / 0.95) ** 4)), N_U_HALF + 1)
    u = np.concatenate([-uh[1:-1][::-1], uh])  # increasing, (-pi, pi], contains 0 and pi

    def dens(v):
        y = YC + B_HEAD * np.sin(v)
        face = np.exp(-(((y + 0.5) / 8.5) ** 4))
        peaks = 1.2 * np.exp(-0.5 * ((y - EYE_Y) / 1.3) ** 2) + 1.0 * np.exp(-0.5 * ((y - MOUTH_Y) / 1.0) ** 2)
        return 0.9 + 2.2 * face + peaks

    v = _cdf_samples(-np.pi / 2, np.pi / 2, dens, N_V)
    for y in (EYE_Y, MOUTH_Y, NOSE_TIP_Y, BROW_Y):  # put a row exactly on each feature line
        vt = np.arcsin((y - YC) / B_HEAD)
        v[np.argmin(np.abs(v - vt))] = vt
    i_m = int(np.argmin(np.abs(v - np.arcsin((MOUTH_Y - YC) / B_HEAD))))
    v = np.insert(v, i_m, v[i_m])  # duplicated mouth row: row i_m is the lower lip side
    return u, v, i_m


def _grid_triangles(nrow, ncol, offset=0, wrap=True):
    tris = []
    cols = ncol if wrap else ncol - 1
    for i in range(nrow - 1):
        for j in range(cols):
            a = offset + i * ncol + j
            b = offset + i * ncol + (j + 1) % ncol
            c = offset + (i + 1) * ncol + (j + 1) % ncol
            d = offset + (i + 1) * ncol + j
            tris.append((a, b, c))
            tris.append((a, c, d))
    return np.array(tris, np.int64)


def vertex_normals(verts: np.ndarray, tris: np.ndarray) -> np.ndarray:
    p0, p1, p2 = verts[tris[:, 0]], verts[tris[:, 1]], verts[tris[:, 2]]
    fn = np.cross(p1 - p0, p2 - p0)
    n = np.zeros_like(verts)
    for k in range(3):
        np.add.at(n, tris[:, k], fn)
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-9)


def hairline(u):
    """Height of the hairline (cm) as a function of azimuth (front u=0 .. back u=pi; _HAIRLINE)."""
    return np.interp(np.rad2deg(np.abs(u)), *_HAIRLINE)


def feature_albedo(tex: np.ndarray) -> np.ndarray:
    """(B, 80) identity texture coefficients -> (B, 8, 3) albedo of the per-pixel features."""
    tex = np.atleast_2d(np.asarray(tex, np.float64))
    out = np.broadcast_to(FEATURE_BASE, (len(tex), *FEATURE_BASE.shape)).astype(np.float64)
    for f, tints in FEATURE_TINTS.items():
        for k, rgb in tints:
            rgb = np.asarray(rgb)
            out[:, f] += np.outer(tex[:, k] * TEXTURE_STD[k] / max(1.0, np.abs(rgb).max()), rgb)
    rho = HAIR_SKIN_CORRELATION
    fair = np.sqrt(1.0 - rho**2) * tex[:, HAIR_FAIRNESS] + rho * tex[:, SKIN_TONE]
    pheomelanin = np.logaddexp(0.0, tex[:, HAIR_REDNESS]) - np.log(2.0)
    hair = np.outer(fair, FAIR_HAIR) + np.outer(pheomelanin, RED_HAIR)
    out[:, F_HAIR] *= np.exp(hair)
    out[:, F_BROW] *= np.exp(hair + BROW_DARK * tex[:, BROW_COMPONENT, None])  # brows follow the hair
    out[:, F_LASH] *= np.exp(LASH_DARK * tex[:, LASH_DARKNESS, None])
    return np.clip(out, 0.003, 1.0).astype(np.float32)


# ----------------------------------------------------------------------------- mean head
def _mean_head():
    u, v, i_mouth = _grid_angles()
    nv, nu = len(v), len(u)
    U, Vv = np.meshgrid(u, v)  # (nv, nu)
    cu, su, cv, sv = np.cos(U), np.sin(U), np.cos(Vv), np.sin(Vv)
    cvx = np.where(Vv > 0, cv**0.72, cv)  # rounder, fuller cranium
    x = np.where(Vv > 0, A_HEAD + 0.45 * np.sin(2.2 * np.clip(Vv, 0, 1.4)), A_HEAD) * cvx * su
    front_cu = np.where(cu >= 0, np.abs(cu) ** FACE_FLATNESS, cu)
    z = np.where(cu >= 0, C_FRONT, C_BACK) * np.where(Vv > 0, cv**0.6, cv) * front_cu
    y = YC + B_HEAD * sv
    y0 = y.copy()
    front = smoothstep(0.05, 0.6, cu)
    # jaw taper, forward lower face, flat under-chin
    x *= 1.0 - 0.33 * smoothstep(-3.5, -10.0, y0)
    z += front * 1.7 * smoothstep(-0.5, -7.5, y0) * (1.0 - smoothstep(-9.2, -11.0, y0))
    y = np.where(y0 < -9.3, -9.3 + (y0 + 9.3) * 0.2, y0)
    x *= np.where(y0 < -9.3, 1.0 - 0.25 * smoothstep(-9.3, -12.0, y0), 1.0)
    xb, yb = x.copy(), y.copy()
    ax = np.abs(xb)
    # --- facial relief (displacement along z, front only)
    t = np.clip((3.0 - yb) / (3.0 - NOSE_TIP_Y), 0.0, 1.0)
    ridge = np.where(yb > 3.0, 0.55 * np.exp(-(((yb - 3.0) / 1.1) ** 2)), 0.55 + 2.0 * t**1.6)
    below = np.clip((yb - SUBNASALE_Y) / (NOSE_TIP_Y - SUBNASALE_Y), 0.0, 1.0) ** 0.6
    ridge = np.where(yb < NOSE_TIP_Y, 2.55 * below, ridge)
    sx = 0.5 + 0.75 * t
    nose = ridge * np.exp(-0.5 * (xb / sx) ** 2)
    alae = 0.85 * _g(ax - 1.25, 0.5) * _g(yb - (NOSE_TIP_Y - 0.35), 0.5)
    socket = -1.15 * _g(ax - EYE_X, 1.6) * _g(yb - (EYE_Y + 0.25), 1.2)
    eyeball = 0.55 * _g(ax - EYE_X, 0.95) * _g(yb - EYE_Y, 0.75)
    brow = 0.55 * _g(ax - 3.0, 2.0) * _g(yb - (BROW_Y - 0.1), 0.75) + 0.3 * _g(xb, 1.0) * _g(yb - 3.9, 0.8)
    cheek = 0.75 * _g(ax - 4.3, 1.4) * _g(yb - 0.2, 1.4)
    lipw = np.exp(-0.5 * (xb / 2.05) ** 4)
    upper_lip = 0.5 * lipw * _g(yb - (MOUTH_Y + 0.42), 0.33)
    lower_lip = 0.55 * lipw * _g(yb - (MOUTH_Y - 0.55), 0.42)
    philtrum = 0.12 * _g(xb, 0.4) * _g(yb - (SUBNASALE_Y - 0.8), 0.5)
    muzzle = 0.45 * _g(xb, 3.0) * _g(yb - (MOUTH_Y + 0.8), 2.0)
    sulcus = -0.35 * _g(xb, 2.0) * _g(yb - (MOUTH_Y - 1.6), 0.45)
    chin = 0.85 * _g(xb, 1.8) * _g(yb - (CHIN_Y + 0.9), 1.1)
    relief = nose + alae + socket + eyeball + brow + cheek + upper_lip + lower_lip + philtrum + muzzle + sulcus + chin
    z = z + front * relief
    # ears
    side = smoothstep(0.80, 0.97, np.abs(su)) * (cu > -0.6)
    ear = 1.3 * _g(yb - 1.2, 1.9) * _g(z + 0.4, 1.1) * side
    x = x + np.sign(xb) * ear
    # hair (its mask, and its volume along the ellipsoid normal)
    hair = smoothstep(-0.35, 0.35, yb - hairline(U))
    n0 = np.stack([x / A_HEAD**2, (y - YC) / B_HEAD**2, z / C_FRONT**2], -1)
    n0 /= np.linalg.norm(n0, axis=-1, keepdims=True)
    hair_layer = (smoothstep(-0.3, 2.5, yb - hairline(U)) * (1.0 - 0.5 * front * smoothstep(7.0, 10.5, yb)))[
        ..., None
    ] * n0
    P = np.stack([x, y, z], -1) + HAIR_THICKNESS * hair_layer
    head = P.reshape(-1, 3)
    tris = _grid_triangles(nv, nu)
    # neck tube
    n_nu, n_nv = 28, 7
    ang = np.linspace(-np.pi, np.pi, n_nu, endpoint=False)
    ny = np.linspace(-5.0, -22.0, n_nv)
    A, NY = np.meshgrid(ang, ny)
    neck = np.stack([5.0 * np.sin(A) * (1 + 0.04 * (NY + 5) / 17), NY, -1.2 + 5.3 * np.cos(A)], -1).reshape(-1, 3)
    ntris = _grid_triangles(n_nv, n_nu, offset=head.shape[0])
    verts = np.concatenate([head, neck]).astype(np.float64)
    tris = np.concatenate([tris, ntris])
    # orient: outward normals
    nrm = vertex_normals(verts, tris)
    c = np.array([0.0, YC, -0.5])
    if np.mean(np.sum(nrm[: head.shape[0]] * (head - c), 1) > 0) < 0.5:
        tris = tris[:, ::-1]
    tris = np.ascontiguousarray(tris[:, :])
    info = dict(
        U=np.concatenate([U.ravel(), A.ravel()]),
        xb=np.concatenate([xb.ravel(), neck[:, 0]]),
        yb=np.concatenate([yb.ravel(), neck[:, 1]]),
        front=np.concatenate([front.ravel(), np.zeros(len(neck))]),
        hair=np.concatenate([hair.ravel(), np.zeros(len(neck))]),
        hair_layer=np.concatenate([hair_layer.reshape(-1, 3), np.zeros((len(neck), 3))]),
        is_neck=np.concatenate([np.zeros(head.shape[0], bool), np.ones(len(neck), bool)]),
        row=np.concatenate([np.repeat(np.arange(nv), nu), np.full(len(neck), -1)]),
        i_mouth=i_mouth,
    )
    # neighbours for smoothing
    return verts, tris.astype(np.int32), info


def _laplacian_smooth(field, tris, n, iters=1):
    """Average each vertex with its neighbours (uniform weights)."""
    V = n
    e = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    e = np.concatenate([e, e[:, ::-1]])
    deg = np.bincount(e[:, 0], minlength=V).astype(np.float64)
    f = field.astype(np.float64)
    for _ in range(iters):
        acc = np.zeros_like(f)
        np.add.at(acc, e[:, 0], f[e[:, 1]])
        f = 0.5 * f + 0.5 * acc / np.maximum(deg, 1)[:, None]
    return f


# ----------------------------------------------------------------------------- albedo & masks
def _masks(verts, info):
    xb, yb, front = info["xb"], info["yb"], info["front"]
    ax = np.abs(xb)
    row = info["row"]
    i_m = info["i_mouth"]
    m = {}
    fr = front * (~info["is_neck"])
    # eyes: almond opening around (+-EYE_X, EYE_Y)
    dx = ax - EYE_X
    dy = yb - EYE_Y
    hw = EYE_HALF_WIDTH
    hh = np.clip(1.0 - (dx / hw) ** 2, 0, None) ** 0.8 * np.where(dy > 0, EYE_HALF_HEIGHT_UPPER, EYE_HALF_HEIGHT_LOWER)
    inside = np.clip((hh - np.abs(dy)) / 0.08 + 0.5, 0, 1) * (np.abs(dx) < hw)
    m["eye_open"] = (inside * fr).astype(np.float32)
    r = np.hypot(dx + 0.0, dy)
    m["pupil"] = (np.clip((0.25 - r) / 0.1 + 0.5, 0, 1) * m["eye_open"]).astype(np.float32)
    m["eye_region"] = (_g(dx, 1.8) * _g(dy, 1.2) * fr).astype(np.float32)
    m["under_eye"] = (_g(dx, 1.1) * _g(yb - (EYE_Y - 0.9), 0.35) * fr).astype(np.float32)
    # brows: arched band
    bx = np.clip((ax - 0.9) / 4.1, 0, 1)
    by = BROW_Y + 0.45 * np.sin(np.pi * np.clip(bx * 1.1, 0, 1)) - 0.2
    thick = 0.32 * (1.0 - 0.6 * bx)
    bm = np.exp(-0.5 * ((yb - by) / thick) ** 4) * (ax > 0.8) * (ax < 5.1) * np.clip((5.1 - ax) / 0.6, 0, 1)
    m["brow"] = (bm * fr).astype(np.float32)
    # lips & mouth
    lipw = np.exp(-0.5 * (xb / 2.15) ** 6)
    ly = yb - MOUTH_Y
    lips = lipw * (np.exp(-0.5 * ((ly - 0.3) / 0.3) ** 4) + np.exp(-0.5 * ((ly + 0.42) / 0.4) ** 4))
    m["lips"] = (np.clip(lips, 0, 1) * fr).astype(np.float32)
    slit = ((row == i_m) | (row == i_m + 1)) & (ax < MOUTH_X + 0.05)
    m["mouth_inside"] = (slit * fr).astype(np.float32)
    m["mouth_width"] = (np.exp(-0.5 * (xb / MOUTH_X) ** 8)).astype(np.float32)
    # hair, beard, cheeks, ...
    m["hair"] = (info["hair"] * (~info["is_neck"])).astype(np.float32)
    beard = (
        smoothstep(-1.5, -4.0, yb)
        * (1 - smoothstep(-9.6, -10.5, yb))
        * smoothstep(0.0, 0.5, front + (~info["is_neck"]) * 0)
        * (1 - m["lips"])
        * (1 - smoothstep(0.3, 0.0, yb - SUBNASALE_Y + 0.3) * _g(xb, 0.01))
    )
    beard = beard * (1 - 0.6 * _g(ax - 4.0, 0.9) * _g(yb + 2.5, 1.0))
    m["beard"] = (np.clip(beard * (~info["is_neck"]), 0, 1)).astype(np.float32)
    m["moustache"] = (lipw * _g(yb - (MOUTH_Y + 1.05), 0.35) * fr).astype(np.float32)
    m["cheeks"] = (_g(ax - 4.0, 1.3) * _g(yb + 1.2, 1.3) * fr).astype(np.float32)
    m["nose"] = (_g(xb, 1.1) * _g(yb + 1.2, 1.8) * fr).astype(np.float32)
    m["forehead"] = (_g(xb, 3.5) * _g(yb - 6.5, 1.5) * fr).astype(np.float32)
    m["sideburn"] = (
        _g(ax - 6.3, 0.6) * smoothstep(-1.0, 1.0, yb) * (1 - smoothstep(3.0, 4.0, yb)) * (~info["is_neck"])
    ).astype(np.float32)
    m["neck"] = info["is_neck"].astype(np.float32)
    m["skin"] = (1 - m["mouth_inside"]).astype(np.float32)  # all skin, also under per-pixel features
    m["face"] = (fr * smoothstep(-9.5, -8.5, yb) * (1 - smoothstep(HAIRLINE_Y - 0.5, HAIRLINE_Y + 0.5, yb))).astype(
        np.float32
    )
    return m


def _mean_albedo(m):
    """Skin with its regional colour (blood: redder cheeks, nose and lips; thinner darker skin
    under the eyes; the neck a little paler and darker). Eyes, brows, lips, mouth and scalp
    hair are drawn per pixel (synface.generator.anatomy), so the mesh carries skin only."""
    a = np.broadcast_to(SKIN, (len(m["skin"]), 3)).astype(np.float64).copy()
    a *= (1.0 - 0.12 * m["neck"])[:, None]
    a += np.outer(m["cheeks"], [0.05, -0.01, -0.005])
    a += np.outer(m["nose"], [0.03, -0.008, -0.008])
    a += np.outer(m["lips"], [0.04, -0.02, -0.01])  # perioral skin; the vermilion is per pixel
    a *= (1 - 0.25 * m["under_eye"])[:, None]
    return np.clip(a, 0, 1).astype(np.float32)


def _cavity_occlusion(verts, tris, normals, n_smooth=3):
    """Ambient occlusion baked per vertex from concavity: a vertex below the mean of its
    neighbours (along the normal) sits in a hollow that sees less of the sky (eye sockets,
    nasolabial folds, mouth corners, under the chin, ear folds)."""
    V = len(verts)
    mean_nb = _laplacian_smooth(verts, tris, V, 1) * 2.0 - verts  # neighbour mean
    depth = np.sum((mean_nb - verts) * normals, axis=1)  # > 0: concave
    depth = _laplacian_smooth(np.maximum(depth, 0.0)[:, None], tris, V, n_smooth)[:, 0]
    return np.clip(1.0 - 4.0 * depth, 0.45, 1.0).astype(np.float32)


def _sky_visibility(verts, tris, normals, n_dirs=96, cell=0.5, tol=1.0, n_smooth=4):
    """Cosine-weighted share of the directions in which a vertex sees past the head: ambient
    occlusion at the scale of the head (the jaw over the neck, the brow over the orbit, the nose
    over the cheek and lip, the ear over the head's side), which concavity alone cannot see.
    One orthographic depth map per direction (Fibonacci sphere), splatted from the vertices,
    triangle centroids and edge midpoints on `cell`-cm cells. A vertex is not shadowed by its own
    surface: the depth test allows `tol` (cm) plus the depth its tangent plane spans across a cell
    at that slant (slope-scaled bias, as in shadow mapping); a little smoothing evens the splat's
    cell-to-cell noise."""
    k = np.arange(n_dirs) + 0.5
    cz = 1.0 - 2.0 * k / n_dirs
    az = np.pi * (1.0 + np.sqrt(5.0)) * k
    dirs = np.stack([np.sqrt(1.0 - cz**2) * np.cos(az), np.sqrt(1.0 - cz**2) * np.sin(az), cz], 1)
    corners = verts[tris]
    samples = np.concatenate([verts, corners.mean(1), 0.5 * (corners + np.roll(corners, 1, axis=1)).reshape(-1, 3)])
    seen = np.zeros(len(verts))
    weight = np.zeros(len(verts))
    for d in dirs:
        a = np.cross(d, [0.0, 1.0, 0.0] if abs(d[1]) < 0.9 else [1.0, 0.0, 0.0])
        a /= np.linalg.norm(a)
        b = np.cross(d, a)
        lo = np.array([(samples @ a).min(), (samples @ b).min()])
        cells = np.floor((np.stack([samples @ a, samples @ b], 1) - lo) / cell).astype(int)
        depth = np.full(cells.max(0) + 1, -np.inf)
        np.maximum.at(depth, (cells[:, 0], cells[:, 1]), samples @ d)
        own = cells[: len(verts)]
        c = np.maximum(normals @ d, 0.0)
        slope = cell * np.sqrt(1.0 - np.minimum(c, 1.0) ** 2) / np.maximum(c, 0.1)  # own surface within a cell
        visible = verts @ d >= depth[own[:, 0], own[:, 1]] - tol - slope
        seen += c * visible
        weight += c
    visibility = (seen / np.maximum(weight, 1e-12))[:, None]
    return _laplacian_smooth(visibility, tris, len(verts), n_smooth)[:, 0]


# ----------------------------------------------------------------------------- bases
def _bumps(rng, verts, normals, info, n, radius_fn, sym_p=0.7, region="face"):
    xb, yb = info["xb"], info["yb"]
    fr = info["front"] * (~info["is_neck"])
    out = []
    for k in range(n):
        r = radius_fn(k)
        cx = rng.uniform(-5.5, 5.5)
        cy = rng.uniform(-9.0, 9.0)
        f = _g(np.hypot(xb - cx, yb - cy), r)
        if rng.random() < sym_p:
            f = f + _g(np.hypot(xb + cx, yb - cy), r)
        f = f * fr
        d = normals * f[:, None]
        # a little tangential component so components are not all along the normal
        d[:, 0] += rng.normal(0, 0.3) * f * np.sign(xb)
        d[:, 1] += rng.normal(0, 0.3) * f
        out.append(d)
    return out


def _displacement(verts: np.ndarray, dx=0.0, dy=0.0, dz=0.0) -> np.ndarray:
    """A per-vertex displacement field (V, 3) from per-axis components (scalars or (V,) arrays)."""
    c = np.zeros_like(verts)
    c[:, 0] += dx
    c[:, 1] += dy
    c[:, 2] += dz
    return c


def _shape_components(verts, normals, info, m):
    """The named identity shape components as (SD in cm, displacement field): the SD is the
    population spread of the measure each one changes (adult anthropometry, Farkas: e.g.
    bizygomatic breadth ~0.6 cm, i.e. 0.3 cm a side; palpebral fissure ~5 % of its width), so a
    face a few SDs out is unusual, never a caricature."""
    xb, yb = info["xb"], info["yb"]
    ax = np.abs(xb)
    sgn = np.sign(xb)
    fr = info["front"] * (~info["is_neck"])
    head = (~info["is_neck"]).astype(np.float64)
    vec = functools.partial(_displacement, verts)
    comps = []

    eye_reg = _g(ax - EYE_X, 1.5) * _g(yb - EYE_Y, 1.1) * fr
    nose_reg = _g(xb, 1.4) * smoothstep(3.5, 1.5, yb) * smoothstep(-3.8, -2.8, yb) * fr
    nose_h = np.maximum(verts[:, 2] - 8.6, 0) * nose_reg
    lower = smoothstep(-1.0, -8.0, yb) * head
    comps.append((0.3, vec(dx=xb / A_HEAD * head)))  # face / head width
    comps.append((0.6, vec(dy=np.minimum(yb - 2.0, 0) / 10.0 * head, dz=0.2 * lower * fr)))  # face length
    comps.append((0.35, vec(dx=xb / A_HEAD * smoothstep(-2.0, -8.0, yb) * head)))  # jaw width
    comps.append(
        (
            0.4,
            vec(
                dy=-0.6 * _g(xb, 2.0) * smoothstep(-6.5, -9.0, yb) * fr,
                dz=0.8 * _g(xb, 2.0) * _g(yb - CHIN_Y, 1.5) * fr,
            ),
        )
    )  # chin
    comps.append(
        (0.3, vec(dz=nose_h / 2.5, dy=-0.3 * _g(xb, 1.2) * _g(yb - NOSE_TIP_Y, 0.8) * fr))
    )  # nose projection/length
    comps.append((0.15, vec(dx=xb * 0.6 * _g(xb, 1.6) * _g(yb - (NOSE_TIP_Y - 0.2), 1.0) * fr)))  # nose width
    comps.append((0.3, vec(dz=_g(xb, 0.8) * _g(yb - 1.5, 1.2) * fr)))  # nose bridge
    comps.append((0.15, vec(dx=sgn * eye_reg)))  # eye spacing
    comps.append((0.12, vec(dx=(ax - EYE_X) * sgn * eye_reg * 0.5, dy=(yb - EYE_Y) * eye_reg * 0.15)))  # eye size
    comps.append((0.3, vec(dz=-eye_reg)))  # eye depth
    comps.append((0.3, vec(dz=_g(ax - 3.0, 2.0) * _g(yb - BROW_Y, 0.7) * fr)))  # brow ridge
    comps.append(
        (
            0.4,
            vec(
                dz=_g(ax - 4.3, 1.2) * _g(yb - 0.2, 1.1) * fr, dx=0.5 * sgn * _g(ax - 5.0, 1.2) * _g(yb - 0.2, 1.1) * fr
            ),
        )
    )  # cheekbones
    lips_reg = m["mouth_width"] * _g(yb - MOUTH_Y, 0.7) * fr
    comps.append((0.2, vec(dz=lips_reg, dy=0.4 * np.sign(yb - MOUTH_Y + 1e-6) * lips_reg)))  # lip thickness
    comps.append((0.5, vec(dz=np.maximum(yb - BROW_Y, 0) / 5.0 * fr * head)))  # forehead slope
    comps.append((0.2, vec(dx=xb * 0.35 * _g(xb, 2.8) * _g(yb - MOUTH_Y, 1.0) * fr)))  # mouth width
    comps.append((0.3, vec(dy=_g(xb, 3.0) * _g(yb - MOUTH_Y, 1.3) * fr)))  # mouth height
    comps.append(
        (
            0.5,
            vec(
                dz=_g(ax - 4.2, 1.6) * _g(yb + 4.5, 1.6) * fr, dx=0.6 * sgn * _g(ax - 5.0, 1.6) * _g(yb + 4.5, 1.8) * fr
            ),
        )
    )  # fuller cheeks
    comps.append((0.6, vec(dz=np.minimum(verts[:, 2], 0) / C_BACK * head)))  # head depth (back)
    comps.append((0.2, vec(dy=_g(xb, 1.2) * _g(yb - NOSE_TIP_Y, 0.7) * fr)))  # nose tip up/down
    comps.append((0.4, vec(dx=sgn * _g(ax - 7.0, 1.2) * _g(yb - 1.2, 2.0) * (1 - fr) * head)))  # ears
    comps.append((0.2, vec(dy=eye_reg + 0.6 * _g(ax - 3.0, 2.0) * _g(yb - BROW_Y, 0.8) * fr)))  # eye height
    comps.append((0.2, vec(dz=_g(xb, 0.7) * _g(yb - 0.3, 0.8) * fr)))  # nasal hump
    comps.append((0.4, vec(dx=sgn * _g(ax - 5.0, 1.2) * _g(yb + 7.0, 1.4) * fr)))  # jowls
    comps.append(
        (0.4, vec(dz=verts[:, 2].clip(0) / C_FRONT * smoothstep(4.0, 10.0, yb) * head))
    )  # skull height/forehead round
    comps.append((0.5, vec(dy=np.maximum(yb - 4.0, 0) / 10.0 * head)))  # skull height
    return comps


def _tex_components(m, info, rng):
    V = len(m["skin"])
    comps = []

    def c(mask, rgb):  # spatial mask normalised to peak 1; |rgb| carries the relative strength
        mask = np.asarray(mask, np.float64)
        return np.outer(mask / max(np.abs(mask).max(), 1e-12), np.asarray(rgb, np.float64))

    skin = m["skin"]
    comps.append(c(skin, 0.85 * SKIN / SKIN[0]))  # skin tone dark <-> light (hue-preserving)
    per_pixel = np.zeros((V, 3))  # a feature drawn per pixel: FEATURE_TINTS says how it tints
    comps.append(per_pixel)  # 1 hair (and brow) colour dark <-> fair
    comps.append(c(skin, [0.1, 0.12, -0.02]))  # warm/olive <-> cool
    comps.append(c(skin, [0.3, -0.06, -0.04]))  # ruddiness
    comps.append(per_pixel)  # 4 iris brown <-> blue/green
    comps.append(per_pixel)  # 5 brow thickness/darkness
    comps.append(c(m["beard"], [-0.6, -0.45, -0.33]))  # beard density
    comps.append(per_pixel)  # 7 lip colour
    comps.append(c(m["cheeks"], [0.5, -0.05, -0.05]))  # cheek tint
    comps.append(per_pixel)  # 9 hair redness
    comps.append(per_pixel)  # 10 hairline height
    comps.append(c(m["moustache"], [-0.7, -0.5, -0.37]))  # moustache
    comps.append(c(m["nose"], [0.4, 0.0, -0.05]))  # nose tint
    comps.append(c(m["under_eye"], [-0.5, -0.45, -0.3]))  # under-eye darkness
    comps.append(per_pixel)  # 14 lip darkness
    comps.append(c(m["forehead"], [0.3, 0.25, 0.2]))  # forehead tone
    comps.append(c(m["sideburn"], [-0.8, -0.55, -0.4]))  # sideburns
    comps.append(
        c(m["neck"] + 0.3 * m["skin"] * smoothstep(-4.0, -9.0, info["yb"]), [0.5, 0.35, 0.25])
    )  # lower face / neck tone
    comps.append(per_pixel)  # 18 sclera tint
    comps.append(per_pixel)  # 19 lash darkness
    return comps


def _spot_components(rng, n, info, m, tris, big=False):
    xb, yb = info["xb"], info["yb"]
    skin = m["skin"] * m["face"]
    out = []
    for k in range(n):
        f = np.zeros_like(xb)
        freckle = rng.random() < 0.25 and not big
        if freckle:  # freckle-like field
            cx, cy = rng.uniform(-3.5, 3.5), rng.uniform(-4, 4)
            reg = _g(np.hypot(xb - cx, yb - cy), 2.5)
            noise = _laplacian_smooth(rng.standard_normal((len(xb), 1)), tris, len(xb), 1)[:, 0]
            f = 0.5 * reg * np.clip(noise / noise.std() - 1.5, 0, None)
        else:
            for _ in range(rng.integers(1, 5)):
                cx, cy = rng.uniform(-5.5, 5.5), rng.uniform(-8.5, 8.5)
                r = rng.uniform(0.5, 2.5) if big else rng.uniform(0.15, 0.45)
                f = f + _g(np.hypot(xb - cx, yb - cy), r)
        f = np.clip(f, 0, 1.5) * skin
        f = f / max(f.max(), 1e-12) * (0.5 if freckle else 1.0)
        melanin = np.array([1.0, 0.75, 0.6])
        blood = np.array([0.25, -0.12, -0.08])
        if big:  # regional tint: darker/lighter and redder/paler, low saturation
            col = 0.5 * (rng.normal(0, 1) * melanin * 0.6 + rng.normal(0, 1) * blood)
        else:  # moles / freckles: darker brown spots
            col = -melanin * rng.uniform(0.5, 1.0) + rng.normal(0, 0.3) * blood
        out.append(np.outer(f, col))
    return out


def _expression_components(verts, normals, info, m):
    xb, yb = info["xb"], info["yb"]
    ax = np.abs(xb)
    sgn = np.sign(xb)
    row = info["row"]
    i_m = info["i_mouth"]
    fr = info["front"] * (~info["is_neck"])
    vec = functools.partial(_displacement, verts)
    comps = []

    mw = m["mouth_width"].astype(np.float64)
    below = (yb < MOUTH_Y) | (row == i_m)  # lower side of the duplicated mouth row
    above_w = np.where(below, 1.0, (1 - mw) * np.exp(-0.5 * ((yb - MOUTH_Y) / 1.2) ** 2))
    jaw_w = (
        np.where(below, 1.0, above_w)
        * fr
        * (1 - smoothstep(-4.0, -5.5, np.abs(xb) * 0 - 1))
        * smoothstep(0.2, 0.7, info["front"])
    )
    jaw_w = jaw_w * (1 - smoothstep(4.5, 7.0, ax) * (yb > MOUTH_Y - 3)) * (~info["is_neck"])
    piv = np.array([0.0, 1.0, -3.0])
    th = 0.1
    p = verts - piv
    rot = np.stack(
        [p[:, 0], p[:, 1] * np.cos(th) - p[:, 2] * np.sin(th), p[:, 1] * np.sin(th) + p[:, 2] * np.cos(th)], 1
    )
    comps.append((rot - p) * jaw_w[:, None])  # 0 jaw open

    def corner(s: int | None = None) -> np.ndarray:
        return _g(np.hypot(ax - MOUTH_X, yb - MOUTH_Y), 1.0) * fr * (1 if s is None else (sgn == s))

    cheek_up = _g(ax - 3.3, 1.2) * _g(yb + 2.0, 1.2) * fr
    comps.append(
        vec(dx=0.35 * sgn * corner(), dy=0.55 * corner() + 0.25 * cheek_up, dz=-0.15 * corner() + 0.2 * cheek_up)
    )  # 1 smile
    brow_reg = _g(ax - 3.0, 1.9) * _g(yb - BROW_Y, 1.0) * fr
    upper_lid = smoothstep(EYE_Y + 0.1, EYE_Y + 0.6, yb) * _g(ax - EYE_X, 1.5) * _g(yb - EYE_Y - 0.8, 0.8) * fr
    comps.append(vec(dy=0.45 * brow_reg + 0.15 * upper_lid))  # 2 brow raise
    inner_brow = _g(ax - 1.6, 1.0) * _g(yb - BROW_Y, 0.8) * fr
    comps.append(vec(dx=-0.25 * sgn * inner_brow, dy=-0.3 * inner_brow, dz=0.1 * inner_brow))  # 3 frown
    eo = (
        _g(ax - EYE_X, 0.9) ** 0.5
        * smoothstep(1.6, 1.2, np.abs(ax - EYE_X))
        * smoothstep(0.9, 0.55, np.abs(yb - EYE_Y))
        * fr
    )
    for s in (-1, 1):  # 4/5 eye closure (image-left eye is x<0)
        w = eo * (sgn == s)
        comps.append(vec(dy=-(yb - (EYE_Y - 0.25)) * w * 0.45, dz=0.05 * w))
    lips = mw * _g(yb - MOUTH_Y, 0.8) * fr
    comps.append(vec(dy=-(yb - MOUTH_Y) * 0.35 * lips, dz=-0.15 * lips))  # 6 lip press
    comps.append(vec(dx=-0.35 * xb / MOUTH_X * lips, dz=0.45 * lips))  # 7 pucker
    for s in (-1, 1):  # 8/9 one-sided smile
        comps.append(
            vec(
                dx=0.35 * sgn * corner(s),
                dy=0.55 * corner(s) + 0.25 * cheek_up * (sgn == s),
                dz=0.2 * cheek_up * (sgn == s),
            )
        )
    puff = _g(ax - 3.9, 1.2) * _g(yb + 4.5, 1.4) * fr
    comps.append(vec(dx=0.4 * sgn * puff, dz=0.35 * puff))  # 10 cheek puff
    nose_reg = _g(xb, 1.3) * _g(yb - 0.5, 1.5) * fr
    comps.append(vec(dy=0.2 * nose_reg, dz=0.1 * nose_reg + 0.1 * inner_brow * 0, dx=0.0))  # 11 nose wrinkle
    comps.append(vec(dx=0.35 * sgn * corner()))  # 12 mouth stretch
    comps.append(vec(dy=-0.45 * corner()))  # 13 mouth frown
    ll = mw * _g(yb - (MOUTH_Y - 0.6), 0.55) * fr * (below)
    comps.append(vec(dy=-0.3 * ll, dz=0.1 * ll))  # 14 lower lip down
    ul = mw * _g(yb - (MOUTH_Y + 0.6), 0.55) * fr * (~below)
    comps.append(vec(dy=0.3 * ul, dz=0.05 * ul))  # 15 upper lip raise
    comps.append(vec(dy=-(yb - (EYE_Y - 0.25)) * eo * 0.2 + 0.2 * cheek_up, dz=0.1 * cheek_up))  # 16 squint
    comps.append(jaw_w[:, None] * np.array([0.4, 0.0, 0.0]) * (yb < MOUTH_Y + 0.5)[:, None])  # 17 jaw sideways
    comps.append(vec(dy=(yb - (EYE_Y - 0.1)) * eo * 0.3))  # 18 eye widen
    for s in (-1, 1):  # 19/20 one brow raise
        comps.append(vec(dy=0.45 * brow_reg * (sgn == s)))
    for s in (-1, 1):  # 21/22 mouth sideways
        comps.append(vec(dx=0.35 * s * lips))
    comps.append(vec(dz=0.3 * lips, dx=-0.15 * xb / MOUTH_X * lips, dy=0.15 * (yb - MOUTH_Y) * lips))  # 23 funnel
    comps.append(vec(dy=0.3 * cheek_up, dz=0.15 * cheek_up))  # 24 cheek raise
    ch = _g(xb, 1.8) * _g(yb - (CHIN_Y + 1.5), 1.2) * fr
    comps.append(vec(dy=0.3 * ch, dz=0.15 * ch))  # 25 chin raise
    return comps


def _normalise_peak(c):
    peak = np.max(np.linalg.norm(c, axis=1))
    return c / max(peak, 1e-12)


@functools.lru_cache(maxsize=8)
def build_face_model(extra_shape: int = 0, extra_texture: int = 0) -> FaceModel:
    verts, tris, info = _mean_head()
    V = len(verts)
    normals = vertex_normals(verts, tris)
    m = _masks(verts, info)
    mean_alb = _mean_albedo(m)

    # identity shape: named components, then symmetric smooth bumps of decreasing radius
    rng = np.random.default_rng(1234)
    named_std, comps = zip(*_shape_components(verts, normals, info, m))
    n_named = len(comps)
    comps = list(comps) + _bumps(rng, verts, normals, info, SHAPE_DIM - n_named, lambda k: 2.6 * 0.975**k)
    shape_std = (0.75 / (1.0 + 0.15 * np.arange(SHAPE_DIM))).astype(np.float32)
    shape_std[:n_named] = named_std
    shape_basis = np.stack([_normalise_peak(c) * s for c, s in zip(comps, shape_std)])
    shape_basis[FEATURE_SHAPE_COMPONENTS] = 0.0
    shape_std[HAIR_VOLUME] = HAIR_VOLUME_SD
    shape_basis[HAIR_VOLUME] = HAIR_VOLUME_SD * info["hair_layer"]

    # texture
    rng = np.random.default_rng(5678)
    tcomps = _tex_components(m, info, rng)
    n_t = len(tcomps)
    tcomps += _spot_components(rng, (TEX_DIM - n_t) // 3, info, m, tris, big=True)
    tcomps += _spot_components(rng, TEX_DIM - len(tcomps), info, m, tris)
    keep = ((1 - m["mouth_inside"]) * (1 - m["pupil"]))[:, None]
    tcomps = [tc * keep for tc in tcomps]
    tex_std = TEXTURE_STD
    texture_basis = np.stack([c / max(1.0, np.abs(c).max()) * s for c, s in zip(tcomps, tex_std)])

    # expression: named blendshapes at their natural amplitude, then smooth local ones
    ecomps = _expression_components(verts, normals, info, m)
    rng = np.random.default_rng(91011)
    n_e = len(ecomps)
    gen = _bumps(rng, verts, normals, info, EXPR_DIM - n_e, lambda k: 1.8, sym_p=0.5)
    gen = [_normalise_peak(c) * 0.2 * 0.97**k for k, c in enumerate(gen)]
    ecomps = ecomps + gen
    expression_basis = np.stack(ecomps)
    expr_std = np.linalg.norm(expression_basis, axis=2).max(1).astype(np.float32)

    # identity-independent fine albedo detail (driven by noise dims)
    rng = np.random.default_rng(121314)
    nt = []
    for k in range(NOISE_TEX_DIM):  # isotropic procedural fields: sums of 3-D plane waves, ~1 cycle/cm
        f = np.zeros(V)
        for _ in range(6):
            w = rng.standard_normal(3)
            w *= 2 * np.pi * rng.uniform(0.3, 1.0) / np.linalg.norm(w)
            f += np.sin(verts @ w + rng.uniform(0, 2 * np.pi))
        f /= f.std()
        nt.append(0.01 * f[:, None] * mean_alb)  # relative (multiplicative-like) luminance detail
    noise_texture_basis = np.stack(nt)

    # extra finer identity detail for the stand-in real domain
    rng = np.random.default_rng(151617)
    es = _bumps(rng, verts, normals, info, extra_shape, lambda k: 0.9 * 0.985**k, sym_p=0.3)
    es_std = shape_std[-1] * 0.8 / (1.0 + 0.03 * np.arange(extra_shape))
    extra_shape_basis = (
        np.stack([_normalise_peak(c) * s for c, s in zip(es, es_std)]) if extra_shape else np.zeros((0, V, 3))
    )
    et = _spot_components(rng, extra_texture, info, m, tris)
    et_std = tex_std[-1] * 1.2 / (1.0 + 0.03 * np.arange(extra_texture))
    extra_texture_basis = np.stack([c * s for c, s in zip(et, et_std)]) if extra_texture else np.zeros((0, V, 3))

    # landmarks: nearest front vertices to the feature points (on the mean head)
    def nearest(x, y, extra_mask=None):
        ok = (info["front"] > 0.5) & (~info["is_neck"])
        if extra_mask is not None:
            ok &= extra_mask
        d = (info["xb"] - x) ** 2 + (info["yb"] - y) ** 2 + 1e6 * (~ok)
        return int(np.argmin(d))

    lower_row = info["row"] == info["i_mouth"] + 1
    lmk = np.array(
        [
            nearest(-EYE_X, EYE_Y),
            nearest(EYE_X, EYE_Y),
            nearest(0.0, NOSE_TIP_Y),
            nearest(-MOUTH_X, MOUTH_Y, lower_row),
            nearest(MOUTH_X, MOUTH_Y, lower_row),
        ],
        np.int32,
    )

    # reorder vertices: front half of the head first, row by row, so that localised basis
    # components touch a short contiguous index range (the renderer skips exact zeros)
    front_half = (np.cos(info["U"]) >= 0) & (~info["is_neck"])
    perm = np.lexsort((np.arange(V), info["row"], ~front_half))
    inv = np.empty(V, np.int64)
    inv[perm] = np.arange(V)
    tris = inv[tris]
    lmk = inv[lmk].astype(np.int32)
    verts, mean_alb = verts[perm], mean_alb[perm]

    def prep(b):
        b = b[:, perm]
        peak = np.abs(b).reshape(len(b), -1).max(1) if len(b) else np.zeros(0)
        return np.where(np.abs(b) < 1e-4 * peak[:, None, None], 0.0, b)

    shape_basis, texture_basis, expression_basis = prep(shape_basis), prep(texture_basis), prep(expression_basis)
    noise_texture_basis = prep(noise_texture_basis)
    extra_shape_basis, extra_texture_basis = prep(extra_shape_basis), prep(extra_texture_basis)
    m = {k: v[perm] for k, v in m.items()}
    surface = np.stack([info["xb"], info["yb"], np.cos(info["U"]), info["yb"] - hairline(info["U"])], 1)[perm]
    mouth_side = ((info["row"][perm] == info["i_mouth"] + 1) & (m["mouth_inside"] > 0.5)).astype(np.float32)
    normals_now = vertex_normals(verts, tris)
    occlusion = np.minimum(
        _cavity_occlusion(verts, tris, normals_now), np.maximum(_sky_visibility(verts, tris, normals_now), 0.45)
    ).astype(np.float32)
    gloss = 0.035 + 0.05 * np.clip(m["forehead"] + m["nose"], 0, 1)  # sebaceous T-zone shines
    gloss *= 1.0 - 0.8 * m["hair"] * (1 - m["face"])

    def f32(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.float32)

    return FaceModel(
        vertices=f32(verts),
        triangles=np.ascontiguousarray(tris, np.int32),
        mean_albedo=f32(mean_alb),
        shape_basis=f32(shape_basis),
        texture_basis=f32(texture_basis),
        expression_basis=f32(expression_basis),
        noise_texture_basis=f32(noise_texture_basis),
        extra_shape_basis=f32(extra_shape_basis),
        extra_texture_basis=f32(extra_texture_basis),
        shape_std=shape_std,
        texture_std=tex_std,
        expression_std=expr_std,
        landmark_index=lmk,
        surface=f32(surface),
        mouth_side=mouth_side,
        occlusion=occlusion,
        gloss=f32(gloss),
        region={k: f32(v) for k, v in m.items()},
    )
