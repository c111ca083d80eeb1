"""Per-pixel anatomy of the face: the features too fine for the mesh's per-vertex colour.

A 112x96 crop resolves the iris, the lash line, single brow strokes, the vermilion border of
the lips and the nostrils, but the morphable model has ~0.5 cm between vertices. So the mesh
carries smooth skin albedo and shading, and this module draws the fine features per pixel,
in the head's own surface coordinates (FaceModel.surface: x, y on the un-deformed head in cm,
the cosine of the azimuth, the height above the hairline), which every pixel interpolates from
its triangle's vertices. The features therefore move with the
geometry (identity shape, expression, pose), stay sharp at any canvas resolution, and their
colours come from the identity's texture coefficients (`facemodel.FEATURE_TINTS`).

Feature geometry follows adult anthropometry (Farkas): palpebral fissure ~3 cm wide and ~1 cm
high, iris ~1.2 cm across, pupil 0.3-0.6 cm, nostrils ~1.1 cm apart, upper vermilion with a
cupid's bow ~0.8 cm high at the peaks, brows ~1 cm above the lid, strokes ~1 mm wide.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from synface.generator import lam as L
from synface.generator.facemodel import (
    BROW_ARCH,
    BROW_COMPONENT,
    BROW_HEIGHT,
    BROW_THICKNESS,
    BROW_Y,
    CANTHAL_TILT,
    EYE_HALF_HEIGHT_LOWER,
    EYE_HALF_HEIGHT_UPPER,
    EYE_HALF_WIDTH,
    EYE_OPENING,
    EYE_X,
    EYE_Y,
    F_BROW,
    F_HAIR,
    F_IRIS,
    F_LASH,
    F_LIPS,
    F_MOUTH,
    F_SCLERA,
    F_TEETH,
    HAIR_THICKNESS,
    HAIR_VOLUME,
    HAIR_VOLUME_SD,
    HAIRLINE_COMPONENT,
    HAIRLINE_Y,
    LOWER_LIP,
    MOUTH_X,
    MOUTH_Y,
    NAMED_SHAPE_DIM,
    NOSE_TIP_Y,
    PARTING_COMPONENT,
    SHAPE_MIXING,
    UPPER_LIP,
    smoothstep,
)

# Per-image parameters of the features (feature_params): pupil radius, hairline shift, brow
# density, offsets of the identity's and the image's own noise fields, and the identity's
# feature geometry: brow height (cm), arch (cm) and thickness (factor), eye opening (factor),
# canthal tilt (slope), upper and lower lip height (factors).
(
    P_PUPIL,
    P_HAIRLINE,
    P_BROW_DENSITY,
    P_ID_X,
    P_ID_Y,
    P_IMG_X,
    P_IMG_Y,
    P_BROW_Y,
    P_BROW_ARCH,
    P_BROW_WIDTH,
    P_EYE_OPEN,
    P_EYE_TILT,
    P_LIP_TOP,
    P_LIP_BOTTOM,
    P_BALD,
    P_PARTING_X,
    P_PARTING,
) = range(17)
N_PARAMS = 17
_ID_DETAIL = (L.ID_TEX.start + 78, L.ID_TEX.start + 79)  # two fine spot components also place the
_IMG_DETAIL = (L.NOISE.start + 16, L.NOISE.start + 17)  # identity's mottling; noise dims the grain


def measured(lam: np.ndarray) -> np.ndarray:
    """λ (B, 286) with its identity shape entries turned into what the mesh and the features read:
    the N(0, I) entries z of the named block become the coefficients c = M z of the named measures,
    which covary as in people (facemodel.SHAPE_MIXING), and the hair layer flattens as the hair is
    lost (P_BALD), so that a bald scalp follows the skull. Linear in the named block, so identity
    mixup commutes with it."""
    out = np.array(lam, np.float32, ndmin=2)
    named = slice(L.ID_SHAPE.start, L.ID_SHAPE.start + NAMED_SHAPE_DIM)
    z = np.asarray(lam[:, named], np.float64)
    out[:, named] = (z[:, None, :] * SHAPE_MIXING[None]).sum(-1)  # row by row: no BLAS batch effects
    bald = _baldness(out[:, L.ID_TEX.start + HAIRLINE_COMPONENT])
    hair = L.ID_SHAPE.start + HAIR_VOLUME
    out[:, hair] = (1.0 - bald) * out[:, hair] - bald * HAIR_THICKNESS / HAIR_VOLUME_SD
    return out


def _baldness(hairline: np.ndarray) -> np.ndarray:
    """Pattern hair loss goes on from frontal recession to the crown (Norwood): the receding end of
    the hairline coordinate thins the top, fully bald (a fringe at the sides and back) from 2.5 SD."""
    return smoothstep(1.2, 2.5, hairline)


def feature_params(lam: np.ndarray) -> np.ndarray:
    """(B, 286) measured λ -> (B, N_PARAMS). Everything is continuous in λ, so identity mixup
    blends hairlines, partings and brows smoothly instead of switching them."""
    lam = np.atleast_2d(np.asarray(lam, np.float64))
    p = np.empty((len(lam), N_PARAMS))
    ambient = lam[:, L.ILLUMINATION.start : L.ILLUMINATION.start + 3].mean(1)
    p[:, P_PUPIL] = np.clip(0.30 - 0.33 * (ambient - 0.75), 0.17, 0.33)  # bright light constricts it
    tex = lam[:, L.ID_TEX]
    p[:, P_HAIRLINE] = 1.3 * tex[:, HAIRLINE_COMPONENT]  # + receding, - low hairline (cm)
    p[:, P_BALD] = _baldness(tex[:, HAIRLINE_COMPONENT])
    # a parting, centred or to one side (|x| up to ~2.6 cm, above the iris), shows in longer hair
    p[:, P_PARTING_X] = 2.6 * np.tanh(1.2 * tex[:, PARTING_COMPONENT])
    p[:, P_PARTING] = smoothstep(-0.5, 0.5, lam[:, L.ID_SHAPE.start + HAIR_VOLUME])
    p[:, P_BROW_DENSITY] = 0.5 + 0.25 * tex[:, BROW_COMPONENT]
    p[:, P_ID_X], p[:, P_ID_Y] = 7.0 * lam[:, _ID_DETAIL[0]], 7.0 * lam[:, _ID_DETAIL[1]]
    p[:, P_IMG_X], p[:, P_IMG_Y] = 7.0 * lam[:, _IMG_DETAIL[0]], 7.0 * lam[:, _IMG_DETAIL[1]]
    # feature geometry, affine in λ, with population SDs (Farkas): brow height 0.3 cm, arch
    # 0.15 cm, fissure height ~12 %, canthal tilt 4 +- 3 deg (as a slope), lip heights ~15 %
    shape = lam[:, L.ID_SHAPE]
    p[:, P_BROW_Y] = 0.3 * shape[:, BROW_HEIGHT]
    p[:, P_BROW_ARCH] = 0.45 + 0.15 * shape[:, BROW_ARCH]
    p[:, P_BROW_WIDTH] = 1.0 + 0.25 * shape[:, BROW_THICKNESS]
    p[:, P_EYE_OPEN] = 1.0 + 0.12 * shape[:, EYE_OPENING]
    p[:, P_EYE_TILT] = 0.07 + 0.052 * shape[:, CANTHAL_TILT]  # lateral canthus higher
    p[:, P_LIP_TOP] = 1.0 + 0.15 * shape[:, UPPER_LIP]
    p[:, P_LIP_BOTTOM] = 1.0 + 0.15 * shape[:, LOWER_LIP]
    return p


@nb.njit(cache=True, inline="always")
def _ss(e0, e1, x):
    t = min(max((x - e0) / (e1 - e0), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


@nb.njit(cache=True, inline="always")
def _hash(ix, iy, seed):
    """A well-mixed integer hash of a lattice point, as a float in [0, 1)."""
    h = (ix * 374761393 + iy * 668265263 + seed * 2147483647) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * 1274126177) & 0xFFFFFFFF
    h = h ^ (h >> 16)
    return (h & 0xFFFFFF) / 16777216.0


@nb.njit(cache=True, inline="always")
def value_noise(x, y, seed):
    """Smooth value noise in [0, 1) with unit lattice spacing (bicubic-eased bilinear)."""
    fx = np.floor(x)
    fy = np.floor(y)
    ix = np.int64(fx)
    iy = np.int64(fy)
    tx = x - fx
    ty = y - fy
    tx = tx * tx * (3.0 - 2.0 * tx)
    ty = ty * ty * (3.0 - 2.0 * ty)
    a = _hash(ix, iy, seed)
    b = _hash(ix + 1, iy, seed)
    c = _hash(ix, iy + 1, seed)
    d = _hash(ix + 1, iy + 1, seed)
    return (a + (b - a) * tx) + ((c + (d - c) * tx) - (a + (b - a) * tx)) * ty


@nb.njit(cache=True, inline="always")
def _mix(alb, feats, f, k, w):
    """Mix feature f's albedo, scaled by k, into alb with weight w (no temporaries: per pixel)."""
    for c in range(3):
        alb[c] = alb[c] + (feats[f, c] * k - alb[c]) * w


