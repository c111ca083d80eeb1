"""What a photographed person and scene show beyond the face model: make-up and ageing albedo,
accessories and occluders, cluttered backgrounds.

Albedo changes ride on the renderer's per-row extra texture coefficients: the stand-in real
face model is the embedded model (same mean mesh and 80 + 80 + 64 bases, the very same arrays)
whose extra texture basis is [identity detail, APPEARANCE components]. Accessories are drawn
on the aligned crop at the true landmarks (the crop is a similarity of the photo, so shapes
keep their geometry); backgrounds are drawn at the canvas resolution and passed to the renderer.
"""

from __future__ import annotations

import dataclasses
import functools

import numba as nb
import numpy as np

from synface.generator.facemodel import BROW_Y, EYE_Y, MOUTH_X, MOUTH_Y, NOSE_TIP_Y, SKIN, FaceModel, build_face_model
from synface.realdomain.identities import Identity
from synface.realdomain.priors import SCENE_NAMES

# per-image albedo components: (region, channels); RGB regions take a colour offset, others a scalar
APPEARANCE = (
    ("lips", 3),
    ("eyelids", 3),
    ("cheeks", 3),
    ("skin", 3),
    ("stubble", 1),
    ("wrinkles", 1),
    ("under_eye", 1),
)
APPEARANCE_DIM = sum(n for _, n in APPEARANCE)
_DARKEN = SKIN / SKIN[0]  # scalar components darken skin along its own colour (hue kept, like shade)


def _appearance_basis(model: FaceModel) -> np.ndarray:
    """(APPEARANCE_DIM, V, 3): unit albedo offsets per region (and channel)."""
    r = model.region
    x, y = model.vertices[:, 0].astype(np.float64), model.vertices[:, 1].astype(np.float64)
    face = r["face"] * r["skin"]
    naso = np.zeros_like(x)
    for s in (-1.0, 1.0):  # nasolabial folds: nose wing to mouth corner
        p0, p1 = np.array([s * 1.6, NOSE_TIP_Y - 0.3]), np.array([s * (MOUTH_X + 0.4), MOUTH_Y - 0.3])
        t = np.clip(((x - p0[0]) * (p1 - p0)[0] + (y - p0[1]) * (p1 - p0)[1]) / np.sum((p1 - p0) ** 2), 0, 1)
        naso = np.maximum(
            naso, np.exp(-0.5 * (np.hypot(x - p0[0] - t * (p1 - p0)[0], y - p0[1] - t * (p1 - p0)[1]) / 0.25) ** 2)
        )
    forehead_lines = r["forehead"] * (0.5 + 0.5 * np.cos(2 * np.pi * (y - BROW_Y) / 1.1))
    crow = np.exp(-0.5 * ((np.abs(x) - 4.7) / 0.5) ** 2) * np.exp(-0.5 * ((y - EYE_Y) / 0.7) ** 2)
    masks = {
        "lips": r["lips"],
        "eyelids": r["eye_region"]
        * (1 - r["eye_open"])
        * (1 - r["brow"])
        * np.clip((y - EYE_Y) / 0.5, 0, 1)
        * (y < BROW_Y),
        "cheeks": r["cheeks"] * (1 - r["lips"]),
        "skin": r["skin"] * (1 - r["hair"]) * (1 - 0.7 * r["lips"]),
        "stubble": r["beard"],
        "wrinkles": np.clip(forehead_lines + naso + crow, 0, 1) * face,
        "under_eye": r["under_eye"],
    }
    comps = []
    for name, channels in APPEARANCE:
        m = np.asarray(masks[name], np.float64)
        m = m / max(m.max(), 1e-12)
        if channels == 3:
            comps += [np.outer(m, np.eye(3)[c]) for c in range(3)]
        else:
            comps.append(-np.outer(m, _DARKEN))
    basis = np.stack(comps).astype(np.float32)
    return np.where(np.abs(basis) < 1e-4, 0.0, basis).astype(np.float32)  # renderer skips exact zeros


@functools.lru_cache(maxsize=4)
def real_face_model(extra_shape: int = 40, extra_texture: int = 40) -> FaceModel:
    """The embedded face model with `extra_*` finer identity components plus the appearance basis."""
    base = build_face_model(extra_shape, extra_texture)
    extra = np.concatenate([base.extra_texture_basis, _appearance_basis(base)])
    return dataclasses.replace(base, extra_texture_basis=np.ascontiguousarray(extra, np.float32))


