"""Alignment templates and the similarity warp that puts five detected landmarks onto one.

The paper aligns faces as SphereFace does: the similarity transform (scale, rotation,
translation; 4 degrees of freedom) that best maps the five MTCNN landmarks onto five
reference points of a 112x96 crop, then a bilinear warp. insightface's 112x112 ArcFace
crops use the same points 8 px to the right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synface.errors import SynfaceError


@dataclass(frozen=True)
class Template:
    """Reference (x, y) positions of left eye, right eye, nose, left and right mouth corner in a crop."""

    name: str
    size: tuple[int, int]  # (height, width)
    points: np.ndarray  # (5, 2)


SPHEREFACE = Template(
    "sphereface",
    (112, 96),
    np.array([[30.2946, 51.6963], [65.5318, 51.5014], [48.0252, 71.7366], [33.5493, 92.3655], [62.7299, 92.2041]]),
)
ARCFACE = Template("arcface", (112, 112), SPHEREFACE.points + [8.0, 0.0])
TEMPLATES = {t.name: t for t in (SPHEREFACE, ARCFACE)}


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 matrix [sR | t] minimising sum |dst - (s R src + t)|^2 over points (n, 2) (Umeyama, 1991,
    as scikit-image fits it). R is a rotation (a reflection is never chosen), s > 0 a uniform scale,
    t a translation."""
    from skimage.transform import SimilarityTransform  # slow to import: only when needed

    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    if ((src - src.mean(axis=0)) ** 2).sum() / len(src) <= 1e-12:
        raise SynfaceError("similarity transform: the source points all coincide")
    return SimilarityTransform.from_estimate(src, dst).params[:2]


def apply_transform(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Points (n, 2) mapped by a 2x3 affine matrix."""
    return points @ matrix[:, :2].T + matrix[:, 2]


def warp(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The (height, width) crop whose pixel (x, y) is `image` bilinearly sampled where `matrix` maps it from.

    `matrix` (2x3) maps image coordinates to crop coordinates (pixel centres at integers); the
    crop is sampled through its inverse. Outside the image is black.
    """
    height, width = size
    inverse = np.linalg.inv(np.vstack([matrix, [0.0, 0.0, 1.0]]))[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    sx, sy = apply_transform(inverse, np.stack([xs.ravel(), ys.ravel()], axis=1)).T
    x0, y0 = np.floor(sx).astype(np.int64), np.floor(sy).astype(np.int64)
    fx, fy = (sx - x0)[:, None], (sy - y0)[:, None]
    # one black pixel around the image: indices clipped onto it read zero
    padded = np.pad(image.astype(np.float64), ((1, 1), (1, 1), (0, 0)))
    h, w = image.shape[:2]

    def at(y: np.ndarray, x: np.ndarray) -> np.ndarray:
        return padded[np.clip(y + 1, 0, h + 1), np.clip(x + 1, 0, w + 1)]

    out = (
        at(y0, x0) * (1 - fx) * (1 - fy)
        + at(y0, x0 + 1) * fx * (1 - fy)
        + at(y0 + 1, x0) * (1 - fx) * fy
        + at(y0 + 1, x0 + 1) * fx * fy
    )
    return np.clip(np.rint(out), 0, 255).astype(np.uint8).reshape(height, width, image.shape[2])


def align_to(image: np.ndarray, landmarks: np.ndarray, template: Template) -> np.ndarray:
    """The face whose five `landmarks` (x, y) are given, warped onto `template`."""
    return warp(image, similarity_transform(landmarks, template.points), template.size)
