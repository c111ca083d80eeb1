"""CPU renderer of the embedded face generator: λ -> aligned 112x96 face crops.

Per image (small numba stages, images independent of each other):
  3DMM geometry/albedo from λ -> head pose (yaw about y, pitch about x, roll about z) ->
  perspective camera (portrait lens, ~1 m) -> 5 landmarks -> least-squares similarity onto
  the 112x96 template (from the detected, optionally noisy, landmarks, as an aligner would) ->
  per-vertex light: second-order SH irradiance (Deng et al. / DiscoFaceGAN convention), less
  the key light where a shadow map from it says the head blocks it, times baked occlusion,
  Blinn-Phong specular -> z-buffer rasterisation in the crop's frame at
  SUPERSAMPLE x SUPERSAMPLE samples per pixel over a procedural background -> per sample:
  interpolated skin albedo and light plus the per-pixel anatomy (synface.generator.anatomy),
  corneal reflex -> box filter down to the crop (anti-aliased edges).

The 32 noise dims: [0:16] the background (two gradient colours, gradient direction, three
soft blobs); [16:32] identity-independent fine albedo detail (FaceModel.noise_texture_basis,
per vertex; its first two also place the per-pixel skin grain).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numba as nb
import numpy as np

from synface.generator import lam as L
from synface.generator.align import TEMPLATE_112x96, similarity_2d
from synface.generator.anatomy import feature_params, measured, mouth_interior, surface_albedo
from synface.generator.facemodel import EYE_X, EYE_Y, FaceModel, build_face_model, feature_albedo

CAMERA_DISTANCE = 100.0  # cm from the head pivot
SUPERSAMPLE = 2  # canvas samples per crop pixel and axis: each crop pixel averages 2x2 (anti-aliasing)
# The alignment fixes the face's size in the crop; the focal length (screen units per unit of
# tangent) only sets the screen scale, chosen near the template's: 40.7 px eye-mouth for 7.5 cm.
FOCAL = 40.7 * (CAMERA_DISTANCE - 9.0) / 7.5
# Cast shadows of the key light: an orthographic depth map seen from the light (the source is far
# away compared with the head), SHADOW_GRID texels of SHADOW_CELL cm a side (the head and neck from
# any direction), read through a tent filter SHADOW_FILTER texels to each side (±1.2 cm: the
# penumbra of a window or a softbox, ~1 cm from the nose onto the lip).
SHADOW_CELL = 0.4
SHADOW_GRID = 112
SHADOW_FILTER = 3  # texels: the tent filter's half-width (the penumbra)
SHADOW_BIAS = 0.3  # cm in front of the stored depth still counts as lit (the surface's own texel)


@dataclass
class RenderResult:
    images: np.ndarray  # (B, h, w, 3) uint8 aligned crops
    landmarks: np.ndarray  # (B, 5, 2) float32 true landmarks in crop pixels (x, y)
    mask: np.ndarray  # (B, h, w) bool: pixel covered by the head (not background)


def canvas_size(size: tuple[int, int] = (112, 96), supersample: int = SUPERSAMPLE) -> tuple[int, int]:
    """(height, width) of the supersampled canvas of a crop of `size` (the `backgrounds` resolution)."""
    return size[0] * supersample, size[1] * supersample


# ----------------------------------------------------------------------------- numba kernels
_SHAPE0 = L.ID_SHAPE.start
_TEX0 = L.ID_TEX.start
_EXPR0 = L.EXPRESSION.start
_YAW = L.POSE.start + L.YAW
_PITCH = L.POSE.start + L.PITCH
_ROLL = L.POSE.start + L.ROLL
_GAMMA0 = L.ILLUMINATION.start
_NOISE0 = L.NOISE.start
_BG_NOISE = 16  # noise dims [0:16] drive the background, [16:32] the fine albedo detail
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


class FlatModel(NamedTuple):
    """The face model as the kernels take it: flat float32 bases with their non-zero ranges."""

    mean_v: np.ndarray  # (3V,) mean geometry
    shape_b: np.ndarray  # (80, 3V) identity shape basis; *_r: (K, 2) [lo, hi) of each row's non-zeros
    shape_r: np.ndarray
    expr_b: np.ndarray
    expr_r: np.ndarray
    exs_b: np.ndarray  # extra (finer) identity shape
    exs_r: np.ndarray
    mean_a: np.ndarray  # (3V,) mean albedo
    tex_b: np.ndarray
    tex_r: np.ndarray
    ntex_b: np.ndarray  # identity-independent fine albedo detail (noise dims)
    ntex_r: np.ndarray
    ext_b: np.ndarray  # extra (finer) identity texture
    ext_r: np.ndarray
    tris: np.ndarray  # (T, 3) int32
    lmk: np.ndarray  # (5,) landmark vertices
    pivot: np.ndarray  # (3,) head rotation centre
    surface: np.ndarray  # (V, 4) surface coordinates (anatomy is drawn in them)
    mouth_side: np.ndarray  # (V,) 1 on the upper side of the mouth slit
    occlusion: np.ndarray  # (V,) baked ambient occlusion
    gloss: np.ndarray  # (V,) specular strength
    tri_mouth: np.ndarray  # (T,) bool: triangle spans the mouth opening


@nb.njit(cache=True, fastmath=True)
def _rotation(yaw, pitch, roll):
    """R = Rz(roll) @ Ry(yaw) @ Rx(pitch)."""
    cy, sy = np.cos(yaw), np.sin(yaw)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    ry_rx = np.empty((3, 3))
    ry_rx[0, 0], ry_rx[0, 1], ry_rx[0, 2] = cy, sy * sp, sy * cp
    ry_rx[1, 0], ry_rx[1, 1], ry_rx[1, 2] = 0.0, cp, -sp
    ry_rx[2, 0], ry_rx[2, 1], ry_rx[2, 2] = -sy, cy * sp, cy * cp
    R = np.empty((3, 3))
    for c in range(3):
        R[0, c] = cr * ry_rx[0, c] - sr * ry_rx[1, c]
        R[1, c] = sr * ry_rx[0, c] + cr * ry_rx[1, c]
        R[2, c] = ry_rx[2, c]
    return R


@nb.njit(cache=True, fastmath=True)
def _project(geo, R, pivot, focal, dist, cam, scr):
    """Rotate about the pivot into the camera frame (cam) and project (scr: x, y, depth)."""
    px, py, pz = pivot[0], pivot[1], pivot[2]
    for i in range(cam.shape[0]):
        x = geo[3 * i] - px
        y = geo[3 * i + 1] - py
        z = geo[3 * i + 2] - pz
        X = R[0, 0] * x + R[0, 1] * y + R[0, 2] * z + px
        Y = R[1, 0] * x + R[1, 1] * y + R[1, 2] * z + py
        Z = R[2, 0] * x + R[2, 1] * y + R[2, 2] * z + pz
        cam[i, 0] = X
        cam[i, 1] = Y
        cam[i, 2] = Z
        w = dist - Z
        scr[i, 0] = focal * X / w
        scr[i, 1] = -focal * Y / w
        scr[i, 2] = w


@nb.njit(cache=True, fastmath=True)
def _align(scr, lmk, lnoise, template, ss, out_lmk):
    """Estimate the screen -> crop similarity from the detected (noisy) landmarks, as an aligner
    would, and map every vertex into the supersampled crop frame (scr x, y in canvas samples:
    crop pixel centre c sits at ss * (c + 0.5) - 0.5). Writes the true landmarks in crop pixels."""
    true = np.empty((5, 2))
    for k in range(5):
        true[k, 0] = scr[lmk[k], 0]
        true[k, 1] = scr[lmk[k], 1]
    M0 = np.empty((2, 3))
    similarity_2d(true, template, M0)
    px_per_unit = np.sqrt(M0[0, 0] * M0[0, 0] + M0[1, 0] * M0[1, 0])  # crop px per screen unit
    det = np.empty((5, 2))
    for k in range(5):
        det[k, 0] = true[k, 0] + lnoise[k, 0] / px_per_unit
        det[k, 1] = true[k, 1] + lnoise[k, 1] / px_per_unit
    M = np.empty((2, 3))
    similarity_2d(det, template, M)
    for k in range(5):
        out_lmk[k, 0] = M[0, 0] * true[k, 0] + M[0, 1] * true[k, 1] + M[0, 2]
        out_lmk[k, 1] = M[1, 0] * true[k, 0] + M[1, 1] * true[k, 1] + M[1, 2]
    for i in range(scr.shape[0]):
        x, y = scr[i, 0], scr[i, 1]
        scr[i, 0] = ss * (M[0, 0] * x + M[0, 1] * y + M[0, 2] + 0.5) - 0.5
        scr[i, 1] = ss * (M[1, 0] * x + M[1, 1] * y + M[1, 2] + 0.5) - 0.5


@nb.njit(cache=True, fastmath=True)
def _vertex_normals(cam, tris):
    """Area-weighted (unnormalised) vertex normals in the camera frame."""
    nrm = np.zeros((cam.shape[0], 3), np.float32)
    for t in range(tris.shape[0]):
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
    return nrm


@nb.njit(cache=True, fastmath=True)
def _key_light(gam):
    """The directional part of the SH light: the band-1 coefficients are the irradiance
    gradient, so -(g3, g1, -g2) points at the light (camera frame); its length per channel
    is the light's strength. Returns the unit direction and the RGB strength."""
    k = 2.0 * np.pi / np.sqrt(4.0 * np.pi)  # a1 * c1
    d = np.zeros(3)
    rgb = np.empty(3)
    for c in range(3):
        dx, dy, dz = -k * gam[9 + c], -k * gam[3 + c], k * gam[6 + c]
        d[0] += dx / 3.0
        d[1] += dy / 3.0
        d[2] += dz / 3.0
        rgb[c] = np.sqrt(dx * dx + dy * dy + dz * dz)
    n = np.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) + 1e-9
    for j in range(3):
        d[j] /= n
    return d, rgb


