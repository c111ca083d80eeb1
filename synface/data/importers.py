"""Importers: real and released datasets in their standard formats -> the project's dataset storage.

Each importer checks what it reads (names, sizes, decodability, protocol consistency),
writes the dataset atomically through `DatasetWriter` and returns the counts it read
(`identities`, `images`, `pairs`). Images are stored in identity order, then by image
index within the identity (see `synface.data.storage`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synface.data.imagefiles import (
    PAPER_SIZE,
    Alignment,
    decode_image,
    is_image_file,
    read_image,
    refuse_escaping_links,
    safe_join,
)
from synface.data.pairs import image_relpath, pair_line, parse_pairs
from synface.data.safe_pickle import load_verification_pack
from synface.data.storage import DatasetWriter, empty_metadata
from synface.errors import SynfaceError
from synface.io.progress import progress_bar

SHARD_IMAGES = 4096  # images decoded and written per shard (~130 MB at 112x96)
BIN_FOLDS = 10  # the insightface packs' protocol: 10 contiguous folds
# `{j:03}_{i:05}x{phi:.3f}_({k:05})x{1-phi:.3f}.jpg`, all 1-based: image j of identity i mixed with k
SYNFACE_NAME = re.compile(r"(\d{3,})_(\d{5,})x(\d+\.\d{3})_\((\d{5,})\)x(\d+\.\d{3})\.(?:jpg|png)")
SYNFACE_FOLDER = re.compile(r"\d{5,}")
_PNG_MAGIC = b"\x89PNG"

Counts = dict[str, int]


def _counts(identities: int, images: int, pairs: int = 0) -> Counts:
    return {"identities": int(identities), "images": int(images), "pairs": int(pairs)}


def _write_dataset(
    out: str | os.PathLike[str],
    names: Sequence[str],
    read: Callable[[int], np.ndarray],
    meta: pd.DataFrame,
    align: Alignment,
    attrs: dict[str, Any],
    pairs: pd.DataFrame | None = None,
) -> None:
    """Decode image i with `read(i)` (errors name `names[i]`), align it and write all shards."""
    align = align.resolved(read(0), names[0])
    attrs = {**attrs, "align": align.mode}

    def load(i: int) -> np.ndarray:
        return align.apply(read(i), names[i])

    height, width = align.size  # type: ignore[misc]  # resolved above
    with (
        DatasetWriter(out, height, width, attrs) as writer,
        ThreadPoolExecutor(os.cpu_count() or 1) as pool,  # PIL decodes without the GIL
        progress_bar(len(names), f"import {Path(out).name}", "img") as bar,
    ):
        for start in range(0, len(names), SHARD_IMAGES):
            rows = range(start, min(start + SHARD_IMAGES, len(names)))
            writer.append(
                np.stack(list(pool.map(load, rows))), meta.iloc[rows.start : rows.stop].reset_index(drop=True)
            )
            bar.update(len(rows))
        if pairs is not None:
            writer.set_pairs(pairs)


def _metadata(identity: Sequence[int], image: Sequence[int], names: Sequence[str]) -> pd.DataFrame:
    meta = empty_metadata(len(names))
    meta["identity"] = np.asarray(identity, np.int64)
    meta["image"] = np.asarray(image, np.int64)
    meta["name"] = list(names)
    return meta


def _check_links(root: Path, files: Sequence[Path], follow_symlinks: bool) -> None:
    """Refuse a file reached through a symbolic link that leads outside `root`, unless `follow_symlinks`:
    an imported tree is what it holds, not what its links happen to point at."""
    if not follow_symlinks:
        refuse_escaping_links(root, files)


def _ranks_within(identity: Sequence[int]) -> np.ndarray:
    """0-based position of each row within its identity (rows sorted by identity)."""
    identity = np.asarray(identity)
    starts = np.r_[0, np.nonzero(np.diff(identity))[0] + 1]
    return np.arange(len(identity)) - np.repeat(starts, np.diff(np.r_[starts, len(identity)]))


def import_lfw(
    images: str | os.PathLike[str],
    pairs: str | os.PathLike[str],
    out: str | os.PathLike[str],
    align: Alignment = Alignment(),
    *,
    follow_symlinks: bool = False,
) -> Counts:
    """LFW (`Name/Name_0001.jpg`) + a View 2 pairs file -> the pairs' distinct images and pairs.csv."""
    protocol = parse_pairs(pairs)
    keys = protocol.images()
    paths: dict[tuple[str, int], Path] = {}
    for k, p in enumerate(protocol.pairs):
        for key in ((p.name1, p.n1), (p.name2, p.n2)):
            if key not in paths:
                paths[key] = _find_lfw_image(Path(images), *key, f"{pairs}:{pair_line(k)}")
    _check_links(Path(images), list(paths.values()), follow_symlinks)
    row = {key: r for r, key in enumerate(keys)}
    names = sorted({name for name, _ in keys})
    ident = {name: i for i, name in enumerate(names)}
    identity = [ident[name] for name, _ in keys]
    rel = [image_relpath(name, n, paths[(name, n)].suffix) for name, n in keys]
    pair_table = pd.DataFrame(
        {
            "left": [row[(p.name1, p.n1)] for p in protocol.pairs],
            "right": [row[(p.name2, p.n2)] for p in protocol.pairs],
            "same": [p.same for p in protocol.pairs],
            "fold": [p.fold for p in protocol.pairs],
        }
    )
    attrs = {"source": "lfw", "protocol": Path(pairs).name, "identity_names": names}
    _write_dataset(
        out,
        [str(paths[key]) for key in keys],
        lambda i: read_image(paths[keys[i]]),
        _metadata(identity, _ranks_within(identity), rel),
        align,
        attrs,
        pair_table,
    )
    return _counts(len(names), len(keys), len(protocol.pairs))


