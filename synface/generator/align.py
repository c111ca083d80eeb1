"""Five-point similarity alignment (the MTCNN-style crop used by SphereFace / SynFace).

Pixel convention: integer coordinates are pixel centres (as OpenCV); points are (x, y).
"""

from __future__ import annotations

import numba as nb
import numpy as np

# SphereFace / SynFace 112x96 reference points (x, y): eyes, nose tip, mouth corners.
TEMPLATE_112x96 = np.array(
    [[30.2946, 51.6963], [65.5318, 51.5014], [48.0252, 71.7366], [33.5493, 92.3655], [62.7299, 92.2041]],
    np.float32,
)
# insightface's ArcFace 112x112 template is the same shifted 8 px right (columns 8:104 = 112x96 crop).
ARCFACE_112x112_TEMPLATE = (TEMPLATE_112x96 + np.array([8.0, 0.0], np.float32)).astype(np.float32)


def similarity_transform(src, dst) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation; no reflection) mapping
    src (N,2) onto dst (N,2) (Umeyama 1991). Returns the (2,3) float64 matrix M: dst ~ M @ [x, y, 1]."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s0, d0 = src - mu_s, dst - mu_d
    cov = d0.T @ s0 / len(src)
    U, S, Vt = np.linalg.svd(cov)
    D = np.eye(2)
    if np.linalg.det(U) * np.linalg.det(Vt) < 0:
        D[1, 1] = -1.0
    R = U @ D @ Vt
    var = (s0**2).sum() / len(src)
    scale = (S * np.diag(D)).sum() / var if var > 0 else 1.0
    M = np.zeros((2, 3))
    M[:, :2] = scale * R
    M[:, 2] = mu_d - scale * R @ mu_s
    return M


def apply_transform(M, pts) -> np.ndarray:
    """Apply (…,2,3) affine matrices to (…,N,2) points."""
    M = np.asarray(M, np.float64)
    pts = np.asarray(pts, np.float64)
    return pts @ np.swapaxes(M[..., :2], -1, -2) + M[..., None, :, 2]


@nb.njit(cache=True, inline="always")
def similarity_2d(src, dst, out):
    """Closed-form 2-D Umeyama (no reflection) into out (2,3); same result as similarity_transform."""
    n = src.shape[0]
    msx = 0.0
    msy = 0.0
    mdx = 0.0
    mdy = 0.0
    for i in range(n):
        msx += src[i, 0]
        msy += src[i, 1]
        mdx += dst[i, 0]
        mdy += dst[i, 1]
    msx /= n
    msy /= n
    mdx /= n
    mdy /= n
    num_c = 0.0
    num_s = 0.0
    den = 0.0
    for i in range(n):
        ax = src[i, 0] - msx
        ay = src[i, 1] - msy
        bx = dst[i, 0] - mdx
        by = dst[i, 1] - mdy
        num_c += ax * bx + ay * by
        num_s += ax * by - ay * bx
        den += ax * ax + ay * ay
    a = num_c / den
    b = num_s / den
    out[0, 0] = a
    out[0, 1] = -b
    out[1, 0] = b
    out[1, 1] = a
    out[0, 2] = mdx - (a * msx - b * msy)
    out[1, 2] = mdy - (b * msx + a * msy)


@nb.njit(cache=True, inline="always")
def invert_affine(M, out):
    det = M[0, 0] * M[1, 1] - M[0, 1] * M[1, 0]
    i00 = M[1, 1] / det
    i01 = -M[0, 1] / det
    i10 = -M[1, 0] / det
    i11 = M[0, 0] / det
    out[0, 0] = i00
    out[0, 1] = i01
    out[1, 0] = i10
    out[1, 1] = i11
    out[0, 2] = -(i00 * M[0, 2] + i01 * M[1, 2])
    out[1, 2] = -(i10 * M[0, 2] + i11 * M[1, 2])


@nb.njit(cache=True, fastmath=True)
def warp_one(src, M, out, replicate):
    """Bilinear inverse-mapped warp of one (H,W,C) float32 image into out (h,w,C) float32."""
    Mi = np.empty((2, 3))
    invert_affine(M, Mi)
    H, W, C = src.shape
    h, w = out.shape[0], out.shape[1]
    for y in range(h):
        for x in range(w):
            sx = Mi[0, 0] * x + Mi[0, 1] * y + Mi[0, 2]
            sy = Mi[1, 0] * x + Mi[1, 1] * y + Mi[1, 2]
            if not replicate and (sx < -1.0 or sy < -1.0 or sx > W or sy > H):
                for c in range(C):
                    out[y, x, c] = 0.0
                continue
            x0 = int(np.floor(sx))
            y0 = int(np.floor(sy))
            fx = sx - x0
            fy = sy - y0
            for c in range(C):
                acc = 0.0
                for dy in range(2):
                    yy = y0 + dy
                    wy = fy if dy == 1 else 1.0 - fy
                    inside_y = 0 <= yy < H
                    yy = min(max(yy, 0), H - 1)
                    for dx in range(2):
                        xx = x0 + dx
                        wx = fx if dx == 1 else 1.0 - fx
                        inside = inside_y and (0 <= xx < W)
                        xx = min(max(xx, 0), W - 1)
                        if inside or replicate:
                            acc += wy * wx * src[yy, xx, c]
                out[y, x, c] = acc


@nb.njit(cache=True, parallel=True)
def _warp_batch(images, M, out, replicate):
    for b in nb.prange(images.shape[0]):
        warp_one(images[b], M[b], out[b], replicate)


def warp_affine(images, M, out_size=(112, 96), border: str = "replicate") -> np.ndarray:
    """Warp (B,H,W,C) (or (H,W,C)) images with (B,2,3) (or (2,3)) source->destination matrices
    into out_size=(h, w), bilinear; border 'replicate' or 'constant' (zeros). Keeps uint8 dtype."""
    images = np.asarray(images)
    single = images.ndim == 3
    if single:
        images = images[None]
    M = np.asarray(M, np.float64)
    if M.ndim == 2:
        M = np.broadcast_to(M, (images.shape[0], 2, 3))
    M = np.ascontiguousarray(M)
    src = np.ascontiguousarray(images, np.float32)
    out = np.empty((images.shape[0], out_size[0], out_size[1], images.shape[3]), np.float32)
    _warp_batch(src, M, out, border == "replicate")
    if images.dtype == np.uint8:
        out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out[0] if single else out