@nb.njit(cache=True, fastmath=True)
def _half_vector(light):
    """Blinn's half vector between the light and the view direction (+z, towards the camera)."""
    h = np.array([light[0], light[1], light[2] + 1.0])
    n = np.sqrt(h[0] * h[0] + h[1] * h[1] + h[2] * h[2]) + 1e-9
    return h / n


@nb.njit(cache=True, fastmath=True)
def _vertex_light(nrm, gam, light, strength, h, occlusion, gloss, lit_share):
    """Per-vertex linear irradiance (Lambertian, second-order SH with the Deng et al. /
    DiscoFaceGAN constants, dimmed by the baked occlusion) and Blinn-Phong specular of skin
    under the key light (`_key_light`; h its half vector). Where the key light is blocked
    (lit_share < 1, `_key_shadow`), its share of the SH light goes: a directional light of SH
    band-1 strength s adds s (1/2 + n.l) in bands 0 and 1 (Ramamoorthi and Hanrahan), which
    is what the shadowed share of a vertex loses, with its specular."""
    a0 = np.pi
    a1 = 2.0 * np.pi / np.sqrt(3.0)
    a2 = 2.0 * np.pi / np.sqrt(8.0)
    c0 = 1.0 / np.sqrt(4.0 * np.pi)
    c1 = np.sqrt(3.0) / np.sqrt(4.0 * np.pi)
    c2 = 3.0 * np.sqrt(5.0) / np.sqrt(12.0 * np.pi)
    V = nrm.shape[0]
    irr = np.empty((V, 3), np.float32)
    spec = np.empty((V, 3), np.float32)
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
        nl = nx * light[0] + ny * light[1] + nz * light[2]
        nh = max(nx * h[0] + ny * h[1] + nz * h[2], 0.0)
        nh *= nh
        nh *= nh
        nh *= nh
        s = gloss[i] * nh * nh * lit_share[i] if nl > 0.0 else 0.0  # Blinn-Phong exponent 16 (broad skin sheen)
        blocked = max(0.5 + nl, 0.0) * (1.0 - lit_share[i])
        for c in range(3):
            e = (
                y0 * gam[c]
                + y1 * gam[3 + c]
                + y2 * gam[6 + c]
                + y3 * gam[9 + c]
                + y4 * gam[12 + c]
                + y5 * gam[15 + c]
                + y6 * gam[18 + c]
                + y7 * gam[21 + c]
                + y8 * gam[24 + c]
            )
            irr[i, c] = max(e - blocked * strength[c], 0.0) * occlusion[i]
            spec[i, c] = s * strength[c]
    return irr, spec