def _find_lfw_image(root: Path, name: str, n: int, where: str) -> Path:
    """The file of LFW image (name, n): `.jpg` as in LFW, `.png` accepted for lossless copies."""
    try:
        jpg = safe_join(root, image_relpath(name, n))
    except SynfaceError as err:
        raise SynfaceError(f"{where}: {err}") from None
    for path in (jpg, jpg.with_suffix(".png")):
        if path.is_file():
            return path
    raise SynfaceError(f"{where}: image {jpg} does not exist")


def import_bin(pack: str | os.PathLike[str], out: str | os.PathLike[str], size: tuple[int, int] = PAPER_SIZE) -> Counts:
    """An insightface verification pack: 112x112 ArcFace crops -> columns 8:104, pairs in 10 folds."""
    bins, issame = load_verification_pack(pack)
    n_pairs = len(issame)
    if n_pairs % BIN_FOLDS:
        raise SynfaceError(f"{pack}: {n_pairs} pairs do not split into {BIN_FOLDS} equal folds")
    names = [f"{i:05d}" + (".png" if data.startswith(_PNG_MAGIC) else ".jpg") for i, data in enumerate(bins)]
    n = len(bins)
    pair_table = pd.DataFrame(
        {
            "left": np.arange(0, n, 2),
            "right": np.arange(1, n, 2),
            "same": issame,
            "fold": np.arange(n_pairs) // (n_pairs // BIN_FOLDS),
        }
    )
    attrs = {
        "source": "bin",
        "pack": Path(pack).name,
        "identities": "none in the pack: each image is its own identity",
    }
    _write_dataset(
        out,
        [f"{pack}: image {i}" for i in range(n)],
        lambda i: decode_image(bins[i], f"{pack}: image {i}"),
        _metadata(np.arange(n), np.zeros(n), names),
        Alignment("arcface112", size),
        attrs,
        pair_table,
    )
    return _counts(n, n, n_pairs)


def _identity_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        raise SynfaceError(f"{root}: not a folder")
    folders = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    if not folders:
        raise SynfaceError(f"{root}: no identity folders")
    return folders


