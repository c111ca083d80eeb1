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

from synface.data import recordio
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
from synface.io.textfile import read_text
from synface.protocol import N_FOLDS, fold_of_pairs

SHARD_IMAGES = 4096  # images decoded and written per shard (~130 MB at 112x96)
# `{j:03}_{i:05}x{phi:.3f}_({k:05})x{1-phi:.3f}.jpg`, all 1-based: image j of identity i mixed with k
SYNFACE_NAME = re.compile(r"(\d{3,})_(\d{5,})x(\d+\.\d{3})_\((\d{5,})\)x(\d+\.\d{3})\.(?:jpg|png)")
SYNFACE_FOLDER = re.compile(r"\d{5,}")
_PNG_MAGIC = b"\x89PNG"
REC_FILES = ("train.rec", "train.idx", "property")  # insightface's training-set folder
_PROPERTY = re.compile(r"([1-9][0-9]*),([1-9][0-9]*),([1-9][0-9]*)")

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
    *,
    keep_all: str | None = None,
) -> Counts:
    """Decode image i with `read(i)` (errors name `names[i]`), align it and write all shards; the counts written.

    mtcnn alignment first finds each image's face (under the output's lock, so a second writer
    fails before the long pass, not after). An image without one is an error when `keep_all`
    says why every image is needed (pairs, numbered images) or the policy is "error"; otherwise
    it is left out and counted (`no_face`), and identities and image indices are renumbered to
    stay contiguous (sources that skip carry no pairs or partners).
    """
    align = align.resolved(read(0), names[0])
    attrs = {**attrs, "align": align.mode} | ({"template": align.template} if align.mode == "mtcnn" else {})
    height, width = align.size  # type: ignore[misc]  # resolved above
    rows = np.arange(len(names))
    landmarks: Sequence[np.ndarray | None] = [None] * len(names)
    with DatasetWriter(out, height, width, attrs) as writer:
        if align.mode == "mtcnn":
            from synface.align.photos import find_landmarks  # torch: imported only when needed

            landmarks = find_landmarks(len(names), read, Path(out).name)
            rows = np.array([i for i, found in enumerate(landmarks) if found is not None], np.int64)
            if len(rows) < len(names):
                meta = _faces_found(meta, rows, names, align, keep_all, writer.attrs)

        def load(k: int) -> np.ndarray:
            return align.apply(read(rows[k]), names[rows[k]], landmarks[rows[k]])

        with (
            ThreadPoolExecutor(os.cpu_count() or 1) as pool,  # PIL decodes without the GIL
            progress_bar(len(rows), f"import {Path(out).name}", "img") as bar,
        ):
            for start in range(0, len(rows), SHARD_IMAGES):
                shard = range(start, min(start + SHARD_IMAGES, len(rows)))
                writer.append(
                    np.stack(list(pool.map(load, shard))), meta.iloc[shard.start : shard.stop].reset_index(drop=True)
                )
                bar.update(len(shard))
        if pairs is not None:
            writer.set_pairs(pairs)
    counts = _counts(meta["identity"].nunique(), len(meta), 0 if pairs is None else len(pairs))
    return counts | ({"no_face": len(names) - len(rows)} if align.mode == "mtcnn" else {})