def appearance_coefficients(rng: np.random.Generator, person: Identity) -> np.ndarray:
    """Per-photo make-up / grooming / ageing albedo offsets (APPEARANCE layout)."""
    lips = person.lip_colour * person.makeup * rng.uniform(0.6, 1.2) if rng.random() < 0.75 else np.zeros(3)
    lids = person.shadow_colour * person.makeup * rng.uniform(0.6, 1.2) if rng.random() < 0.6 else np.zeros(3)
    blush = np.array([0.05, -0.02, -0.01]) * (person.makeup * rng.uniform(0.5, 1.0) + rng.normal(0.0, 0.5))  # + flush
    tan = -np.array([0.07, 0.055, 0.045]) * rng.normal(0.0, 0.6)  # season, foundation
    stubble = [0.22 * person.stubble * rng.uniform(0.0, 1.3)]  # days since shaving
    age = float(np.clip(person.age + rng.normal(0.0, 0.08), 0.0, 1.0))  # photos span years
    return np.concatenate(
        [lips, lids, blush, tan, stubble, [0.09 * age], [0.06 * age + abs(rng.normal(0, 0.02))]]
    ).astype(np.float32)


# ----------------------------------------------------------------------------- accessories
@dataclasses.dataclass(frozen=True)
class Accessories:
    """Occluders of one photo (geometry relative to the eye distance d; colours uint8-scale)."""

    glasses: bool = False
    sunglasses: bool = False
    hat: bool = False
    hand: bool = False
    params: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(12))

    @property
    def occluded(self) -> bool:
        return self.sunglasses or self.hat or self.hand


def draw_accessories(rng: np.random.Generator, person: Identity) -> Accessories:
    glasses = rng.random() < person.p_glasses
    sun = glasses and rng.random() < (0.2 if person.p_glasses > 0.5 else 0.6)  # occasional wearers: mostly sunglasses
    hat = rng.random() < person.p_hat
    hand = rng.random() < 0.04
    p = np.array(
        [
            rng.uniform(0.9, 1.4),  # 0 hat: edge height above the eyes / d
            rng.uniform(0.0, 1.0),
            rng.uniform(0.0, 1.0),
            rng.uniform(0.0, 1.0),  # 1-3 hat colour
            rng.choice([-1.0, 1.0]),  # 4 hand side
            rng.uniform(-0.4, 0.4),  # 5 hand rotation (rad)
            rng.uniform(0.2, 0.7),  # 6 hand: offset along the eye axis / d
            rng.uniform(0.85, 1.1),  # 7 hand brightness vs face
            rng.uniform(2.5, 4.0),  # 8 lens superellipse exponent
            rng.uniform(0.38, 0.46),  # 9 lens half-width / d
            rng.uniform(0.26, 0.34),  # 10 lens half-height / d
            rng.uniform(0.0, 1.0),  # 11 spare jitter for the frame colour
        ]
    )
    return Accessories(glasses, sun, hat, hand, p)


def _soft(signed_distance: np.ndarray) -> np.ndarray:
    """Anti-aliased coverage of a region given a signed distance in pixels (negative inside)."""
    return np.clip(0.5 - signed_distance, 0.0, 1.0)


def _blend(img: np.ndarray, alpha: np.ndarray, colour) -> None:
    img *= 1.0 - alpha[..., None]
    img += alpha[..., None] * np.asarray(colour, np.float32)