@nb.njit(cache=True, inline="always")
def _darken(alb, k):
    for c in range(3):
        alb[c] *= k


@nb.njit(cache=True, inline="always")
def _skin_grain(alb, x, y, params):
    """Pores and fine grain of the skin (~2 mm), finer than the mesh; the coarser mottling of
    the person's skin is in the texture basis (the spot components), per vertex."""
    grain = value_noise(5.0 * x + params[P_IMG_X], 5.0 * y + params[P_IMG_Y], 2) - 0.5
    alb[0] *= 1.0 + 0.07 * grain
    alb[1] *= 1.0 + 0.08 * grain
    alb[2] *= 1.0 + 0.08 * grain


@nb.njit(cache=True, inline="always")
def _eye(alb, x, y, feats, params):
    """Palpebral fissure (sclera, iris with limbal ring and crypts, pupil), lash line, lid crease.

    Returns the weight of the open eye at this point (the renderer adds the corneal reflex there)."""
    ax = abs(x)
    dx = ax - EYE_X
    dy = y - EYE_Y - params[P_EYE_TILT] * dx  # the fissure's axis rises towards the lateral canthus
    hw = EYE_HALF_WIDTH
    w2 = 1.0 - (dx / hw) ** 2
    open_ = 0.0
    if w2 > 0.0 and abs(dy) < 1.2:
        lid = w2**0.8 * params[P_EYE_OPEN]  # the lid margins' almond profile
        hh = lid * (EYE_HALF_HEIGHT_UPPER if dy > 0 else EYE_HALF_HEIGHT_LOWER)
        open_ = _ss(-0.05, 0.05, hh - abs(dy))
        if open_ > 0.0:
            skin0, skin1, skin2 = alb[0], alb[1], alb[2]
            _mix(alb, feats, F_SCLERA, 1.0 - 0.3 * (dx / hw) ** 4, 1.0)  # eyeball turns away at the canthi
            r = np.sqrt(dx * dx + dy * dy)
            iris_r = 0.6
            if r < iris_r + 0.06:
                crypts = value_noise(9.0 * np.arctan2(dy, dx), 14.0 * r, 7) - 0.5
                ring = 1.0 - 0.55 * _ss(iris_r - 0.16, iris_r, r)  # darker limbal ring
                _mix(alb, feats, F_IRIS, ring * (1.0 + 0.5 * crypts), 1.0 - _ss(iris_r - 0.03, iris_r + 0.03, r))
                pupil = params[P_PUPIL]
                wp = 1.0 - _ss(pupil - 0.03, pupil + 0.03, r)
                for c in range(3):
                    alb[c] += (0.006 - alb[c]) * wp
            if dy > 0:  # the upper lid and its lashes shade the top of the eye
                _darken(alb, 1.0 - 0.3 * _ss(hh - 0.15, hh, dy))
            # the open fissure over the skin around it (soft edge: anti-aliased lid margin)
            alb[0] = skin0 + (alb[0] - skin0) * open_
            alb[1] = skin1 + (alb[1] - skin1) * open_
            alb[2] = skin2 + (alb[2] - skin2) * open_
        # lash line along the upper lid (thicker outwards), thinner line on the lower lid
        up = lid * EYE_HALF_HEIGHT_UPPER
        lo = lid * EYE_HALF_HEIGHT_LOWER
        thick = 0.035 + 0.03 * _ss(-0.4, 1.2, dx)
        if abs(dy - up - 0.02) < 4.0 * thick:
            lash = 1.2 * np.exp(-0.5 * ((dy - up - 0.02) / thick) ** 2) * min(1.0, 0.5 + w2)
            _mix(alb, feats, F_LASH, 1.0, min(1.0, lash))
        elif abs(dy + lo + 0.01) < 0.12:
            _mix(alb, feats, F_LASH, 1.0, 0.4 * np.exp(-0.5 * ((dy + lo + 0.01) / 0.03) ** 2) * w2)
        if abs(dy - up - 0.45) < 0.5:  # upper lid crease, a soft shadow line ~0.5 cm above the fissure
            _darken(alb, 1.0 - 0.25 * np.exp(-0.5 * ((dy - up - 0.45) / 0.12) ** 2) * w2)
    if abs(dy + 0.75) < 1.0 and abs(dx) < 3.0:  # lower-lid shadow (the orbit's depth)
        _darken(alb, 1.0 - 0.12 * np.exp(-0.5 * (((dy + 0.75) / 0.3) ** 2 + (dx / 1.2) ** 2)))
    return open_