@nb.njit(cache=True, fastmath=True)
def _light_frame(light, cam, lsc):
    """Vertices as the key light sees them, orthographically (lsc, as `_project`'s scr): across the
    light in texels, the head centred in the map, then the distance away from the light. The frame
    (a, light x a, light) is right-handed like the camera's, so `_rasterise` keeps the faces
    turned to the light and its z-buffer the surface nearest to it."""
    ux, uy, uz = (1.0, 0.0, 0.0) if abs(light[0]) < 0.9 else (0.0, 1.0, 0.0)
    ax, ay, az = light[1] * uz - light[2] * uy, light[2] * ux - light[0] * uz, light[0] * uy - light[1] * ux
    n = np.sqrt(ax * ax + ay * ay + az * az)
    ax, ay, az = ax / n, ay / n, az / n
    bx, by, bz = light[1] * az - light[2] * ay, light[2] * ax - light[0] * az, light[0] * ay - light[1] * ax
    for i in range(cam.shape[0]):
        lsc[i, 0] = (cam[i, 0] * ax + cam[i, 1] * ay + cam[i, 2] * az) / SHADOW_CELL
        lsc[i, 1] = -(cam[i, 0] * bx + cam[i, 1] * by + cam[i, 2] * bz) / SHADOW_CELL
        lsc[i, 2] = -(cam[i, 0] * light[0] + cam[i, 1] * light[1] + cam[i, 2] * light[2])
    for k in range(2):
        lo = 0.5 * (lsc[:, k].min() + lsc[:, k].max()) - 0.5 * SHADOW_GRID
        for i in range(cam.shape[0]):
            lsc[i, k] -= lo