def apply_accessories(
    image: np.ndarray, landmarks: np.ndarray, mask: np.ndarray, acc: Accessories, person: Identity
) -> np.ndarray:
    """Draw glasses / hat / hand onto one aligned crop (uint8 (h, w, 3)) at its true landmarks."""
    if not (acc.glasses or acc.hat or acc.hand):
        return image
    p = acc.params
    img = image.astype(np.float32)
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    el, er = landmarks[0].astype(np.float32), landmarks[1].astype(np.float32)
    mouth = 0.5 * (landmarks[3] + landmarks[4]).astype(np.float32)
    d = max(float(np.linalg.norm(er - el)), 8.0)
    u = (er - el) / d  # along the eyes
    n = np.array([-u[1], u[0]], np.float32)  # towards the mouth
    centre = 0.5 * (el + er)

    def frame(pt):  # (along, down) coordinates of every pixel relative to pt
        dx, dy = xx - pt[0], yy - pt[1]
        return dx * u[0] + dy * u[1], dx * n[0] + dy * n[1]

    if acc.hand:
        face_px = img[mask] if mask.any() else img.reshape(-1, 3)
        skin = np.median(face_px, axis=0) * p[7]
        c = mouth + n * 0.55 * d + u * p[4] * p[6] * d
        a, b = frame(c)
        ca, sa = np.cos(p[5]), np.sin(p[5])
        a, b = ca * a + sa * b, -sa * a + ca * b
        palm = np.hypot(a / (0.55 * d), b / (0.6 * d)) - 1.0
        cover = _soft(palm * 0.5 * d)
        for k in range(4):  # fingers fanning up from the palm
            fa, fb = a - (k - 1.5) * 0.26 * d, b + (0.55 + 0.05 * abs(k - 1.5)) * d
            cover = np.maximum(cover, _soft((np.hypot(fa / (0.12 * d), fb / (0.42 * d)) - 1.0) * 0.12 * d))
        shade = np.clip(1.05 - 0.25 * (b / d), 0.6, 1.1)[..., None]  # darker towards the wrist
        img = img * (1 - cover[..., None]) + cover[..., None] * skin * shade
    if acc.glasses:
        st = person.glasses_style
        rim_col = 255.0 * (1 - st[0]) * np.array([0.35, 0.25, 0.15]) * (0.5 + st[4] + 0.3 * p[11])
        lens_col = np.array([40.0, 35.0, 30.0]) if acc.sunglasses else np.array([210.0, 225.0, 230.0])
        lens_alpha = st[3] if acc.sunglasses else st[2]
        ex = p[8]
        for eye in (el, er):
            a, b = frame(eye + n * 0.06 * d)
            r = (np.abs(a / (p[9] * d)) ** ex + np.abs(b / (p[10] * d)) ** ex) ** (1.0 / ex)
            sd = (r - 1.0) * p[10] * d  # ~pixels from the rim
            _blend(img, _soft(sd) * lens_alpha, lens_col)
            _blend(img, _soft(np.abs(sd) - 0.5 * st[1]) * 0.95, rim_col)
        a, b = frame(centre - n * 0.05 * d)  # bridge
        _blend(img, _soft(np.maximum(np.abs(a) - (0.5 - p[9]) * d - 1.0, np.abs(b) - 0.4 * st[1])) * 0.95, rim_col)
        for s in (-1.0, 1.0):  # temples towards the ears
            a, b = frame(centre + u * s * (0.5 + p[9]) * d)
            along = s * a
            _blend(
                img, _soft(np.maximum(np.abs(b) - 0.5 * st[1], np.maximum(-along, along - 0.35 * d))) * 0.95, rim_col
            )
    if acc.hat:
        _, b = frame(centre)
        below = b + p[0] * d  # pixels below the brim line (which sits p[0]·d above the eyes)
        img *= (1.0 - 0.35 * np.exp(-np.clip(below, 0.0, None) / (0.25 * d)))[..., None]  # brim shadow
        shade = 0.7 + 0.3 * np.clip(-below / (0.3 * d), 0.0, 1.0)  # the brim's underside is darker
        colour = 255.0 * (0.08 + 0.7 * p[1:4] * np.array([1.0, 0.9, 0.8]))
        _blend(img, _soft(below), shade[..., None] * colour)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- backgrounds
_PALETTES = {  # linear-RGB base colours of typical surroundings
    "indoor": np.array(
        [
            [0.55, 0.45, 0.35],
            [0.30, 0.20, 0.12],
            [0.70, 0.68, 0.62],
            [0.15, 0.15, 0.18],
            [0.45, 0.12, 0.10],
            [0.20, 0.30, 0.45],
            [0.60, 0.55, 0.30],
        ]
    ),
    "outdoor": np.array(
        [
            [0.45, 0.60, 0.85],
            [0.15, 0.30, 0.10],
            [0.35, 0.45, 0.20],
            [0.50, 0.50, 0.50],
            [0.70, 0.70, 0.72],
            [0.30, 0.25, 0.20],
            [0.80, 0.80, 0.85],
        ]
    ),
}


_MAX_SHAPES = 6 + 12 + 25
_DISPLAY = np.rint(255.0 * np.linspace(0.0, 1.0, 4097) ** (1 / 2.2)).astype(np.uint8)  # linear -> display
_SCALES = ((3, 7, 0.25, 0.8), (5, 13, 0.08, 0.25), (5, 26, 0.02, 0.08))  # big, medium, small: count range, size / side


