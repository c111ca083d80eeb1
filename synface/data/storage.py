"""The project's dataset storage: uint8 image shards plus one metadata table.

A dataset is a folder::

    dataset.json     format tag, image size, shard list, free-form attributes
    metadata.csv     one row per image, in storage order (see META_COLUMNS)
    shard-00000.npy  uint8 (n, H, W, 3), memory-mappable
    pairs.csv        optional: verification pairs (left, right, same, fold)

Images are ordered by identity, then by image index within the identity, so the
paper's subsets (first N identities x first S images) are index views, never copies.
A dataset folder appears under its final name only when complete (see `DatasetWriter`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd

from synface.errors import SynfaceError, one_line
from synface.io.atomic import naming_write_errors, new_folder
from synface.io.textfile import read_text

FORMAT = "synface-dataset/1"
LANDMARK_COLUMNS = [f"lm{p}_{a}" for p in range(5) for a in "xy"]
# identity: 0-based class index; image: 0-based index within the identity;
# partner/phi: the identity-mixup soft label (i, phi, partner, 1 - phi), partner -1 without IM;
# name: path of the image relative to a browsable/imported folder ("" when none).
META_COLUMNS = ["identity", "image", "partner", "phi", "name", *LANDMARK_COLUMNS]
PAIR_COLUMNS = ["left", "right", "same", "fold"]
_NUMBER = re.compile(r"[0-9]+")
_META_DTYPES = {"identity": "int64", "image": "int64", "partner": "int64", "phi": "float64", "name": "str"}


def empty_metadata(n: int) -> pd.DataFrame:
    """A metadata table of n rows with default values (no partner, phi = 1, unknown landmarks)."""
    meta = pd.DataFrame(
        {
            "identity": np.zeros(n, np.int64),
            "image": np.zeros(n, np.int64),
            "partner": np.full(n, -1, np.int64),
            "phi": np.ones(n),
            "name": [""] * n,
        }
    )
    for col in LANDMARK_COLUMNS:
        meta[col] = np.nan
    return meta


def check_metadata(meta: pd.DataFrame, where: str) -> pd.DataFrame:
    """Return `meta` with the standard columns and dtypes, or raise naming the problem."""
    missing = [c for c in META_COLUMNS if c not in meta.columns]
    if missing:
        raise SynfaceError(f"{where}: metadata lacks column(s) {', '.join(missing)}")
    meta = meta[META_COLUMNS + [c for c in meta.columns if c not in META_COLUMNS]].copy()
    meta["name"] = meta["name"].fillna("").astype(str)
    try:
        return meta.astype(_META_DTYPES)
    except (ValueError, TypeError):  # name the column: one astype per column only on this path
        for column, dtype in _META_DTYPES.items():
            try:
                meta[column].astype(dtype)
            except (ValueError, TypeError):
                raise SynfaceError(f"{where}: column {column} holds values that are not {dtype}") from None
        raise


class DatasetWriter:
    """Write a dataset shard by shard into a temporary folder; publish it atomically on close.

    Use as a context manager: on an exception the temporary folder is removed and
    nothing appears under `path`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        height: int,
        width: int,
        attrs: dict[str, Any] | None = None,
        *,
        overwrite: bool = False,
    ) -> None:
        self.path = Path(path)
        self.height, self.width = int(height), int(width)
        self.attrs = dict(attrs or {})
        self._ctx = new_folder(self.path, overwrite=overwrite)
        self._tmp: Path | None = None
        self._shards: list[dict[str, Any]] = []
        self._meta: list[pd.DataFrame] = []
        self._pairs: pd.DataFrame | None = None

    def __enter__(self) -> Self:
        self._tmp = self._ctx.__enter__()  # locks the output, then checks it is new
        return self

    def append(self, images: np.ndarray, meta: pd.DataFrame) -> None:
        """Add one shard: uint8 images (n, H, W, 3) and their n metadata rows."""
        assert self._tmp is not None, "use DatasetWriter as a context manager"
        if images.dtype != np.uint8 or images.shape[1:] != (self.height, self.width, 3):
            raise SynfaceError(
                f"{self.path}: shard of {images.dtype} {images.shape[1:]} does not match "
                f"uint8 ({self.height}, {self.width}, 3)"
            )
        if len(images) != len(meta):
            raise SynfaceError(f"{self.path}: {len(images)} images but {len(meta)} metadata rows")
        name = f"shard-{len(self._shards):05d}.npy"
        with naming_write_errors(self.path / name):
            np.save(self._tmp / name, np.ascontiguousarray(images))
        self._shards.append({"file": name, "count": len(images)})
        self._meta.append(check_metadata(meta, str(self.path)))

    def link_shard(self, source: Path, meta: pd.DataFrame) -> None:
        """Add an existing shard file without copying its pixels (hard link, else copy)."""
        assert self._tmp is not None, "use DatasetWriter as a context manager"
        name = f"shard-{len(self._shards):05d}.npy"
        try:
            os.link(source, self._tmp / name)
        except OSError:
            with naming_write_errors(self.path / name):
                shutil.copyfile(source, self._tmp / name)
        self._shards.append({"file": name, "count": len(meta)})
        self._meta.append(check_metadata(meta, str(self.path)))

    def set_pairs(self, pairs: pd.DataFrame) -> None:
        """Attach verification pairs (row indices into this dataset's images)."""
        self._pairs = pairs[PAIR_COLUMNS].astype({"left": "int64", "right": "int64", "same": "bool", "fold": "int64"})

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            try:
                self._write_index()
            except BaseException as err:  # e.g. a pair outside the images: publish nothing, release the lock
                self._ctx.__exit__(type(err), err, err.__traceback__)
                raise
        self._ctx.__exit__(exc_type, exc, tb)

    def _write_index(self) -> None:
        """pairs.csv, metadata.csv and dataset.json beside the shards."""
        assert self._tmp is not None
        meta = pd.concat(self._meta, ignore_index=True) if self._meta else empty_metadata(0)
        if self._pairs is not None:
            n = len(meta)
            bad = (self._pairs[["left", "right"]] < 0) | (self._pairs[["left", "right"]] >= n)
            if bad.to_numpy().any():
                raise SynfaceError(f"{self.path}: a pair points outside the {n} images")
            self._pairs.to_csv(self._tmp / "pairs.csv", index=False)
        meta.to_csv(self._tmp / "metadata.csv", index=False, float_format="%.6g")
        info = {
            "format": FORMAT,
            "height": self.height,
            "width": self.width,
            "count": len(meta),
            "shards": self._shards,
            "attrs": self.attrs,
        }
        (self._tmp / "dataset.json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n")