def _faces_found(
    meta: pd.DataFrame,
    rows: np.ndarray,
    names: Sequence[str],
    align: Alignment,
    keep_all: str | None,
    attrs: dict[str, Any],
) -> pd.DataFrame:
    """`meta` of the images with a face (`rows`), renumbered, with `attrs` updated; or raise as the policy says."""
    missing = int(np.setdiff1d(np.arange(len(names)), rows)[0])
    if keep_all is not None or align.no_face == "error":
        why = keep_all or "--no-face error"
        raise SynfaceError(f"{names[missing]}: MTCNN found no face ({why})")
    if not len(rows):
        raise SynfaceError(f"no image left: MTCNN found no face in any of the {len(names)} images ({names[0]}, ...)")
    kept = meta.iloc[rows].reset_index(drop=True)
    identities, kept["identity"] = np.unique(kept["identity"].to_numpy(), return_inverse=True)
    kept["image"] = _ranks_within(kept["identity"])
    if "identity_names" in attrs:
        attrs["identity_names"] = [attrs["identity_names"][i] for i in identities]
    attrs["no_face_skipped"] = len(names) - len(rows)
    return kept


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
    return _write_dataset(
        out,
        [str(paths[key]) for key in keys],
        lambda i: read_image(paths[keys[i]]),
        _metadata(identity, _ranks_within(identity), rel),
        align,
        attrs,
        pair_table,
        keep_all="the pairs need every image",
    )


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
    """An insightface verification pack: 112x112 ArcFace crops -> columns 8:104, pairs in the protocol's 10 folds."""
    bins, issame = load_verification_pack(pack)
    n_pairs = len(issame)
    if n_pairs < N_FOLDS:
        raise SynfaceError(f"{pack}: {n_pairs} pairs are fewer than the protocol's {N_FOLDS} folds")
    names = [f"{i:05d}" + (".png" if data.startswith(_PNG_MAGIC) else ".jpg") for i, data in enumerate(bins)]
    n = len(bins)
    pair_table = pd.DataFrame(
        {
            "left": np.arange(0, n, 2),
            "right": np.arange(1, n, 2),
            "same": issame,
            "fold": fold_of_pairs(n_pairs),
        }
    )
    attrs = {
        "source": "bin",
        "pack": Path(pack).name,
        "identities": "none in the pack: each image is its own identity",
    }
    return _write_dataset(
        out,
        [f"{pack}: image {i}" for i in range(n)],
        lambda i: decode_image(bins[i], f"{pack}: image {i}"),
        _metadata(np.arange(n), np.zeros(n), names),
        Alignment("arcface112", size),
        attrs,
        pair_table,
    )


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
    return _write_dataset(
        out,
        [str(f) for f in files],
        lambda i: read_image(files[i]),
        _metadata(identity, _ranks_within(identity), [f.relative_to(root).as_posix() for f in files]),
        align,
        attrs,
    )


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
    return _write_dataset(
        out,
        [str(f) for f in files],
        lambda i: read_image(files[i]),
        meta,
        align,
        attrs,
        keep_all="SynFace images are numbered 1..M",
    )


def import_rec(
    root: str | os.PathLike[str], out: str | os.PathLike[str], align: Alignment = Alignment("arcface112")
) -> Counts:
    """insightface's RecordIO training set (e.g. faces_webface_112x112): `train.rec`, `train.idx`, `property`.

    Record 0's label [a, b]: images are records 1..a-1, identity k is record a+k, whose label
    [start, end) is the range of its images; each image's label is its identity (insightface's
    loader reads the first label of an image with several). `property` is `num_classes,height,width`.
    """
    rec_path, idx_path, prop_path = (Path(root, name) for name in REC_FILES)
    num_classes, height, width = _rec_property(prop_path)
    index = recordio.read_index(idx_path)
    with recordio.RecordFile(rec_path, index.values()) as rec:

        def record(key: int) -> tuple[recordio.IRHeader, bytes]:
            return recordio.unpack(rec.read(index[key], key), f"{rec_path}: record {key}")

        owner, n_identities = _rec_identity_ranges(record, index, rec_path, idx_path)
        if n_identities != num_classes:
            raise SynfaceError(
                f"{rec_path}: record 0: {n_identities} identity records, {prop_path} says {num_classes} classes"
            )
        keys, identity, names = [], [], []
        for key in range(1, len(owner)):
            header, payload = record(key)
            label = _whole_label(header.first_label, f"{rec_path}: record {key}")
            if label != owner[key]:
                raise SynfaceError(
                    f"{rec_path}: record {key}: label {label}, but it lies in the range of identity {owner[key]} "
                    f"(record {len(owner) + owner[key]})"
                )
            keys.append(key)
            identity.append(label)
            names.append(f"{key}" + (".png" if payload.startswith(_PNG_MAGIC) else ".jpg"))
        order = np.argsort(identity, kind="stable")  # storage order: by identity, then record
        keys, identity, names = ([seq[i] for i in order] for seq in (keys, identity, names))

        def read(i: int) -> np.ndarray:
            where = f"{rec_path}: record {keys[i]}"
            image = decode_image(record(keys[i])[1], where)
            if image.shape[:2] != (height, width):
                h, w = image.shape[:2]
                raise SynfaceError(f"{where}: image is {h}x{w}, {prop_path} says {height}x{width}")
            return image

        return _write_dataset(
            out,
            [f"{rec_path}: record {key}" for key in keys],
            read,
            _metadata(identity, _ranks_within(identity), names),
            align,
            {"source": "rec", "classes": num_classes},
        )