@nb.njit(cache=True, parallel=True)
def _draw_clutter(top, bottom, shapes, counts, gain, out):
    """Per image: vertical gradient (top -> bottom), then shape rows (kind, cx, cy, half-length,
    half-width, angle, r, g, b, alpha) with kind 0 rotated rectangle, 1 ellipse, 2 line; all in
    linear RGB; then x gain (the scene's light) -> display uint8."""
    B, H, W = out.shape[0], out.shape[1], out.shape[2]
    for n in nb.prange(B):
        img = np.empty((H, W, 3))
        for y in range(H):
            t = y / (H - 1)
            for x in range(W):
                for c in range(3):
                    img[y, x, c] = (1 - t) * top[n, c] + t * bottom[n, c]
        for k in range(counts[n]):
            sh = shapes[n, k]
            kind, cx, cy, a, b = sh[0], sh[1], sh[2], sh[3], sh[4]
            ca, sa = np.cos(sh[5]), np.sin(sh[5])
            rx = np.sqrt((a * ca) ** 2 + (b * sa) ** 2) if kind == 1.0 else abs(a * ca) + abs(b * sa)
            ry = np.sqrt((a * sa) ** 2 + (b * ca) ** 2) if kind == 1.0 else abs(a * sa) + abs(b * ca)
            x0, x1 = max(int(cx - rx - 1.0), 0), min(int(cx + rx + 1.0) + 1, W)
            y0, y1 = max(int(cy - ry - 1.0), 0), min(int(cy + ry + 1.0) + 1, H)
            for y in range(y0, y1):
                for x in range(x0, x1):
                    du = (x - cx) * ca + (y - cy) * sa
                    dv = -(x - cx) * sa + (y - cy) * ca
                    if kind == 1.0:
                        sd = (np.sqrt((du / a) ** 2 + (dv / b) ** 2) - 1.0) * min(a, b)
                    else:
                        sd = max(abs(du) - a, abs(dv) - b)
                    cov = min(max(0.5 - sd, 0.0), 1.0) * sh[9]
                    if cov > 0.0:
                        for c in range(3):
                            img[y, x, c] = (1 - cov) * img[y, x, c] + cov * sh[6 + c]
        top_i = _DISPLAY.shape[0] - 1
        for y in range(H):
            for x in range(W):
                for c in range(3):
                    out[n, y, x, c] = _DISPLAY[int(min(max(img[y, x, c] * gain[n, c], 0.0), 1.0) * top_i + 0.5)]


def _clutter(rng: np.random.Generator, scene: int, light: np.ndarray, size: int, shapes: np.ndarray):
    """Draw one background's layout into `shapes` (rows); returns (count, top, bottom, gain)."""
    name = SCENE_NAMES[scene]
    palette = _PALETTES["outdoor" if name == "daylight" else "indoor"]
    k = 0
    for lo_n, hi_n, lo, hi in _SCALES:
        n = int(rng.integers(lo_n, hi_n))
        kind = rng.choice(3, p=[0.5, 0.3, 0.2], size=n)
        a = rng.uniform(lo, hi, n) * size
        rows = shapes[k : k + n]
        rows[:, 0] = kind
        rows[:, 1:3] = rng.uniform(0, size, (n, 2))
        rows[:, 3] = a
        rows[:, 4] = a * np.where(kind == 2, rng.uniform(0.02, 0.1, n), rng.uniform(0.3, 1.0, n))
        rows[:, 5] = rng.uniform(0, np.pi, n)
        rows[:, 6:9] = palette[rng.integers(len(palette), size=n)] * np.exp(rng.normal(0.0, 0.25, (n, 3)))
        rows[:, 9] = rng.uniform(0.6, 1.0, n)
        k += n
    top, bottom = palette[rng.integers(len(palette), size=2)] * np.exp(rng.normal(0.0, 0.2, (2, 3)))
    gain = light.reshape(9, 3)[0].astype(np.float64)  # the scene receives the photo's light (colour, exposure) ...
    if name == "flash":  # ... except that flash falls off with distance: the background goes dark
        gain = gain * rng.uniform(0.08, 0.3)
    return k, top, bottom, gain


def backgrounds(
    rngs: list[np.random.Generator], scenes: list[int], lights: list[np.ndarray], size: tuple[int, int]
) -> np.ndarray:
    """Cluttered uint8 (B, height, width, 3) display-space backgrounds, one per photo, lit by its light."""
    B = len(rngs)
    shapes = np.zeros((B, _MAX_SHAPES, 10))
    counts = np.zeros(B, np.int64)
    top, bottom, gain = np.zeros((B, 3)), np.zeros((B, 3)), np.zeros((B, 3))
    for b in range(B):  # clutter scaled to the longer side, so shapes keep their proportions
        counts[b], top[b], bottom[b], gain[b] = _clutter(rngs[b], scenes[b], lights[b], max(size), shapes[b])
    out = np.empty((B, *size, 3), np.uint8)
    _draw_clutter(top, bottom, shapes, counts, gain, out)
    return out
