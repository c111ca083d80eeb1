"""CPU renderer of the embedded face generator: λ -> aligned 112x96 face crops.

Per image (all inside one numba kernel, images independent of each other):
  3DMM geometry/albedo from λ -> head pose (yaw about y, pitch about x, roll about z) ->
  perspective camera (portrait lens, ~1 m) -> per-vertex normals and Lambertian SH shading
  (9 bands x RGB, Deng et al. / DiscoFaceGAN convention) -> z-buffer rasterisation at an
  intermediate "canvas" resolution with a procedural background -> 5 landmarks projected ->
  least-squares similarity onto the 112x96 template -> bilinear warp.

The 32 noise dims: [0:16] the background (two gradient colours, gradient direction, three
soft blobs); [16:32] coefficients of identity-independent fine albedo detail
(FaceModel.noise_texture_basis: per-vertex high-frequency skin/hair texture).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from synface.generator import lam as L
from synface.generator.align import TEMPLATE_112x96, invert_affine, similarity_2d, warp_one
from synface.generator.facemodel import FaceModel, build_face_model

CAMERA_DISTANCE = 100.0  # cm from the head pivot
BASE_CANVAS = 128  # canvas side at supersample 1 (template pixels)
EYE_MOUTH_TEMPLATE = 40.7  # template distance between eye midpoint and mouth midpoint (px)
EYE_MOUTH_CM = 7.5


@dataclass
class RenderResult:
    images: np.ndarray  # (B, h, w, 3) uint8 aligned crops
    landmarks: np.ndarray  # (B, 5, 2) float32 true landmarks in crop pixels (x, y)
    mask: np.ndarray  # (B, h, w) bool: pixel covered by the head (not background)
    transforms: np.ndarray  # (B, 2, 3) float64 canvas -> crop similarity
    canvas_landmarks: np.ndarray  # (B, 5, 2) float32 projected landmarks in canvas pixels


def canvas_size(supersample: float = 1.25) -> int:
    """Side of the square intermediate render (the `backgrounds` resolution)."""
    return int(round(BASE_CANVAS * supersample))


# ----------------------------------------------------------------------------- numba kernels
_BLOCK = 4096  # vertex-coordinate block of the chunked basis combination
_CHUNK = 8  # images sharing one pass over the bases (cache reuse only; results are per image)


@nb.njit(cache=True, fastmath=True)
def _add_chunk(out, basis, ranges, coefs):
    """out[g] += sum_k coefs[g, k] * basis[k], k ascending for every element (so each image's result
    does not depend on which other images share the chunk). ranges[k] = [lo, hi) of non-zeros."""
    n, N = out.shape
    K = coefs.shape[1]
    for j0 in range(0, N, _BLOCK):
        j1 = min(N, j0 + _BLOCK)
        for k in range(K):
            lo = max(ranges[k, 0], j0)
            hi = min(ranges[k, 1], j1)
            if lo >= hi:
                continue
            row = basis[k, lo:hi]
            for g in range(n):
                c = coefs[g, k]
                if c != 0.0:
                    o = out[g, lo:hi]
                    for j in range(hi - lo):  # zero-based: lets LLVM vectorise
                        o[j] += c * row[j]


@nb.njit(cache=True, fastmath=True)
def _render_one(lamv, geo, alb, lnoise, tris, lmk, pivot, focal, dist, canvas, bg, has_bg, template, lut,
                out_img, out_mask, out_lmk, out_M, out_clmk):
    V = geo.shape[0] // 3
    T = tris.shape[0]
    H = canvas
    W = canvas
    # ---- pose: R = Rz(roll) @ Ry(yaw) @ Rx(pitch), about the pivot
    yaw = lamv[224]
    pitch = lamv[225]
    roll = lamv[226]
    cy_, sy_ = np.cos(yaw), np.sin(yaw)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    # Rx
    r00, r01, r02 = 1.0, 0.0, 0.0
    r10, r11, r12 = 0.0, cp, -sp
    r20, r21, r22 = 0.0, sp, cp
    # Ry @ Rx
    a00 = cy_ * r00 + sy_ * r20
    a01 = cy_ * r01 + sy_ * r21
    a02 = cy_ * r02 + sy_ * r22
    a10, a11, a12 = r10, r11, r12
    a20 = -sy_ * r00 + cy_ * r20
    a21 = -sy_ * r01 + cy_ * r21
    a22 = -sy_ * r02 + cy_ * r22
    # Rz @ (Ry Rx)
    R00 = cr * a00 - sr * a10
    R01 = cr * a01 - sr * a11
    R02 = cr * a02 - sr * a12
    R10 = sr * a00 + cr * a10
    R11 = sr * a01 + cr * a11
    R12 = sr * a02 + cr * a12
    R20, R21, R22 = a20, a21, a22
    px, py, pz = pivot[0], pivot[1], pivot[2]
    cam = np.empty((V, 3), np.float32)  # rotated head coords (camera frame axes)
    scr = np.empty((V, 3), np.float32)  # screen x, y (camera plane, no offset), depth
    for i in range(V):
        x = geo[3 * i] - px
        y = geo[3 * i + 1] - py
        z = geo[3 * i + 2] - pz
        X = R00 * x + R01 * y + R02 * z + px
        Y = R10 * x + R11 * y + R12 * z + py
        Z = R20 * x + R21 * y + R22 * z + pz
        cam[i, 0] = X
        cam[i, 1] = Y
        cam[i, 2] = Z
        w = dist - Z
        scr[i, 0] = focal * X / w
        scr[i, 1] = -focal * Y / w
        scr[i, 2] = w
    # ---- landmarks, similarity, canvas placement
    src = np.empty((5, 2))
    for k in range(5):
        src[k, 0] = scr[lmk[k], 0]
        src[k, 1] = scr[lmk[k], 1]
    M0 = np.empty((2, 3))
    similarity_2d(src, template, M0)
    Mi = np.empty((2, 3))
    invert_affine(M0, Mi)
    ccx = Mi[0, 0] * 48.0 + Mi[0, 1] * 56.0 + Mi[0, 2]
    ccy = Mi[1, 0] * 48.0 + Mi[1, 1] * 56.0 + Mi[1, 2]
    offx = np.floor(0.5 * W - ccx)
    offy = np.floor(0.5 * H - ccy)
    for i in range(V):
        scr[i, 0] += offx
        scr[i, 1] += offy
    scale_c2t = np.sqrt(M0[0, 0] * M0[0, 0] + M0[1, 0] * M0[1, 0])  # crop px per canvas px
    det = np.empty((5, 2))
    for k in range(5):
        out_clmk[k, 0] = scr[lmk[k], 0]
        out_clmk[k, 1] = scr[lmk[k], 1]
        det[k, 0] = scr[lmk[k], 0] + lnoise[k, 0] / scale_c2t
        det[k, 1] = scr[lmk[k], 1] + lnoise[k, 1] / scale_c2t
    M = np.empty((2, 3))
    similarity_2d(det, template, M)
    for r in range(2):
        for c in range(3):
            out_M[r, c] = M[r, c]
    for k in range(5):
        x = out_clmk[k, 0]
        y = out_clmk[k, 1]
        out_lmk[k, 0] = M[0, 0] * x + M[0, 1] * y + M[0, 2]
        out_lmk[k, 1] = M[1, 0] * x + M[1, 1] * y + M[1, 2]
    # ---- normals (camera frame) and SH shading -> per-vertex sRGB colour
    nrm = np.zeros((V, 3), np.float32)
    for t in range(T):
        i0, i1, i2 = tris[t, 0], tris[t, 1], tris[t, 2]
        e1x = cam[i1, 0] - cam[i0, 0]
        e1y = cam[i1, 1] - cam[i0, 1]
        e1z = cam[i1, 2] - cam[i0, 2]
        e2x = cam[i2, 0] - cam[i0, 0]
        e2y = cam[i2, 1] - cam[i0, 1]
        e2z = cam[i2, 2] - cam[i0, 2]
        nx = e1y * e2z - e1z * e2y
        ny = e1z * e2x - e1x * e2z
        nz = e1x * e2y - e1y * e2x
        for v in (i0, i1, i2):
            nrm[v, 0] += nx
            nrm[v, 1] += ny
            nrm[v, 2] += nz
    gam = lamv[227:254]
    a0 = np.pi
    a1 = 2.0 * np.pi / np.sqrt(3.0)
    a2 = 2.0 * np.pi / np.sqrt(8.0)
    c0 = 1.0 / np.sqrt(4.0 * np.pi)
    c1 = np.sqrt(3.0) / np.sqrt(4.0 * np.pi)
    c2 = 3.0 * np.sqrt(5.0) / np.sqrt(12.0 * np.pi)
    col = np.empty((V, 3), np.float32)
    for i in range(V):
        nx, ny, nz = nrm[i, 0], nrm[i, 1], nrm[i, 2]
        ln = np.sqrt(nx * nx + ny * ny + nz * nz) + 1e-12
        nx /= ln
        ny /= ln
        nz /= ln
        y0 = a0 * c0
        y1 = -a1 * c1 * ny
        y2 = a1 * c1 * nz
        y3 = -a1 * c1 * nx
        y4 = a2 * c2 * nx * ny
        y5 = -a2 * c2 * ny * nz
        y6 = a2 * c2 * 0.5 / np.sqrt(3.0) * (3.0 * nz * nz - 1.0)
        y7 = -a2 * c2 * nx * nz
        y8 = a2 * c2 * 0.5 * (nx * nx - ny * ny)
        for c in range(3):
            irr = (y0 * gam[c] + y1 * gam[3 + c] + y2 * gam[6 + c] + y3 * gam[9 + c] + y4 * gam[12 + c]
                   + y5 * gam[15 + c] + y6 * gam[18 + c] + y7 * gam[21 + c] + y8 * gam[24 + c])
            a = alb[3 * i + c]
            a = min(max(a, 0.0), 1.0)
            v = a * max(irr, 0.0)
            v = min(max(v, 0.0), 1.0) * (lut.shape[0] - 1)
            iv = min(int(v), lut.shape[0] - 2)
            fv = v - iv
            col[i, c] = lut[iv] + fv * (lut[iv + 1] - lut[iv])
    # ---- rasterise (z-buffer; back faces culled)
    depth = np.full((H, W), np.inf, np.float32)
    tid = np.full((H, W), -1, np.int32)
    b1 = np.empty((H, W), np.float32)
    b2 = np.empty((H, W), np.float32)
    for t in range(T):
        i0, i1, i2 = tris[t, 0], tris[t, 1], tris[t, 2]
        x0, y0_, x1, y1_, x2, y2_ = scr[i0, 0], scr[i0, 1], scr[i1, 0], scr[i1, 1], scr[i2, 0], scr[i2, 1]
        area = (x1 - x0) * (y2_ - y0_) - (x2 - x0) * (y1_ - y0_)
        if area >= -1e-9:
            continue
        xmin = max(int(np.ceil(min(x0, min(x1, x2)))), 0)
        xmax = min(int(np.floor(max(x0, max(x1, x2)))), W - 1)
        ymin = max(int(np.ceil(min(y0_, min(y1_, y2_)))), 0)
        ymax = min(int(np.floor(max(y0_, max(y1_, y2_)))), H - 1)
        if xmin > xmax or ymin > ymax:
            continue
        inv = 1.0 / area
        z0, z1, z2 = scr[i0, 2], scr[i1, 2], scr[i2, 2]
        for yy in range(ymin, ymax + 1):
            for xx in range(xmin, xmax + 1):
                w1 = ((xx - x0) * (y2_ - y0_) - (x2 - x0) * (yy - y0_)) * inv
                w2 = ((x1 - x0) * (yy - y0_) - (xx - x0) * (y1_ - y0_)) * inv
                w0 = 1.0 - w1 - w2
                if w0 < 0.0 or w1 < 0.0 or w2 < 0.0:
                    continue
                z = w0 * z0 + w1 * z1 + w2 * z2
                if z < depth[yy, xx]:
                    depth[yy, xx] = z
                    tid[yy, xx] = t
                    b1[yy, xx] = w1
                    b2[yy, xx] = w2
    # ---- background parameters from noise dims 0..15
    nz_ = lamv[254:286]
    ca = np.empty(3)
    cb = np.empty(3)
    for c in range(3):
        ca[c] = 255.0 * min(max(0.45 + 0.18 * np.tanh(nz_[c]) + 0.22 * np.tanh(nz_[6]), 0.02), 0.98)
        cb[c] = 255.0 * min(max(0.45 + 0.18 * np.tanh(nz_[3 + c]) + 0.22 * np.tanh(nz_[6]), 0.02), 0.98)
    ang = np.pi * np.tanh(0.7 * nz_[7])
    gx = np.cos(ang) / W
    gy = np.sin(ang) / H
    bx = np.empty(3)
    by = np.empty(3)
    bs = np.empty(3)
    br = np.empty(3)
    ex = np.empty((3, W), np.float32)
    ey = np.empty((3, H), np.float32)
    for j in range(3):
        bx[j] = W * (0.5 + 0.45 * np.tanh(nz_[8 + 2 * j]))
        by[j] = H * (0.5 + 0.45 * np.tanh(nz_[9 + 2 * j]))
        bs[j] = 70.0 * np.tanh(nz_[14 + (j % 2)]) * (1.0 if j != 2 else -1.0)
        br[j] = 1.0 / (2.0 * (W * (0.12 + 0.05 * j)) ** 2)
        for xx in range(W):
            ex[j, xx] = np.exp(-((xx - bx[j]) ** 2) * br[j])
        for yy in range(H):
            ey[j, yy] = bs[j] * np.exp(-((yy - by[j]) ** 2) * br[j])
    # ---- shade pixels into the canvas
    img = np.empty((H, W, 3), np.float32)
    cov = np.empty((H, W, 1), np.float32)
    for yy in range(H):
        for xx in range(W):
            t = tid[yy, xx]
            if t >= 0:
                w1 = b1[yy, xx]
                w2 = b2[yy, xx]
                w0 = 1.0 - w1 - w2
                i0, i1, i2 = tris[t, 0], tris[t, 1], tris[t, 2]
                for c in range(3):
                    img[yy, xx, c] = w0 * col[i0, c] + w1 * col[i1, c] + w2 * col[i2, c]
                cov[yy, xx, 0] = 1.0
            else:
                cov[yy, xx, 0] = 0.0
                if has_bg:
                    for c in range(3):
                        img[yy, xx, c] = bg[yy, xx, c]
                else:
                    s = (xx - 0.5 * W) * gx + (yy - 0.5 * H) * gy + 0.5
                    s = min(max(s, 0.0), 1.0)
                    blob = 0.0
                    for j in range(3):
                        blob += ey[j, yy] * ex[j, xx]
                    for c in range(3):
                        v = (1.0 - s) * ca[c] + s * cb[c] + blob
                        img[yy, xx, c] = min(max(v, 0.0), 255.0)
    # ---- warp to the aligned crop
    h = out_img.shape[0]
    w = out_img.shape[1]
    tmp = np.empty((h, w, 3), np.float32)
    warp_one(img, M, tmp, True)
    tm = np.empty((h, w, 1), np.float32)
    warp_one(cov, M, tm, True)
    for yy in range(h):
        for xx in range(w):
            for c in range(3):
                out_img[yy, xx, c] = np.uint8(min(max(np.floor(tmp[yy, xx, c] + 0.5), 0.0), 255.0))
            out_mask[yy, xx] = tm[yy, xx, 0] >= 0.5


@nb.njit(cache=True, parallel=True)
def _render_batch(lams, ex_s, ex_t, lnoise, mean_v, shape_b, shape_r, expr_b, expr_r, exs_b, exs_r, mean_a, tex_b,
                  tex_r, ntex_b, ntex_r, ext_b, ext_r, tris, lmk, pivot, focal, dist, canvas, bgs, has_bg, template,
                  lut, out_img, out_mask, out_lmk, out_M, out_clmk):
    B = lams.shape[0]
    N = mean_v.shape[0]
    n_chunks = (B + _CHUNK - 1) // _CHUNK
    for ci in nb.prange(n_chunks):
        b0 = ci * _CHUNK
        b1 = min(B, b0 + _CHUNK)
        n = b1 - b0
        geo = np.empty((n, N), np.float32)
        alb = np.empty((n, N), np.float32)
        for g in range(n):
            geo[g, :] = mean_v
            alb[g, :] = mean_a
        _add_chunk(geo, shape_b, shape_r, lams[b0:b1, 0:80])
        _add_chunk(geo, expr_b, expr_r, lams[b0:b1, 160:224])
        _add_chunk(geo, exs_b, exs_r, ex_s[b0:b1])
        _add_chunk(alb, tex_b, tex_r, lams[b0:b1, 80:160])
        _add_chunk(alb, ntex_b, ntex_r, lams[b0:b1, 270:286])
        _add_chunk(alb, ext_b, ext_r, ex_t[b0:b1])
        for g in range(n):
            b = b0 + g
            bg = bgs[b] if has_bg else bgs[0]
            _render_one(lams[b], geo[g], alb[g], lnoise[b], tris, lmk, pivot, focal, dist, canvas, bg, has_bg,
                        template, lut, out_img[b], out_mask[b], out_lmk[b], out_M[b], out_clmk[b])


# ----------------------------------------------------------------------------- public API
_FLAT_CACHE: dict = {}
# linear [0,1] -> sRGB-like display value (gamma 2.2) in [0,255], linearly interpolated
_SRGB_LUT = (255.0 * np.linspace(0.0, 1.0, 8193) ** (1.0 / 2.2)).astype(np.float32)


def _flat(model: FaceModel):
    key = id(model)
    hit = _FLAT_CACHE.get(key)
    if hit is not None and hit[0] is model:
        return hit[1]
    V = model.n_vertices
    c = np.ascontiguousarray

    def ranges(b):
        out = np.zeros((len(b), 2), np.int64)
        for k in range(len(b)):
            nz = np.flatnonzero(b[k])
            if len(nz):
                out[k] = nz[0], nz[-1] + 1
        return out

    flat = dict(
        mean_v=c(model.vertices.reshape(-1), np.float32),
        shape_b=c(model.shape_basis.reshape(-1, V * 3), np.float32),
        expr_b=c(model.expression_basis.reshape(-1, V * 3), np.float32),
        exs_b=c(model.extra_shape_basis.reshape(-1, V * 3), np.float32),
        mean_a=c(model.mean_albedo.reshape(-1), np.float32),
        tex_b=c(model.texture_basis.reshape(-1, V * 3), np.float32),
        ntex_b=c(model.noise_texture_basis.reshape(-1, V * 3), np.float32),
        ext_b=c(model.extra_texture_basis.reshape(-1, V * 3), np.float32),
        tris=c(model.triangles, np.int32),
        lmk=c(model.landmark_index, np.int64),
        pivot=c(model.pivot, np.float64),
    )
    for name in ("shape", "expr", "exs", "tex", "ntex", "ext"):
        flat[name + "_r"] = ranges(flat[name + "_b"])
    _FLAT_CACHE[key] = (model, flat)
    return flat


def render_faces(lam: np.ndarray, model: FaceModel | None = None, *, size=(112, 96), extra_shape=None,
                 extra_texture=None, backgrounds=None, landmark_noise=None, supersample: float = 1.25) -> RenderResult:
    """Render aligned face crops from λ (B, 286).

    extra_shape / extra_texture: (B, E) coefficients of the model's extra (finer) identity bases
    (the model must have been built with at least E extra components; default: build one).
    backgrounds: optional (B, S, S, 3) uint8 at the canvas resolution S = canvas_size(supersample)
    (other sizes are resized bilinearly). landmark_noise: optional (B, 5, 2) offsets, in aligned-crop
    pixels, added to the detected landmarks before the similarity is estimated (detector error).
    The returned landmarks are the true projected points mapped by that similarity.
    """
    lam = np.ascontiguousarray(np.atleast_2d(np.asarray(lam, np.float32)))
    if lam.shape[1] != L.LAMBDA_DIM:
        raise ValueError(f"λ must have {L.LAMBDA_DIM} columns, got {lam.shape}")
    B = lam.shape[0]
    es = np.zeros((B, 0), np.float32) if extra_shape is None else np.ascontiguousarray(np.atleast_2d(extra_shape), np.float32)
    et = np.zeros((B, 0), np.float32) if extra_texture is None else np.ascontiguousarray(np.atleast_2d(extra_texture), np.float32)
    if model is None:
        model = build_face_model(es.shape[1], et.shape[1])
    if es.shape[1] > model.extra_shape_basis.shape[0] or et.shape[1] > model.extra_texture_basis.shape[0]:
        raise ValueError("model has fewer extra components than coefficients given")
    if es.shape[0] != B or et.shape[0] != B:
        raise ValueError("extra coefficients need one row per λ row")
    f = _flat(model)
    S = canvas_size(supersample)
    focal = EYE_MOUTH_TEMPLATE * S / BASE_CANVAS * (CAMERA_DISTANCE - 9.0) / EYE_MOUTH_CM
    if backgrounds is not None:
        bgs = np.asarray(backgrounds)
        if bgs.shape[1:3] != (S, S):
            from synface.generator.align import warp_affine

            sx, sy = bgs.shape[2] / S, bgs.shape[1] / S
            Ms = np.array([[1 / sx, 0, 0.5 / sx - 0.5], [0, 1 / sy, 0.5 / sy - 0.5]])
            bgs = warp_affine(bgs, Ms, (S, S))
        bgs = np.ascontiguousarray(bgs, np.float32)
        has_bg = True
    else:
        bgs = np.zeros((1, 1, 1, 3), np.float32)
        has_bg = False
    ln = (np.zeros((B, 5, 2), np.float64) if landmark_noise is None
          else np.ascontiguousarray(np.broadcast_to(landmark_noise, (B, 5, 2)), np.float64))
    h, w = size
    tpl = np.ascontiguousarray(TEMPLATE_112x96, np.float64)
    if (h, w) != (112, 96):
        tpl = tpl * np.array([w / 96.0, h / 112.0])
    images = np.empty((B, h, w, 3), np.uint8)
    mask = np.empty((B, h, w), np.bool_)
    lmk = np.empty((B, 5, 2), np.float32)
    Ms = np.empty((B, 2, 3), np.float64)
    clmk = np.empty((B, 5, 2), np.float32)
    if B:
        _render_batch(lam, es, et, ln, f["mean_v"], f["shape_b"], f["shape_r"], f["expr_b"], f["expr_r"],
                      f["exs_b"][: es.shape[1]], f["exs_r"][: es.shape[1]], f["mean_a"], f["tex_b"], f["tex_r"],
                      f["ntex_b"], f["ntex_r"], f["ext_b"][: et.shape[1]], f["ext_r"][: et.shape[1]], f["tris"],
                      f["lmk"], f["pivot"], float(focal), CAMERA_DISTANCE, S, bgs, has_bg, tpl, _SRGB_LUT,
                      images, mask, lmk, Ms, clmk)
    return RenderResult(images=images, landmarks=lmk, mask=mask, transforms=Ms, canvas_landmarks=clmk)