@nb.njit(cache=True, inline="always")
def _brow(alb, x, y, feats, params):
    """An arched band of short strokes slanting outwards, denser and thicker at the head."""
    ax = abs(x)
    if ax < 0.7 or ax > 5.3 or abs(y - BROW_Y) > 1.8:
        return
    bx = min(max((ax - 0.9) / 4.1, 0.0), 1.0)
    centre = BROW_Y + params[P_BROW_Y] + params[P_BROW_ARCH] * np.sin(np.pi * min(bx * 1.1, 1.0)) - 0.2
    half = 0.45 * (1.0 - 0.5 * bx) * (0.8 + 0.4 * params[P_BROW_DENSITY]) * params[P_BROW_WIDTH]
    d = (y - centre) / half
    band = np.exp(-0.5 * d**4) * _ss(0.7, 1.0, ax) * _ss(5.3, 4.8, ax)
    if band < 1e-3:
        return
    # strokes: noise stretched along the hair direction (rising at the head, then outwards)
    along = ax * 1.5 + (y - centre) * 0.8
    across = ax * 9.0 - (y - centre) * 6.0
    strand = value_noise(along + params[P_ID_X], across, 3)
    density = min(max(params[P_BROW_DENSITY], 0.0), 1.0)
    w = band * min(1.0, max(0.0, 0.55 + 1.4 * (strand - 0.5)) * (0.7 + 0.6 * density) + 0.35 * density)
    _mix(alb, feats, F_BROW, 1.0, w)


