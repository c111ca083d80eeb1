"""The camera and web pipeline a real photo went through, applied to the aligned crop.

Order as in a camera: optical blur (defocus, hand shake) -> sensor noise (shot + read, scaled
by the ISO gain a dim scene needs) -> white balance (an imperfect correction of the
illuminant's colour) and tone curve -> JPEG at a web quality (sometimes twice, as re-uploads
are) on a block grid not aligned to the crop. Also the detector: landmarks with MTCNN-like
errors, from which the crop is aligned (given to the renderer as `landmark_noise`).

The aligned crop (inter-ocular distance ~35 px) is at about the native scale of faces in web
photos such as LFW's 250x250 images, so doing these steps on the crop changes them only by the
near-identity resampling of the alignment warp.
"""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba as nb
import numpy as np
from PIL import Image

from synface.realdomain.priors import SCENE_NAMES, SCENES

KERNEL = 11  # blur kernels are at most 11x11
TEMPLATE_IOD = 35.24  # inter-ocular distance of the 112x96 template (px)
LANDMARK_POINT_STD = 1.2  # px per axis, independent per point (~3.4 % of the IOD)
LANDMARK_SHARED_STD = 0.8  # px per axis, one shift of all five (the detector's box offset)
SHOT_NOISE = 1.5e-4  # linear-intensity variance per unit intensity at ISO gain 1
READ_NOISE = 0.002  # linear-intensity std at ISO gain 1
_TONE_STEPS = 4096
_THREADS = min(4, os.cpu_count() or 1)


@dataclass(frozen=True)
class Camera:
    kernel: np.ndarray  # (KERNEL, KERNEL) normalised blur kernel
    iso_gain: float
    wb_gains: np.ndarray  # (3,) multipliers in linear RGB
    gamma: float  # tone-curve exponent relative to sRGB-like 1/2.2
    jpeg_quality: int
    jpeg_offset: tuple[int, int]  # (dy, dx) of the crop inside the 8x8 block grid
    recompress_quality: int  # 0: uploaded once


def blur_kernel(sigma: float, length: float, angle: float) -> np.ndarray:
    """Gaussian defocus of `sigma` px convolved with a straight motion streak of `length` px."""
    r = KERNEL // 2
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float64)
    t = np.linspace(-0.5 * length, 0.5 * length, 17)[:, None, None]  # points along the streak
    k = np.exp(-0.5 * ((xx - t * np.cos(angle)) ** 2 + (yy - t * np.sin(angle)) ** 2) / sigma**2).sum(0)
    return (k / k.sum()).astype(np.float32)


def draw_camera(rng: np.random.Generator, scene: int, light: np.ndarray) -> Camera:
    """Per-photo camera: blur, ISO, white-balance error, tone, JPEG (docs/stand_in_real_domain.md)."""
    sigma = rng.uniform(0.3, 0.7) if rng.random() < 0.55 else rng.uniform(0.7, 1.6)  # soft downscale .. missed focus
    length = rng.uniform(2.0, 6.0) if rng.random() < 0.15 else 0.0  # hand shake / subject motion
    kernel = blur_kernel(sigma, length, rng.uniform(0, np.pi))
    exposure = float(light.reshape(9, 3)[0].mean())
    iso = float(np.clip((1.0 / max(exposure, 0.2)) ** 2 * np.exp(rng.normal(0.0, 0.3)), 1.0, 8.0))  # dim -> high ISO
    illuminant = np.asarray(SCENES[SCENE_NAMES[scene]]["colour"])
    wb = illuminant ** -rng.uniform(0.5, 1.0) * np.exp(rng.normal(0.0, 0.05, 3))  # auto-WB removes 50-100 % of the cast
    wb /= wb[1]
    quality = int(rng.integers(60, 96))
    recompress = int(rng.integers(70, 91)) if rng.random() < 0.25 else 0
    return Camera(
        kernel,
        iso,
        wb.astype(np.float32),
        float(np.exp(rng.normal(0.0, 0.08))),
        quality,
        (int(rng.integers(0, 8)), int(rng.integers(0, 8))),
        recompress,
    )


