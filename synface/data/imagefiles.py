"""Image files: decode/encode helpers, face alignment of imported images, safe relative names.

Imported images become uint8 (H, W, 3) RGB arrays at the dataset size. The paper's
alignment is 112x96 (the SphereFace template); insightface's 112x112 ArcFace crops
hold the same alignment shifted 8 px right, so columns 8:104 give it exactly. Raw photos are
aligned as the paper did: MTCNN's five landmarks warped onto a template (`synface.align`).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from synface.align.template import TEMPLATES, align_to
from synface.errors import SynfaceError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
PAPER_SIZE = (112, 96)  # (height, width) of the paper's aligned faces
ALIGN_MODES = ("none", "arcface112", "resize", "center-crop", "mtcnn")
NO_FACE_POLICIES = ("skip", "error")  # mtcnn: what an image without a detected face does
_WIDE_GREY = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")  # PIL's modes of a grey wider than 8 bits
MAX_SIDE = 1024  # a dataset image's largest side: a typo'd --size (100000x100000) would exhaust memory
# Decoded pixels per image at most (configurable in SYNFACE_MAX_IMAGE_PIXELS): Pillow's decompression-bomb
# limit, about 256 MiB of RGB. Pillow itself only warns up to twice its limit, so this check replaces it.
MAX_PIXELS_VARIABLE = "SYNFACE_MAX_IMAGE_PIXELS"
DEFAULT_MAX_PIXELS = 89_478_485
Image.MAX_IMAGE_PIXELS = None
_ARCFACE_COLUMNS = slice(8, 104)
_DRIVE = re.compile(r"[A-Za-z]:")  # a Windows drive: "C:x" is not relative either


def is_image_file(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES) and not name.startswith(".")


def safe_join(root: str | os.PathLike[str], rel: str) -> Path:
    """`root / rel`, refusing names that could leave `root` (absolute, drive, `..`, empty).

    The check is on the name itself; `refuse_escaping_links` checks the symbolic links on the way.
    """
    parts = rel.replace("\\", "/").split("/")
    if not rel or "\0" in rel or parts[0] == "" or _DRIVE.match(rel) or ".." in parts:
        raise SynfaceError(f"{rel!r}: name escapes the folder {root}")
    return Path(root, *(p for p in parts if p not in ("", ".")))


def refuse_escaping_links(root: Path, paths: Iterable[Path]) -> None:
    """Refuse paths (below `root`) where a symbolic link on the way leads outside `root`, naming the link."""
    top = root.resolve()
    for path in paths:
        step = root
        for part in path.relative_to(root).parts:
            step = step / part
            if step.is_symlink() and not step.resolve().is_relative_to(top):
                raise SynfaceError(
                    f"{step}: symbolic link to {os.readlink(step)} leads outside {root} (--follow-symlinks imports it)"
                )


def max_image_pixels() -> int:
    """The decoded-pixel limit per image: SYNFACE_MAX_IMAGE_PIXELS, else DEFAULT_MAX_PIXELS."""
    text = os.environ.get(MAX_PIXELS_VARIABLE, "")
    if not text:
        return DEFAULT_MAX_PIXELS
    if not text.isdigit() or int(text) < 1:
        raise SynfaceError(f"{MAX_PIXELS_VARIABLE}={text!r} is not a positive whole number of pixels")
    return int(text)


def _decode(source: str | os.PathLike[str] | io.BytesIO, where: str) -> np.ndarray:
    try:
        with Image.open(source) as img:  # reads the header only
            width, height = img.size
            if width * height > max_image_pixels():
                raise SynfaceError(
                    f"{where}: image is {height}x{width} = {width * height:,} pixels, more than the "
                    f"{max_image_pixels():,} allowed (set {MAX_PIXELS_VARIABLE} to allow more)"
                )
            img.load()  # decode fully now: a truncated file fails here, not later
            return _rgb8(ImageOps.exif_transpose(img), where)  # upright, as a viewer shows it
    except FileNotFoundError:
        raise SynfaceError(f"{where}: no such image file") from None
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as err:
        raise SynfaceError(f"{where}: unreadable image ({err})") from None


def _rgb8(img: Image.Image, where: str) -> np.ndarray:
    """`img` as uint8 RGB. PIL's convert clips a 16- or 32-bit grey to 255 (all white) and a float one to 0 or 1:
    those are scaled from their full range, 0..65535 (a 16-bit PNG's) and 0..1, and refused beyond it."""
    if img.mode not in _WIDE_GREY:
        return np.asarray(img.convert("RGB"), dtype=np.uint8)  # palette, CMYK, LA, 1-bit, ...: PIL's conversions
    grey = np.asarray(img, dtype=np.float64)
    full = 1.0 if img.mode == "F" else 65535.0
    if not (np.isfinite(grey).all() and 0 <= grey.min() and grey.max() <= full):
        raise SynfaceError(f"{where}: {img.mode} image has values outside 0..{full:g}")
    return np.repeat(np.rint(grey * (255 / full)).astype(np.uint8)[..., None], 3, axis=2)


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Decode an image file to uint8 (H, W, 3) RGB, or raise naming the file."""
    return _decode(path, str(path))


def decode_image(data: bytes, where: str) -> np.ndarray:
    """Decode encoded image bytes (JPEG/PNG/...) to uint8 (H, W, 3) RGB; `where` names them in errors."""
    return _decode(io.BytesIO(data), where)


def encode_image(image: np.ndarray, fmt: str = "PNG", quality: int = 95) -> bytes:
    """Encode uint8 (H, W, 3) RGB as PNG (lossless) or JPEG bytes."""
    buf = io.BytesIO()
    options = {"quality": quality} if fmt.upper() in ("JPEG", "JPG") else {}
    Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8)).save(
        buf, format="JPEG" if fmt.upper() == "JPG" else fmt, **options
    )
    return buf.getvalue()


def write_image(path: str | os.PathLike[str], image: np.ndarray, quality: int = 95) -> None:
    """Write an image file, format from the suffix (.jpg/.jpeg/.png)."""
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise SynfaceError(f"{path}: unsupported image suffix (use one of {', '.join(IMAGE_SUFFIXES)})")
    Path(path).write_bytes(encode_image(image, "PNG" if suffix == ".png" else "JPEG", quality))


def _resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    h, w = size
    return np.asarray(Image.fromarray(image).resize((w, h), Image.Resampling.BILINEAR))


@dataclass(frozen=True)
class Alignment:
    """How imported images reach the dataset size (height, width).

    none:        taken as they are; each must already be `size` (None: the first image's size)
    arcface112:  112x112 ArcFace-aligned crops -> columns 8:104 (the paper's 112x96 alignment),
                 then resized if `size` is not 112x96
    resize:      bilinear resize to `size` (aspect ratio not kept)
    center-crop: the largest centred crop of `size`'s aspect ratio, bilinear-resized to `size`
    mtcnn:       raw photos: the five MTCNN landmarks of the subject's face warped onto `template`
                 (a name in synface.align.template.TEMPLATES), then resized if `size` is not the
                 template's; an image without a face is left out (`no_face` "skip") or an error
    """

    mode: str = "none"
    size: tuple[int, int] | None = PAPER_SIZE
    template: str = "sphereface"
    no_face: str = "skip"

    def __post_init__(self) -> None:
        if self.mode not in ALIGN_MODES:
            raise SynfaceError(f"unknown alignment {self.mode!r}; choose one of {', '.join(ALIGN_MODES)}")
        if self.size is None and self.mode != "none":
            raise SynfaceError(f"alignment {self.mode} needs an explicit output size")
        if self.size is not None and not 1 <= min(self.size) <= max(self.size) <= MAX_SIDE:
            raise SynfaceError(f"output size {self.size[0]}x{self.size[1]}: each side must be 1..{MAX_SIDE}")
        if self.template not in TEMPLATES:
            raise SynfaceError(f"unknown template {self.template!r}; choose one of {', '.join(TEMPLATES)}")
        if self.no_face not in NO_FACE_POLICIES:
            raise SynfaceError(f"unknown no-face policy {self.no_face!r}; choose one of {', '.join(NO_FACE_POLICIES)}")

    def resolved(self, first: np.ndarray, where: str) -> Alignment:
        """This alignment with an unset size taken from the first image (`where` names it)."""
        if self.size is not None:
            return self
        h, w = first.shape[:2]
        if max(h, w) > MAX_SIDE:
            raise SynfaceError(f"{where}: image is {h}x{w}, larger than a dataset image's {MAX_SIDE} a side")
        return replace(self, size=(h, w))

    def apply(self, image: np.ndarray, where: str, landmarks: np.ndarray | None = None) -> np.ndarray:
        """`image` at the dataset size; mtcnn needs the (5, 2) `landmarks` of its face."""
        assert self.size is not None, "call resolved() first"
        h, w = image.shape[:2]
        if self.mode == "none":
            if (h, w) != self.size:
                raise SynfaceError(
                    f"{where}: image is {h}x{w}, expected {self.size[0]}x{self.size[1]} "
                    "(images must share one size; pass --align to convert)"
                )
            return image
        if self.mode == "arcface112":
            if (h, w) != (112, 112):
                raise SynfaceError(f"{where}: image is {h}x{w}, ArcFace alignment needs 112x112")
            image = np.ascontiguousarray(image[:, _ARCFACE_COLUMNS])
        elif self.mode == "mtcnn":
            assert landmarks is not None, "mtcnn alignment warps the landmarks the detector found"
            image = align_to(image, landmarks, TEMPLATES[self.template])
        elif self.mode == "center-crop":
            th, tw = self.size
            ch, cw = (h, round(h * tw / th)) if h * tw <= w * th else (round(w * th / tw), w)
            if min(ch, cw) < 1:
                raise SynfaceError(f"{where}: image is {h}x{w}; a centred crop of {th}x{tw}'s aspect leaves no pixels")
            top, left = (h - ch) // 2, (w - cw) // 2
            image = np.ascontiguousarray(image[top : top + ch, left : left + cw])
        return image if image.shape[:2] == self.size else _resize(image, self.size)