@nb.njit(cache=True, fastmath=True)
def _key_shadow(cam, nrm, tris, light, work, lit_share):
    """Share of the key light each vertex sees (lit_share, 0-1): a shadow map from the light,
    tested over the vertex's texels with a tent filter (a soft penumbra) and a slope-scaled bias
    (a surface at a slant to the light spans more depth per texel), so nothing shadows itself;
    the nose then shades the lip and cheek, the jaw the neck, the hair the forehead."""
    if light[0] * light[0] + light[1] * light[1] + light[2] * light[2] < 0.5:  # no directional light
        lit_share[:] = 1.0
        return
    lsc, depth, tid, b1, b2 = work
    _light_frame(light, cam, lsc)
    _rasterise(lsc, tris, depth, tid, b1, b2)
    G = depth.shape[0]
    for i in range(cam.shape[0]):
        nx, ny, nz = nrm[i, 0], nrm[i, 1], nrm[i, 2]
        c = (nx * light[0] + ny * light[1] + nz * light[2]) / (np.sqrt(nx * nx + ny * ny + nz * nz) + 1e-12)
        if c <= -0.5:  # the key light's SH lobe is zero there: nothing to block
            lit_share[i] = 1.0
            continue
        cc = max(c, 0.15)
        bias = SHADOW_BIAS + SHADOW_FILTER * SHADOW_CELL * np.sqrt(1.0 - min(cc, 1.0) ** 2) / cc
        a, b = lsc[i, 0], lsc[i, 1]
        ia, ib = int(np.floor(a)), int(np.floor(b))
        seen = 0.0
        total = 0.0
        for u in range(ia - SHADOW_FILTER + 1, ia + SHADOW_FILTER + 1):
            wu = SHADOW_FILTER - abs(u - a)  # tent weights: a smooth penumbra
            for v in range(ib - SHADOW_FILTER + 1, ib + SHADOW_FILTER + 1):
                w = wu * (SHADOW_FILTER - abs(v - b))
                total += w
                if u < 0 or v < 0 or u >= G or v >= G or lsc[i, 2] <= depth[v, u] + bias:
                    seen += w
        lit_share[i] = seen / total


@nb.njit(cache=True, fastmath=True, inline="always")
def _display(v, lut):
    """Linear [0, 1] -> display value [0, 255] through the sRGB-like curve."""
    v = min(max(v, 0.0), 1.0) * (lut.shape[0] - 1)
    iv = min(int(v), lut.shape[0] - 2)
    return lut[iv] + (v - iv) * (lut[iv + 1] - lut[iv])


@nb.njit(cache=True, fastmath=True)
def _rasterise(scr, tris, depth, tid, b1, b2):
    """Z-buffer with back faces culled: per sample the nearest triangle (tid, -1: none) and the
    barycentric weights b1, b2 of its second and third vertex (buffers reused across images)."""
    H, W = tid.shape
    depth[:] = np.inf
    tid[:] = -1
    for t in range(tris.shape[0]):
        i0, i1, i2 = tris[t, 0], tris[t, 1], tris[t, 2]
        x0, y0, x1, y1, x2, y2 = scr[i0, 0], scr[i0, 1], scr[i1, 0], scr[i1, 1], scr[i2, 0], scr[i2, 1]
        area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
        if area >= -1e-9:
            continue
        xmin = max(int(np.ceil(min(x0, min(x1, x2)))), 0)
        xmax = min(int(np.floor(max(x0, max(x1, x2)))), W - 1)
        ymin = max(int(np.ceil(min(y0, min(y1, y2)))), 0)
        ymax = min(int(np.floor(max(y0, max(y1, y2)))), H - 1)
        if xmin > xmax or ymin > ymax:
            continue
        inv = 1.0 / area
        z0, z1, z2 = scr[i0, 2], scr[i1, 2], scr[i2, 2]
        for yy in range(ymin, ymax + 1):
            for xx in range(xmin, xmax + 1):
                w1 = ((xx - x0) * (y2 - y0) - (x2 - x0) * (yy - y0)) * inv
                w2 = ((x1 - x0) * (yy - y0) - (xx - x0) * (y1 - y0)) * inv
                w0 = 1.0 - w1 - w2
                if w0 < 0.0 or w1 < 0.0 or w2 < 0.0:
                    continue
                z = w0 * z0 + w1 * z1 + w2 * z2
                if z < depth[yy, xx]:
                    depth[yy, xx] = z
                    tid[yy, xx] = t
                    b1[yy, xx] = w1
                    b2[yy, xx] = w2


