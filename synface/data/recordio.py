"""MXNet RecordIO (`.rec` + `.idx`), read without mxnet: record framing and image-record headers.

A record on disk is one or more parts, each::

    uint32 magic 0xced7230a | uint32 lrec = cflag << 29 | length | data | zero padding to 4 bytes

cflag 0 is a whole record; 1, 2, 3 the first, a middle and the last part of a split one.
The writer (dmlc-core's `RecordIOWriter`) splits a record wherever the magic number occurs
at a 4-byte-aligned offset of its data, dropping those 4 bytes, so a reader can resynchronise
on magic numbers; reading joins the parts with the magic put back between them. All integers
are little-endian.

The `.idx` file holds one line `key<TAB>offset` per record: the byte offset of its first part.

An image record (MXNet's `recordio.pack`) starts with the header `IfQQ` (flag, label, id,
id2); when flag > 0, `flag` float32 labels follow and become the label (MXNet's `unpack`);
the rest is the encoded image.
"""

from __future__ import annotations

import bisect
import os
import re
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple, Self

import numpy as np

from synface.errors import SynfaceError
from synface.io.textfile import read_text

MAGIC = 0xCED7230A
WHOLE, FIRST, MIDDLE, LAST = range(4)  # continuation flags
_MAGIC_BYTES = struct.pack("<I", MAGIC)
_PART = struct.Struct("<II")  # magic, lrec
_LENGTH_BITS = 29
_HEADER = struct.Struct("<IfQQ")  # flag, label, id, id2
_INDEX_LINE = re.compile(r"([0-9]+)\t([0-9]+)")


class IRHeader(NamedTuple):
    flag: int
    label: float | np.ndarray  # float32 array of `flag` labels when flag > 0
    id: int
    id2: int

    @property
    def first_label(self) -> float:
        """The label, or the first of several (how insightface's loader reads an image record)."""
        return float(self.label[0]) if isinstance(self.label, np.ndarray) else float(self.label)


def read_index(path: str | os.PathLike[str]) -> dict[int, int]:
    """The `.idx` file: {record key: byte offset}, in file order; raises naming the file and line."""
    try:
        lines = read_text(path).splitlines()
    except FileNotFoundError:
        raise SynfaceError(f"{path}: no such index file") from None
    except OSError as err:
        raise SynfaceError(f"{path}: cannot read ({err})") from None
    index: dict[int, int] = {}
    keys_at: dict[int, int] = {}  # offset -> its record key: two keys at one offset would store one image twice
    for number, line in enumerate(lines, start=1):
        m = _INDEX_LINE.fullmatch(line.strip())
        if m is None:
            raise SynfaceError(f"{path}:{number}: {line!r} is not 'key<TAB>offset' (two whole numbers)")
        key, offset = int(m[1]), int(m[2])
        if key in index:
            raise SynfaceError(f"{path}:{number}: record key {key} appears twice")
        if offset in keys_at:
            raise SynfaceError(f"{path}:{number}: record {key} has the offset {offset} of record {keys_at[offset]}")
        index[key], keys_at[offset] = offset, key
    return index


class RecordFile:
    """A `.rec` file open for reading records at byte offsets; threads may share it (positional reads)."""

    def __init__(self, path: str | os.PathLike[str], starts: Iterable[int] = ()) -> None:
        """`starts`: the offsets of every record (the index's), so a record running into the next is refused."""
        self.path = Path(path)
        self._starts = sorted(starts)
        try:
            self._fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            raise SynfaceError(f"{path}: no such record file") from None
        except OSError as err:
            raise SynfaceError(f"{path}: cannot open ({err})") from None
        self.size = os.fstat(self._fd).st_size

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        os.close(self._fd)

    def read(self, offset: int, key: int) -> bytes:
        """The record whose first part starts at `offset`, its parts joined; errors name record `key`."""
        where = f"{self.path}: record {key}"
        if offset >= self.size:
            raise SynfaceError(f"{where}: offset {offset} is past the end of the file ({self.size} bytes)")
        parts: list[bytes] = []
        position = offset
        while True:
            head = os.pread(self._fd, _PART.size, position)
            if len(head) < _PART.size:
                raise SynfaceError(f"{where}: the file ends at byte {self.size}, inside the record")
            magic, lrec = _PART.unpack(head)
            if magic != MAGIC:
                raise SynfaceError(f"{where}: bad magic 0x{magic:08x} at byte {position} (expected 0x{MAGIC:08x})")
            cflag, length = lrec >> _LENGTH_BITS, lrec & ((1 << _LENGTH_BITS) - 1)
            allowed = (MIDDLE, LAST) if parts else (WHOLE, FIRST)
            if cflag not in allowed:
                raise SynfaceError(
                    f"{where}: part {len(parts)} at byte {position} has continuation flag {cflag}, "
                    f"expected {allowed[0]} or {allowed[1]}"
                )
            padded = (length + 3) // 4 * 4
            data = os.pread(self._fd, padded, position + _PART.size)
            if len(data) < padded:
                raise SynfaceError(f"{where}: the file ends at byte {self.size}, inside the record")
            parts.append(data[:length])
            position += _PART.size + padded
            if cflag in (WHOLE, LAST):
                following = bisect.bisect_right(self._starts, offset)
                if following < len(self._starts) and self._starts[following] < position:
                    raise SynfaceError(
                        f"{where}: bytes {offset}..{position} overlap the record at byte {self._starts[following]}"
                    )
                return _MAGIC_BYTES.join(parts)


def unpack(record: bytes, where: str) -> tuple[IRHeader, bytes]:
    """MXNet's `recordio.unpack`: the image-record header and the payload after it."""
    if len(record) < _HEADER.size:
        raise SynfaceError(f"{where}: {len(record)} bytes, shorter than the {_HEADER.size}-byte image-record header")
    flag, label, id_, id2 = _HEADER.unpack_from(record)
    payload = record[_HEADER.size :]
    if flag > 0:
        if len(payload) < 4 * flag:
            raise SynfaceError(f"{where}: the header promises {flag} labels, the record holds {len(payload) // 4}")
        label = np.frombuffer(payload, "<f4", flag)
        payload = payload[4 * flag :]
    return IRHeader(flag, label, id_, id2), payload