@nb.njit(cache=True, inline="always")
def _nose(alb, x, y):
    """Nostrils (dark openings under the tip) and the alar creases around the wings."""
    ax = abs(x)
    if ax > 2.2 or y < NOSE_TIP_Y - 1.0:
        return
    ny = NOSE_TIP_Y - 0.55
    nostril = ((ax - 0.55) / 0.32) ** 2 + ((y - ny) / 0.17) ** 2
    if nostril < 1.1:
        _darken(alb, 1.0 - 0.8 * (1.0 - _ss(0.6, 1.1, nostril)))
    r = np.sqrt((ax - 1.2) ** 2 + (y - (NOSE_TIP_Y - 0.3)) ** 2)
    if abs(r - 0.55) < 0.35:
        crease = np.exp(-0.5 * ((r - 0.55) / 0.1) ** 2) * _ss(0.9, 1.5, ax) * _ss(NOSE_TIP_Y - 0.7, NOSE_TIP_Y, y)
        _darken(alb, 1.0 - 0.3 * crease)


@nb.njit(cache=True, inline="always")
def _lips(alb, x, y, feats, params):
    """Vermilion of both lips: the upper one with a cupid's bow and philtral dip, both darker
    towards the mouth line; the line itself is the shadow between them."""
    ax = abs(x)
    if ax > MOUTH_X + 0.3 or abs(y - MOUTH_Y) > 1.0:
        return
    t = ax / (MOUTH_X + 0.15)
    if t >= 1.0:
        return
    bow = 0.09 * np.exp(-0.5 * ((ax - 0.45) / 0.25) ** 2) - 0.07 * np.exp(-0.5 * (ax / 0.15) ** 2)
    profile = np.sqrt(1.0 - t * t)  # the lips' outline, full at the centre, meeting at the corners
    top = MOUTH_Y + (0.62 * profile + bow) * params[P_LIP_TOP]
    bottom = MOUTH_Y - 0.78 * profile * params[P_LIP_BOTTOM]
    w = _ss(-0.04, 0.04, top - y) * _ss(-0.04, 0.04, y - bottom)
    if w > 0.0:
        _mix(alb, feats, F_LIPS, 1.0 - 0.3 * np.exp(-0.5 * ((y - MOUTH_Y) / 0.18) ** 2), w)
    _darken(alb, 1.0 - 0.6 * np.exp(-0.5 * ((y - MOUTH_Y) / 0.05) ** 2) * (1.0 - t**4))