@nb.njit(cache=True, fastmath=True)
def _background(noise, tid, img):
    """Procedural backdrop from noise dims [0:16], where no triangle covers the sample (tid < 0):
    a two-colour gradient and three soft blobs."""
    H, W = img.shape[0], img.shape[1]
    ca = np.empty(3)
    cb = np.empty(3)
    for c in range(3):
        ca[c] = 255.0 * min(max(0.45 + 0.18 * np.tanh(noise[c]) + 0.22 * np.tanh(noise[6]), 0.02), 0.98)
        cb[c] = 255.0 * min(max(0.45 + 0.18 * np.tanh(noise[3 + c]) + 0.22 * np.tanh(noise[6]), 0.02), 0.98)
    ang = np.pi * np.tanh(0.7 * noise[7])
    gx = np.cos(ang) / W
    gy = np.sin(ang) / H
    ex = np.empty((3, W), np.float32)
    ey = np.empty((3, H), np.float32)
    for j in range(3):
        bx = W * (0.5 + 0.45 * np.tanh(noise[8 + 2 * j]))
        by = H * (0.5 + 0.45 * np.tanh(noise[9 + 2 * j]))
        bs = 70.0 * np.tanh(noise[14 + (j % 2)]) * (1.0 if j != 2 else -1.0)
        br = 1.0 / (2.0 * (W * (0.12 + 0.05 * j)) ** 2)
        for xx in range(W):
            ex[j, xx] = np.exp(-((xx - bx) ** 2) * br)
        for yy in range(H):
            ey[j, yy] = bs * np.exp(-((yy - by) ** 2) * br)
    for yy in range(H):
        for xx in range(W):
            if tid[yy, xx] >= 0:
                continue
            s = min(max((xx - 0.5 * W) * gx + (yy - 0.5 * H) * gy + 0.5, 0.0), 1.0)
            blob = 0.0
            for j in range(3):
                blob += ey[j, yy] * ex[j, xx]
            for c in range(3):
                img[yy, xx, c] = min(max((1.0 - s) * ca[c] + s * cb[c] + blob, 0.0), 255.0)


@nb.njit(cache=True, fastmath=True)
def _cornea(x, y, R, h, strength, out):
    """The corneal reflex: a sharp highlight where the eyeball (a sphere of 1.2 cm radius about
    the eye centre, posed with the head) mirrors the key light into the camera."""
    dx = x - (EYE_X if x > 0 else -EYE_X)
    dy = y - EYE_Y
    rc = 1.2
    dz = np.sqrt(max(rc * rc - dx * dx - dy * dy, 0.0))
    nh = 0.0
    for j in range(3):
        nh += (R[j, 0] * dx + R[j, 1] * dy + R[j, 2] * dz) / rc * h[j]
    s = 0.6 * max(nh, 0.0) ** 300
    for c in range(3):
        out[c] += s * (strength[c] + 0.3)


