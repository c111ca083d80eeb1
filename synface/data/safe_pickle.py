"""Reading insightface verification packs (`lfw.bin`, `cfp_fp.bin`, ...) without running their code.

A pack is a pickle of `(bins, issame_list)`: 2N encoded images and N bools, written by
Python 2. Lists, tuples, byte strings, bools and numbers are built by pickle opcodes
alone; anything else needs `find_class`, the door through which a pickle calls code,
so `find_class` refuses every global. The one exception is `_codecs.encode`, which
Python 3 uses for bytes under protocols < 3: it is answered by a local function that
only turns a str into latin-1 bytes, never by the real codec machinery.

Packs holding numpy objects (np.bool_, ndarray) cannot be read this way (rebuilding
them means calling numpy functions named by the file); they are refused with that reason.

A pack is read whole, so it is capped (MAX_PACK_BYTES, 1 GiB; insightface's packs are tens of MB). Its pairs
are implicit (pair i = images 2i and 2i+1), so the one way a pack "points at one image" is to hold
the same bytes again, as a copy or (cheaply: a pickle memo reference of 2 bytes) as the same object.
Real protocols reuse images across pairs (LFW's 6,000 pairs touch 7,701 images), and every slot is
decoded and stored as its own row, so a repeat costs what a distinct image costs: accepted. Two
things no protocol does are refused: a pair of one image with itself (as a pairs list's matched pair
of one image is), and one image in more than MAX_IMAGE_REPEATS slots, a pack that is corrupt or
crafted to expand (6,000 pairs of one image score nothing and decode one image 12,000 times).
"""

from __future__ import annotations

import io
import os
import pickle
from collections import Counter
from typing import Any

from synface.errors import SynfaceError
from synface.io.textfile import read_bytes

MAX_PACK_BYTES = 2**30
MAX_IMAGE_REPEATS = 100  # slots one image's bytes may fill; a real protocol's images recur a few times


def _latin1_bytes(text: object, encoding: object) -> bytes:
    if type(text) is not str or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode is only allowed as str -> latin-1 bytes")
    return text.encode("latin-1")


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves no global names (see the module docstring)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("_codecs", "encode"):
            return _latin1_bytes
        hint = " (numpy objects are not supported)" if module.split(".")[0] == "numpy" else ""
        raise pickle.UnpicklingError(f"refusing global {module}.{name}{hint}")

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("refusing persistent id")


def safe_load(path: str | os.PathLike[str]) -> Any:
    """Unpickle a file built only of plain containers and scalars; Python 2 str become bytes."""
    try:
        data = read_bytes(path, MAX_PACK_BYTES)
    except OSError as err:
        raise SynfaceError(f"{path}: cannot read ({err})") from None
    try:
        return RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    except Exception as err:  # noqa: BLE001 - no code of the file runs, so any failure means a malformed stream
        raise SynfaceError(f"{path}: not a readable plain pickle ({type(err).__name__}: {err})") from None


def load_verification_pack(path: str | os.PathLike[str]) -> tuple[list[bytes], list[bool]]:
    """(bins, issame): 2N encoded images (pair i = bins[2i], bins[2i+1]) and N labels, checked."""
    obj = safe_load(path)
    if type(obj) not in (tuple, list) or len(obj) != 2:
        raise SynfaceError(f"{path}: expected a pair (bins, issame_list), found {type(obj).__name__}")
    bins, issame = obj
    for what, seq, kind in (("bins", bins, bytes), ("issame_list", issame, bool)):
        if type(seq) not in (tuple, list):
            raise SynfaceError(f"{path}: {what} is a {type(seq).__name__}, expected a list")
        bad = next((i for i, x in enumerate(seq) if type(x) is not kind), None)
        if bad is not None:
            raise SynfaceError(f"{path}: {what}[{bad}] is a {type(seq[bad]).__name__}, expected {kind.__name__}")
    if not issame or len(bins) != 2 * len(issame):
        raise SynfaceError(
            f"{path}: {len(bins)} images for {len(issame)} pairs (expected 2 per pair, at least one pair)"
        )
    _refuse_repeats(path, bins)
    return list(bins), list(issame)


def _refuse_repeats(path: str | os.PathLike[str], bins: list[bytes] | tuple[bytes, ...]) -> None:
    """Refuse a pair of one image with itself, and an image in more than MAX_IMAGE_REPEATS slots."""
    same = next((i for i in range(0, len(bins), 2) if bins[i] == bins[i + 1]), None)
    if same is not None:
        raise SynfaceError(
            f"{path}: pair {same // 2} (images {same} and {same + 1}) compares an image with itself "
            "(the same bytes twice)"
        )
    image, count = Counter(bins).most_common(1)[0]
    if count > MAX_IMAGE_REPEATS:
        first = bins.index(image)
        raise SynfaceError(
            f"{path}: image {first} recurs in {count:,} of the {len(bins):,} slots; a verification pack "
            f"holds one image at most {MAX_IMAGE_REPEATS} times (a corrupt or crafted pack)"
        )