def _rec_property(path: Path) -> tuple[int, int, int]:
    try:
        text = read_text(path).strip()
    except FileNotFoundError:
        raise SynfaceError(f"{path}: no such file (insightface's 'num_classes,height,width')") from None
    except OSError as err:
        raise SynfaceError(f"{path}: cannot read ({err})") from None
    m = _PROPERTY.fullmatch(text.replace(" ", ""))
    if m is None:
        raise SynfaceError(f"{path}: {text!r} is not 'num_classes,height,width' (three positive whole numbers)")
    return int(m[1]), int(m[2]), int(m[3])


def _whole_label(value: float, where: str) -> int:
    if not float(value).is_integer() or value < 0:
        raise SynfaceError(f"{where}: label {value} is not a whole number >= 0")
    return int(value)


def _rec_identity_ranges(
    record: Callable[[int], tuple[recordio.IRHeader, bytes]], index: dict[int, int], rec_path: Path, idx_path: Path
) -> tuple[np.ndarray, int]:
    """(owner, n): owner[key] the identity whose range holds image record key (keys 1..a-1), n identities."""
    if 0 not in index:
        raise SynfaceError(f"{idx_path}: no record 0 (insightface's header record)")
    a, b = _rec_range(record(0)[0], f"{rec_path}: record 0", "no label range [a, b) of identity records")
    if not 1 < a <= b:
        raise SynfaceError(f"{rec_path}: record 0: label range [{a}, {b}) leaves no image records 1..a-1")
    missing = next((key for key in range(1, b) if key not in index), None)
    if missing is not None:
        raise SynfaceError(f"{rec_path}: record 0: range [1, {b}) holds record {missing}, which {idx_path} lacks")
    owner = np.full(a, -1, np.int64)
    for k, key in enumerate(range(a, b)):
        where = f"{rec_path}: record {key}"
        start, end = _rec_range(record(key)[0], where, f"no image range [start, end) of identity {k}")
        if not 1 <= start < end <= a:
            raise SynfaceError(f"{where}: identity {k}'s image range [{start}, {end}) is not within images [1, {a})")
        taken = owner[start:end][owner[start:end] >= 0]
        if len(taken):
            raise SynfaceError(f"{where}: identity {k}'s image range [{start}, {end}) overlaps identity {taken[0]}'s")
        owner[start:end] = k
    uncovered = np.nonzero(owner[1:] < 0)[0]
    if len(uncovered):
        raise SynfaceError(f"{rec_path}: record {uncovered[0] + 1}: an image in no identity's range")
    return owner, b - a


def _rec_range(header: recordio.IRHeader, where: str, lacking: str) -> tuple[int, int]:
    """The [first, last) record range a header record's two labels give."""
    if not isinstance(header.label, np.ndarray) or header.label.size < 2:
        raise SynfaceError(f"{where}: {lacking} (header flag {header.flag})")
    first, last = (_whole_label(x, where) for x in header.label[:2])
    return first, last