@nb.njit(cache=True, fastmath=True)
def _compose(tid, b1, b2, fm, alb_v, irr, spec, feats, params, R, h, strength, lut, img):
    """Shade the covered pixels of img (canvas, 4 channels: RGB and coverage): interpolated skin
    albedo, light and surface coordinates, the per-pixel anatomy on top, then the display curve.
    Coverage is 1 there, 0 elsewhere."""
    H, W = tid.shape
    tris = fm.tris
    alb = np.empty(3)
    lin = np.empty(3)
    for yy in range(H):
        for xx in range(W):
            t = tid[yy, xx]
            if t < 0:
                img[yy, xx, 3] = 0.0
                continue
            w1 = b1[yy, xx]
            w2 = b2[yy, xx]
            w0 = 1.0 - w1 - w2
            i0, i1, i2 = tris[t, 0], tris[t, 1], tris[t, 2]
            for c in range(3):
                a = w0 * alb_v[3 * i0 + c] + w1 * alb_v[3 * i1 + c] + w2 * alb_v[3 * i2 + c]
                alb[c] = min(max(a, 0.0), 1.0)
            sf = fm.surface
            x = w0 * sf[i0, 0] + w1 * sf[i1, 0] + w2 * sf[i2, 0]
            y = w0 * sf[i0, 1] + w1 * sf[i1, 1] + w2 * sf[i2, 1]
            if fm.tri_mouth[t]:  # the open mouth: cavity and teeth, in the lips' shadow
                side = w0 * fm.mouth_side[i0] + w1 * fm.mouth_side[i1] + w2 * fm.mouth_side[i2]
                mouth_interior(alb, side, x, feats)
                for c in range(3):
                    lin[c] = alb[c] * 0.6 * (w0 * irr[i0, c] + w1 * irr[i1, c] + w2 * irr[i2, c])
            else:
                cu = w0 * sf[i0, 2] + w1 * sf[i1, 2] + w2 * sf[i2, 2]
                above = w0 * sf[i0, 3] + w1 * sf[i1, 3] + w2 * sf[i2, 3]
                eye = surface_albedo(alb, x, y, cu, above, feats, params)
                for c in range(3):
                    e = w0 * irr[i0, c] + w1 * irr[i1, c] + w2 * irr[i2, c]
                    s = w0 * spec[i0, c] + w1 * spec[i1, c] + w2 * spec[i2, c]
                    lin[c] = alb[c] * e + s
                if eye > 0.0:
                    _cornea(x, y, R, h, strength, lin)
            for c in range(3):
                img[yy, xx, c] = _display(lin[c], lut)
            img[yy, xx, 3] = 1.0


@nb.njit(cache=True, fastmath=True)
def _downsample(img, ss, out_img, out_mask):
    """Box-filter the supersampled canvas (RGB + coverage) into the uint8 crop and its mask."""
    h, w = out_img.shape[0], out_img.shape[1]
    norm = 1.0 / (ss * ss)
    for y in range(h):
        for x in range(w):
            r = g = b = cov = 0.0
            for dy in range(ss):
                for dx in range(ss):
                    px = img[ss * y + dy, ss * x + dx]
                    r += px[0]
                    g += px[1]
                    b += px[2]
                    cov += px[3]
            out_img[y, x, 0] = np.uint8(min(max(np.floor(r * norm + 0.5), 0.0), 255.0))
            out_img[y, x, 1] = np.uint8(min(max(np.floor(g * norm + 0.5), 0.0), 255.0))
            out_img[y, x, 2] = np.uint8(min(max(np.floor(b * norm + 0.5), 0.0), 255.0))
            out_mask[y, x] = cov * norm >= 0.5


@nb.njit(cache=True, fastmath=True)
def _render_one(
    lamv,
    geo,
    alb,
    lnoise,
    feats,
    params,
    fm,
    focal,
    dist,
    ss,
    bg,
    has_bg,
    template,
    lut,
    work,
    out_img,
    out_mask,
    out_lmk,
):
    """One image: pose -> projection -> alignment -> light -> raster -> background -> pixels -> crop."""
    cam, scr, depth, tid, b1, b2, img, shadow_work, lit_share = work
    R = _rotation(lamv[_YAW], lamv[_PITCH], lamv[_ROLL])
    _project(geo, R, fm.pivot, focal, dist, cam, scr)
    _align(scr, fm.lmk, lnoise, template, ss, out_lmk)
    gam = lamv[_GAMMA0 : _GAMMA0 + L.ILLUMINATION_DIM]
    light, strength = _key_light(gam)
    h = _half_vector(light)
    nrm = _vertex_normals(cam, fm.tris)
    _key_shadow(cam, nrm, fm.tris, light, shadow_work, lit_share)
    irr, spec = _vertex_light(nrm, gam, light, strength, h, fm.occlusion, fm.gloss, lit_share)
    _rasterise(scr, fm.tris, depth, tid, b1, b2)
    if has_bg:
        img[:, :, :3] = bg
    else:
        _background(lamv[_NOISE0 : _NOISE0 + _BG_NOISE], tid, img)
    _compose(tid, b1, b2, fm, alb, irr, spec, feats, params, R, h, strength, lut, img)
    _downsample(img, ss, out_img, out_mask)