def import_imagefolder(
    root: str | os.PathLike[str],
    out: str | os.PathLike[str],
    align: Alignment = Alignment(),
    *,
    follow_symlinks: bool = False,
) -> Counts:
    """CASIA-WebFace-style folders: one sub-folder per identity (sorted names), images sorted by name."""
    root = Path(root)
    folders = _identity_folders(root)
    files: list[Path] = []
    identity: list[int] = []
    for i, folder in enumerate(folders):
        images = sorted((p for p in folder.iterdir() if p.is_file() and is_image_file(p.name)), key=lambda p: p.name)
        if not images:
            raise SynfaceError(f"{folder}: identity folder holds no .jpg/.jpeg/.png images")
        files += images
        identity += [i] * len(images)
    _check_links(root, files, follow_symlinks)
    attrs = {"source": "imagefolder", "identity_names": [f.name for f in folders]}
    _write_dataset(
        out,
        [str(f) for f in files],
        lambda i: read_image(files[i]),
        _metadata(identity, _ranks_within(identity), [f.relative_to(root).as_posix() for f in files]),
        align,
        attrs,
    )
    return _counts(len(folders), len(files))


def _parse_synface_name(path: Path, identity: int) -> tuple[int, int, float]:
    """(j, k, phi) of a SynFace file name in the folder of 1-based `identity`; raises naming the file."""
    m = SYNFACE_NAME.fullmatch(path.name)
    if m is None:
        raise SynfaceError(f"{path}: not a SynFace name '{{j:03}}_{{i:05}}x{{phi:.3f}}_({{k:05}})x{{1-phi:.3f}}.jpg'")
    j, i, phi, k, rest = int(m[1]), int(m[2]), float(m[3]), int(m[4]), float(m[5])
    if i != identity:
        raise SynfaceError(f"{path}: names identity {i} but lies in the folder of identity {identity}")
    if j < 1 or k < 1:
        raise SynfaceError(f"{path}: image and partner numbers are 1-based")
    if not 0.0 <= phi <= 1.0 or abs(phi + rest - 1.0) > 1e-3 + 1e-9:
        raise SynfaceError(f"{path}: mixup ratios {m[3]} and {m[5]} are not phi and 1 - phi with phi in [0, 1]")
    return j, k, phi


def import_synface(
    root: str | os.PathLike[str],
    out: str | os.PathLike[str],
    align: Alignment = Alignment(size=None),
    *,
    follow_symlinks: bool = False,
) -> Counts:
    """The released SynFace layout (also `synface render`'s browsable output): `DIR/{i:05d}/<SynFace name>`.

    Stores identity i-1, image j-1, partner k-1 and phi from each name (identity mixup's
    soft label (i, phi, k, 1-phi)); partner -1 and phi 1 where k == i. Folders must be
    1..N and images 1..M within each; files at the top level (metadata.csv) are ignored.
    """
    root = Path(root)
    folders = _identity_folders(root)
    files: list[Path] = []
    rows: list[tuple[int, int, int, float]] = []
    for expected, folder in enumerate(folders, start=1):
        if not SYNFACE_FOLDER.fullmatch(folder.name) or int(folder.name) != expected:
            raise SynfaceError(f"{folder}: expected identity folder {expected:05d} (folders are numbered 1..N)")
        parsed = sorted(
            (_parse_synface_name(p, expected), p)
            for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".")
        )
        if not parsed:
            raise SynfaceError(f"{folder}: identity folder holds no images")
        for position, ((j, k, phi), path) in enumerate(parsed, start=1):
            if j != position:
                raise SynfaceError(f"{path}: image number {j} where {position} is next (images are numbered 1..M)")
            if k > len(folders):
                raise SynfaceError(f"{path}: partner identity {k} is not among the {len(folders)} identities")
            files.append(path)
            # a self-partner (what names without IM carry) adds nothing: label (i, phi, i, 1-phi) == (i, 1)
            rows.append((expected - 1, j - 1, -1, 1.0) if k == expected else (expected - 1, j - 1, k - 1, phi))
    _check_links(root, files, follow_symlinks)
    identity, image, partner, phi = (list(c) for c in zip(*rows))
    meta = _metadata(identity, image, [f.relative_to(root).as_posix() for f in files])
    meta["partner"] = np.asarray(partner, np.int64)
    meta["phi"] = np.asarray(phi, np.float64)
    attrs = {"source": "synface", "identity_names": [f.name for f in folders]}
    _write_dataset(out, [str(f) for f in files], lambda i: read_image(files[i]), meta, align, attrs)
    return _counts(len(folders), len(files))