@nb.njit(cache=True, inline="always")
def _hair(alb, x, y, cu, above, feats, params):
    """Scalp hair above the person's hairline (`above`: height over the mean hairline, cm),
    with an irregular edge and strand texture."""
    h = above - params[P_HAIRLINE] * _ss(-0.2, 0.6, cu)  # it recedes at the front and temples, not the nape
    if h < -0.45:
        return  # below the hairline even with its widest notch
    h -= 0.35 * (value_noise(0.9 * x + params[P_ID_Y], 0.0, 5) - 0.5)  # uneven hairline
    w = _ss(-0.25, 0.25, h)
    if params[P_BALD] > 0.0:  # thinning from the top down to a fringe above the ears and occiput
        w *= 1.0 - params[P_BALD] * _ss(5.5, 7.0 + 4.0 * (1.0 - params[P_BALD]), y)
    if w <= 0.0:
        return
    if params[P_PARTING] > 0.0 and y > HAIRLINE_Y - 1.0 and cu > -0.3:  # from the hairline to the crown
        d = x - params[P_PARTING_X]
        if abs(d) < 0.6:  # scalp shows along the line, hair piles up and shades it beside it
            w *= 1.0 - params[P_PARTING] * (0.7 * np.exp(-0.5 * (d / 0.07) ** 2) + 0.2 * np.exp(-0.5 * (d / 0.3) ** 2))
    # strands run back from the hairline: fine across (~2 mm), long along the elevation
    strand = (
        value_noise(5.5 * x + 0.3 * y + params[P_ID_X], 0.5 * y, 6)
        - 0.5
        + 0.5 * (value_noise(12.0 * x + params[P_ID_Y], 1.5 * y, 8) - 0.5)
    )
    _mix(alb, feats, F_HAIR, 1.0 + 1.1 * strand, w)


@nb.njit(cache=True, inline="always")
def mouth_interior(alb, open_t, x, feats):
    """Inside the open mouth: teeth under the upper lip (and a little above the lower), dark
    oral cavity between. open_t: 0 at the lower lip edge, 1 at the upper."""
    for c in range(3):
        alb[c] = feats[F_MOUTH, c]
    front = _ss(1.9, 1.2, abs(x))  # teeth only between the canines
    teeth = front * max(_ss(0.55, 0.8, open_t), 0.7 * _ss(0.2, 0.05, open_t))
    gaps = 1.0 - 0.25 * np.exp(-0.5 * ((abs(x) % 0.45 - 0.225) / 0.03) ** 2)
    _mix(alb, feats, F_TEETH, gaps, teeth)


@nb.njit(cache=True, inline="always")
def surface_albedo(alb, x, y, cu, above, feats, params):
    """Modify the interpolated skin albedo `alb` (linear RGB, in place) by the features at the
    surface point (x, y, cos azimuth, height above the hairline; FaceModel.surface). Returns the
    open-eye weight (for the corneal reflex)."""
    open_eye = 0.0
    if cu > 0.0:  # the face side of the head
        if y > -11.0 and y < 9.5:
            _skin_grain(alb, x, y, params)
        if y > EYE_Y - 2.0 and y < BROW_Y + 2.0:
            open_eye = _eye(alb, x, y, feats, params)
            _brow(alb, x, y, feats, params)
        elif y > MOUTH_Y - 1.5 and y < NOSE_TIP_Y + 0.5:
            _nose(alb, x, y)
            _lips(alb, x, y, feats, params)
    _hair(alb, x, y, cu, above, feats, params)
    return open_eye