@nb.njit(cache=True, parallel=True)
def _render_batch(
    lams, ex_s, ex_t, lnoise, feats, params, fm, focal, dist, ss, bgs, has_bg, template, lut, out_img, out_mask, out_lmk
):
    B = lams.shape[0]
    N = fm.mean_v.shape[0]
    n_chunks = (B + _CHUNK - 1) // _CHUNK
    for ci in nb.prange(n_chunks):
        b0 = ci * _CHUNK
        b1 = min(B, b0 + _CHUNK)
        n = b1 - b0
        geo = np.empty((n, N), np.float32)
        alb = np.empty((n, N), np.float32)
        for g in range(n):
            geo[g, :] = fm.mean_v
            alb[g, :] = fm.mean_a
        _add_chunk(geo, fm.shape_b, fm.shape_r, lams[b0:b1, _SHAPE0 : _SHAPE0 + L.ID_SHAPE_DIM])
        _add_chunk(geo, fm.expr_b, fm.expr_r, lams[b0:b1, _EXPR0 : _EXPR0 + L.EXPRESSION_DIM])
        _add_chunk(geo, fm.exs_b, fm.exs_r, ex_s[b0:b1])
        _add_chunk(alb, fm.tex_b, fm.tex_r, lams[b0:b1, _TEX0 : _TEX0 + L.ID_TEX_DIM])
        _add_chunk(alb, fm.ntex_b, fm.ntex_r, lams[b0:b1, _NOISE0 + _BG_NOISE : _NOISE0 + L.NOISE_DIM])
        _add_chunk(alb, fm.ext_b, fm.ext_r, ex_t[b0:b1])
        V = N // 3
        H, W = ss * out_img.shape[1], ss * out_img.shape[2]
        work = (
            np.empty((V, 3), np.float32),
            np.empty((V, 3), np.float32),
            np.empty((H, W), np.float32),
            np.empty((H, W), np.int32),
            np.empty((H, W), np.float32),
            np.empty((H, W), np.float32),
            np.empty((H, W, 4), np.float32),
            (
                np.empty((V, 3), np.float32),
                np.empty((SHADOW_GRID, SHADOW_GRID), np.float32),
                np.empty((SHADOW_GRID, SHADOW_GRID), np.int32),
                np.empty((SHADOW_GRID, SHADOW_GRID), np.float32),
                np.empty((SHADOW_GRID, SHADOW_GRID), np.float32),
            ),
            np.empty(V, np.float32),
        )  # per-image buffers, allocated once per chunk
        for g in range(n):
            b = b0 + g
            bg = bgs[b] if has_bg else bgs[0]
            _render_one(
                lams[b],
                geo[g],
                alb[g],
                lnoise[b],
                feats[b],
                params[b],
                fm,
                focal,
                dist,
                ss,
                bg,
                has_bg,
                template,
                lut,
                work,
                out_img[b],
                out_mask[b],
                out_lmk[b],
            )


# ----------------------------------------------------------------------------- public API
_FLAT_CACHE: dict = {}
# linear [0,1] -> sRGB-like display value (gamma 2.2) in [0,255], linearly interpolated
_SRGB_LUT = (255.0 * np.linspace(0.0, 1.0, 8193) ** (1.0 / 2.2)).astype(np.float32)


def _flat(model: FaceModel) -> FlatModel:
    key = id(model)
    hit = _FLAT_CACHE.get(key)
    if hit is not None and hit[0] is model:
        return hit[1]
    V = model.n_vertices
    c = np.ascontiguousarray

    def basis(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K, 3V) float32 and each row's [lo, hi) range of non-zeros (the kernels skip the rest)."""
        flat = c(b.reshape(-1, V * 3), np.float32)
        ranges = np.zeros((len(flat), 2), np.int64)
        for k in range(len(flat)):
            nz = np.flatnonzero(flat[k])
            if len(nz):
                ranges[k] = nz[0], nz[-1] + 1
        return flat, ranges

    flat = FlatModel(
        c(model.vertices.reshape(-1), np.float32),
        *basis(model.shape_basis),
        *basis(model.expression_basis),
        *basis(model.extra_shape_basis),
        c(model.mean_albedo.reshape(-1), np.float32),
        *basis(model.texture_basis),
        *basis(model.noise_texture_basis),
        *basis(model.extra_texture_basis),
        c(model.triangles, np.int32),
        c(model.landmark_index, np.int64),
        c(model.pivot, np.float64),
        c(model.surface, np.float32),
        c(model.mouth_side, np.float32),
        c(model.occlusion, np.float32),
        c(model.gloss, np.float32),
        c((model.region["mouth_inside"][model.triangles] > 0.5).all(1)),
    )
    _FLAT_CACHE[key] = (model, flat)
    return flat