def _is_count(value: object, low: int) -> bool:
    """A JSON integer >= low (not a bool, float or string)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _read_info(info_file: Path) -> dict[str, Any]:
    """dataset.json, checked: the format tag, positive height and width, a count, a shard list, attrs an object."""
    try:
        info = json.loads(read_text(info_file))
    except json.JSONDecodeError as err:
        raise SynfaceError(f"{info_file}: invalid JSON ({one_line(err)})") from None
    except RecursionError:
        raise SynfaceError(f"{info_file}: invalid JSON (nested too deeply)") from None
    if not isinstance(info, dict):
        raise SynfaceError(f"{info_file}: not a JSON object")
    if info.get("format") != FORMAT:
        raise SynfaceError(f"{info_file}: unknown format {info.get('format')!r}, expected {FORMAT!r}")
    missing = [key for key in ("height", "width", "count", "shards") if key not in info]
    if missing:
        raise SynfaceError(f"{info_file}: lacks key(s) {', '.join(missing)}")
    for key, low in (("height", 1), ("width", 1), ("count", 0)):
        if not _is_count(info[key], low):
            raise SynfaceError(f"{info_file}: {key} {info[key]!r} is not an integer >= {low}")
    if not isinstance(info.get("attrs", {}), dict):
        raise SynfaceError(f"{info_file}: attrs is not an object")
    return info


_NPY_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def _check_shard(file: Path, count: int, height: int, width: int) -> None:
    """A shard's .npy header against dataset.json, and its size against the header: uint8 (count, height,
    width, 3), every byte present. Only the header is read (opening stays cheap); an object array, whose
    loading would unpickle it, is refused."""
    expected = (count, height, width, 3)
    try:
        with open(file, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version not in _NPY_HEADERS:
                raise ValueError(f"unsupported .npy version {version}")
            shape, _, dtype = _NPY_HEADERS[version](f)
            offset, size = f.tell(), os.fstat(f.fileno()).st_size
    except FileNotFoundError:
        raise SynfaceError(f"{file}: shard file does not exist") from None
    except ValueError as err:  # no magic, a malformed header
        raise SynfaceError(f"{file}: not a .npy shard ({one_line(err)})") from None
    if dtype.hasobject:
        raise SynfaceError(f"{file}: shard holds Python objects (a pickle), not uint8 images; never loaded")
    if dtype != np.uint8 or tuple(shape) != expected:
        raise SynfaceError(f"{file}: shard holds {dtype} {tuple(shape)}, dataset.json says uint8 {expected}")
    needed = offset + count * height * width * 3
    if size < needed:
        raise SynfaceError(f"{file}: truncated shard: {size:,} bytes, its uint8 {expected} needs {needed:,}")


def _read_metadata(meta_file: Path) -> pd.DataFrame:
    """metadata.csv with the standard columns and dtypes, or one line naming the file and what is wrong."""
    try:
        table = pd.read_csv(meta_file, keep_default_na=False, na_values={c: [""] for c in LANDMARK_COLUMNS})
    except FileNotFoundError:
        raise SynfaceError(f"{meta_file}: missing (every dataset has one)") from None
    except (ValueError, UnicodeDecodeError) as err:  # pandas' ParserError and EmptyDataError are ValueErrors
        raise SynfaceError(f"{meta_file}: unreadable CSV ({one_line(err)})") from None
    return check_metadata(table, str(meta_file))


def _shards(info: dict[str, Any], info_file: Path) -> tuple[list[Path], list[int]]:
    """The shard files and image counts of dataset.json. A shard is named by a plain file name (as
    `DatasetWriter` writes them), so no `..` or absolute path leads out of the dataset folder; the
    file itself may be a link (DVC's symlink cache), which is why the name, not its target, is checked."""
    shards = info.get("shards")
    if not isinstance(shards, list):
        raise SynfaceError(f"{info_file}: 'shards' is not a list")
    files, counts = [], []
    for k, shard in enumerate(shards):
        name, count = (shard.get("file"), shard.get("count")) if isinstance(shard, dict) else (None, None)
        if not isinstance(name, str) or name in ("", "..") or Path(name).name != name:
            raise SynfaceError(f"{info_file}: shards[{k}].file {name!r} is not a file name in the dataset folder")
        if not _is_count(count, 0):
            raise SynfaceError(f"{info_file}: shards[{k}].count {count!r} is not a non-negative integer")
        files.append(info_file.parent / name)
        counts.append(count)
    return files, counts


def _read_pairs(pairs_file: Path, n_images: int) -> pd.DataFrame:
    """pairs.csv, checked row by row: image indices 0 <= i < n_images, `same` True/False, a fold number."""
    pairs = pd.read_csv(pairs_file, dtype=str, keep_default_na=False)
    missing = [c for c in PAIR_COLUMNS if c not in pairs.columns]
    if missing:
        raise SynfaceError(f"{pairs_file}:1: header lacks column(s) {', '.join(missing)}")
    index = f"an image index 0..{n_images - 1}"
    checks = {
        "left": (lambda v: _NUMBER.fullmatch(v) is not None and int(v) < n_images, index),
        "right": (lambda v: _NUMBER.fullmatch(v) is not None and int(v) < n_images, index),
        "same": (lambda v: v in ("True", "False"), "True or False"),
        "fold": (lambda v: _NUMBER.fullmatch(v) is not None, "a fold number"),
    }
    for column, (valid, expected) in checks.items():
        for row, value in enumerate(pairs[column]):
            if not valid(value):
                raise SynfaceError(f"{pairs_file}:{row + 2}: {column} {value!r} is not {expected}")
    typed = pairs[PAIR_COLUMNS].astype({"left": "int64", "right": "int64", "fold": "int64"})
    return typed.assign(same=typed["same"] == "True")


@dataclass
class Dataset:
    """A read-only dataset, or a view of one (a subset of its rows, in order)."""

    path: Path
    height: int
    width: int
    attrs: dict[str, Any]
    meta: pd.DataFrame
    pairs: pd.DataFrame | None
    _shard_files: list[Path] = field(repr=False)
    _shard_starts: np.ndarray = field(repr=False)
    _rows: np.ndarray = field(repr=False)  # storage row of each view row
    _maps: list[np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Dataset:
        path = Path(path)
        info_file = path / "dataset.json"
        if not info_file.is_file():
            raise SynfaceError(f"{path}: not a synface dataset (no dataset.json)")
        info = _read_info(info_file)
        meta = _read_metadata(path / "metadata.csv")
        files, counts = _shards(info, info_file)
        if sum(counts) != len(meta) or len(meta) != info["count"]:
            raise SynfaceError(
                f"{path}: shards hold {sum(counts)} images, metadata {len(meta)}, dataset.json {info['count']}"
            )
        for file, count in zip(files, counts, strict=True):
            _check_shard(file, count, info["height"], info["width"])
        pairs_file = path / "pairs.csv"
        return cls(
            path=path,
            height=int(info["height"]),
            width=int(info["width"]),
            attrs=info.get("attrs", {}),
            meta=meta,
            pairs=_read_pairs(pairs_file, len(meta)) if pairs_file.is_file() else None,
            _shard_files=files,
            _shard_starts=np.cumsum([0, *counts]),
            _rows=np.arange(len(meta)),
        )

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def num_identities(self) -> int:
        return int(self.meta["identity"].nunique())

    def _memmaps(self) -> list[np.ndarray]:
        if self._maps is None:
            self._maps = [np.load(f, mmap_mode="r") for f in self._shard_files]
        return self._maps

    def images(self, index: Sequence[int] | np.ndarray | slice | None = None) -> np.ndarray:
        """uint8 (n, H, W, 3) images of the given view rows (all rows when None)."""
        view_rows = np.arange(len(self))[index] if index is not None else np.arange(len(self))
        rows = self._rows[np.atleast_1d(view_rows)]
        out = np.empty((len(rows), self.height, self.width, 3), np.uint8)
        shard = np.searchsorted(self._shard_starts, rows, side="right") - 1
        maps = self._memmaps()
        for s in np.unique(shard):
            sel = np.nonzero(shard == s)[0]
            out[sel] = maps[s][rows[sel] - self._shard_starts[s]]
        return out

    def shards(self) -> list[tuple[Path, pd.DataFrame]]:
        """Each shard file with its metadata rows (whole datasets only, not views)."""
        if len(self._rows) != self._shard_starts[-1]:
            raise SynfaceError(f"{self.path}: shards() of a view")
        starts = self._shard_starts
        return [(f, self.meta.iloc[starts[n] : starts[n + 1]]) for n, f in enumerate(self._shard_files)]

    def view(self, rows: np.ndarray) -> Dataset:
        """A view of the given rows (positions in this dataset), in the given order."""
        rows = np.asarray(rows, dtype=np.int64)
        return Dataset(
            path=self.path,
            height=self.height,
            width=self.width,
            attrs=self.attrs,
            meta=self.meta.iloc[rows].reset_index(drop=True),
            pairs=None,
            _shard_files=self._shard_files,
            _shard_starts=self._shard_starts,
            _rows=self._rows[rows],
            _maps=self._maps,
        )

    def subset(self, n_ids: int, per_id: int, *, strict: bool = True) -> Dataset:
        """The paper's N_S subset: the first `n_ids` identities x the first `per_id` images of each.

        Identities with fewer images contribute what they have unless `strict`
        (real data is long-tailed; the official code takes what each folder holds).
        """
        ids = np.sort(self.meta["identity"].unique())
        if n_ids > len(ids):
            raise SynfaceError(f"{self.path}: subset asks for {n_ids} identities, dataset has {len(ids)}")
        keep = self.meta["identity"].isin(ids[:n_ids]) & (self.meta["image"] < per_id)
        rows = np.nonzero(keep.to_numpy())[0]
        short = self.meta.loc[keep].groupby("identity").size()
        if strict and (short < per_id).any():
            raise SynfaceError(
                f"{self.path}: subset asks for {per_id} images per identity, "
                f"identity {int(short.idxmin())} has {int(short.min())}"
            )
        return self.view(rows)