def landmark_noise(rng: np.random.Generator, yaw: float, occluded: bool) -> np.ndarray:
    """(5, 2) detector error in crop pixels: per-point plus shared offset, larger at large yaw or under occlusion."""
    scale = (1.0 + 1.5 * abs(np.sin(yaw))) * (1.5 if occluded else 1.0)
    return scale * (rng.normal(0.0, LANDMARK_POINT_STD, (5, 2)) + rng.normal(0.0, LANDMARK_SHARED_STD, (1, 2)))


@nb.njit(cache=True, parallel=True, fastmath=True)
def _sensor_batch(src, kernels, noise, iso, wb, gamma, out):
    """Per image: blur (edge-replicated) -> shot + read noise -> white balance -> tone curve -> uint8."""
    B, H, W, C = src.shape
    r = kernels.shape[1] // 2
    for b in nb.prange(B):
        k = kernels[b]
        pad = np.empty((H + 2 * r, W + 2 * r, C), np.float32)
        for y in range(H + 2 * r):
            yy = min(max(y - r, 0), H - 1)
            for x in range(W + 2 * r):
                xx = min(max(x - r, 0), W - 1)
                for c in range(C):
                    pad[y, x, c] = src[b, yy, xx, c]
        acc = np.zeros((H, W * C), np.float32)
        flat = pad.reshape(H + 2 * r, (W + 2 * r) * C)
        for dy in range(2 * r + 1):
            for dx in range(2 * r + 1):
                w = k[dy, dx]
                if w < 1e-5:
                    continue
                for y in range(H):
                    row = flat[y + dy, dx * C : dx * C + W * C]
                    a = acc[y]
                    for i in range(W * C):
                        a[i] += w * row[i]
        shot = SHOT_NOISE * iso[b]
        read = (READ_NOISE * iso[b]) ** 2
        tone = np.empty(_TONE_STEPS + 1, np.float32)  # this camera's tone curve, tabulated
        for i in range(_TONE_STEPS + 1):
            tone[i] = 255.0 * (i / _TONE_STEPS) ** (1.0 / (2.2 * gamma[b]))
        for y in range(H):
            for x in range(W):
                for c in range(C):
                    v = acc[y, x * C + c]
                    v += np.sqrt(shot * max(v, 0.0) + read) * noise[b, y, x, c]
                    t = min(max(v * wb[b, c], 0.0), 1.0) * _TONE_STEPS
                    i = min(int(t), _TONE_STEPS - 1)
                    v = tone[i] + (t - i) * (tone[i + 1] - tone[i])
                    out[b, y, x, c] = np.uint8(min(np.floor(v + 0.5), 255.0))


def _jpeg(image: np.ndarray, quality: int, offset: tuple[int, int]) -> np.ndarray:
    dy, dx = offset
    padded = np.pad(image, ((dy, 0), (dx, 0), (0, 0)), mode="edge")
    buf = io.BytesIO()
    Image.fromarray(padded).save(buf, format="JPEG", quality=quality)  # PIL default: 4:2:0 chroma
    buf.seek(0)
    with Image.open(buf) as decoded:
        return np.asarray(decoded)[dy:, dx:]


def _publish(image: np.ndarray, cam: Camera) -> np.ndarray:
    """JPEG at the upload quality, and again for the photos that were re-uploaded."""
    out = _jpeg(image, cam.jpeg_quality, cam.jpeg_offset)
    if cam.recompress_quality:
        out = _jpeg(out, cam.recompress_quality, ((cam.jpeg_offset[0] + 3) % 8, (cam.jpeg_offset[1] + 5) % 8))
    return out


_LINEAR = ((np.arange(256) / 255.0) ** 2.2).astype(np.float32)


def develop(images: np.ndarray, cameras: list[Camera], rngs: list[np.random.Generator]) -> np.ndarray:
    """Apply each photo's camera to uint8 crops (B, h, w, 3); `rngs` draw each photo's sensor noise."""
    if not len(images):
        return images.copy()
    noise = np.stack([rng.standard_normal(images.shape[1:], dtype=np.float32) for rng in rngs])
    raw = np.empty_like(images)
    _sensor_batch(
        _LINEAR[images],
        np.stack([c.kernel for c in cameras]),
        noise,
        np.array([c.iso_gain for c in cameras]),
        np.stack([c.wb_gains for c in cameras]).astype(np.float64),
        np.array([c.gamma for c in cameras]),
        raw,
    )
    with ThreadPoolExecutor(_THREADS) as pool:  # PIL codes JPEG without the GIL
        return np.stack(list(pool.map(_publish, raw, cameras)))