def render_faces(
    lam: np.ndarray,
    model: FaceModel | None = None,
    *,
    size=(112, 96),
    extra_shape=None,
    extra_texture=None,
    backgrounds=None,
    landmark_noise=None,
    supersample: int = SUPERSAMPLE,
) -> RenderResult:
    """Render aligned face crops from λ (B, 286).

    extra_shape / extra_texture: (B, E) coefficients of the model's extra (finer) identity bases
    (the model must have been built with at least E extra components; default: build one).
    backgrounds: optional (B, H, W, 3) uint8 behind the face in the crop's frame, at the canvas
    resolution (H, W) = canvas_size(size, supersample) (other sizes are resized bilinearly).
    landmark_noise: optional (B, 5, 2) offsets, in aligned-crop pixels, added to the detected
    landmarks before the similarity is estimated (detector error).
    The returned landmarks are the true projected points mapped by that similarity.
    """
    lam = np.atleast_2d(np.asarray(lam, np.float32))
    if lam.shape[1] != L.LAMBDA_DIM:
        raise ValueError(f"λ must have {L.LAMBDA_DIM} columns, got {lam.shape}")
    lam = np.ascontiguousarray(measured(lam))
    B = lam.shape[0]
    es = (
        np.zeros((B, 0), np.float32)
        if extra_shape is None
        else np.ascontiguousarray(np.atleast_2d(extra_shape), np.float32)
    )
    et = (
        np.zeros((B, 0), np.float32)
        if extra_texture is None
        else np.ascontiguousarray(np.atleast_2d(extra_texture), np.float32)
    )
    if model is None:
        model = build_face_model(es.shape[1], et.shape[1])
    if es.shape[1] > model.extra_shape_basis.shape[0] or et.shape[1] > model.extra_texture_basis.shape[0]:
        raise ValueError("model has fewer extra components than coefficients given")
    if es.shape[0] != B or et.shape[0] != B:
        raise ValueError("extra coefficients need one row per λ row")
    f = _flat(model)
    H, W = canvas_size(size, supersample)
    if backgrounds is not None:
        bgs = np.asarray(backgrounds)
        if bgs.shape[1:3] != (H, W):
            from synface.generator.align import warp_affine

            sx, sy = bgs.shape[2] / W, bgs.shape[1] / H
            Ms = np.array([[1 / sx, 0, 0.5 / sx - 0.5], [0, 1 / sy, 0.5 / sy - 0.5]])
            bgs = warp_affine(bgs, Ms, (H, W))
        bgs = np.ascontiguousarray(bgs, np.float32)
        has_bg = True
    else:
        bgs = np.zeros((1, 1, 1, 3), np.float32)
        has_bg = False
    ln = (
        np.zeros((B, 5, 2), np.float64)
        if landmark_noise is None
        else np.ascontiguousarray(np.broadcast_to(landmark_noise, (B, 5, 2)), np.float64)
    )
    h, w = size
    tpl = np.ascontiguousarray(TEMPLATE_112x96, np.float64)
    if (h, w) != (112, 96):
        tpl = tpl * np.array([w / 96.0, h / 112.0])
    images = np.empty((B, h, w, 3), np.uint8)
    mask = np.empty((B, h, w), np.bool_)
    lmk = np.empty((B, 5, 2), np.float32)
    if B:
        fm = f._replace(
            exs_b=f.exs_b[: es.shape[1]],
            exs_r=f.exs_r[: es.shape[1]],
            ext_b=f.ext_b[: et.shape[1]],
            ext_r=f.ext_r[: et.shape[1]],
        )
        feats = np.ascontiguousarray(feature_albedo(lam[:, L.ID_TEX]))
        params = np.ascontiguousarray(feature_params(lam))
        _render_batch(
            lam,
            es,
            et,
            ln,
            feats,
            params,
            fm,
            FOCAL,
            CAMERA_DISTANCE,
            int(supersample),
            bgs,
            has_bg,
            tpl,
            _SRGB_LUT,
            images,
            mask,
            lmk,
        )
    return RenderResult(images=images, landmarks=lmk, mask=mask)
