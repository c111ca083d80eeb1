"""`synface import rec`: insightface's MXNet RecordIO training set, written here to the format, read back."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

import synface.cli
import synface.errors
from synface.cli import main
from synface.data import recordio
from synface.data.imagefiles import encode_image
from synface.data.storage import Dataset

MAGIC = struct.pack("<I", 0xCED7230A)
# identity -> its image records; identity 1's images come first on disk, so storage must reorder
IDENTITY_RECORDS = {0: [4, 5], 1: [1, 2, 3], 2: [6]}
A, B = 7, 10  # record 0's label: images 1..6, identity records 7..9


@pytest.fixture(autouse=True)
def only_import_commands(monkeypatch):
    monkeypatch.setattr(synface.cli, "SUBCOMMAND_MODULES", ["synface.cli.importers"])


# ---------------------------------------------------------------- the format, as MXNet writes it


def frame(data: bytes) -> tuple[bytes, int]:
    """dmlc's RecordIOWriter: split at every 4-byte-aligned magic (dropped), pad the last part; (bytes, parts)."""
    chunks, start = [], 0
    for i in range(0, len(data) // 4 * 4, 4):
        if data[i : i + 4] == MAGIC:
            chunks.append(data[start:i])
            start = i + 4
    chunks.append(data[start:])
    out = b""
    for n, chunk in enumerate(chunks):
        cflag = 0 if len(chunks) == 1 else 1 if n == 0 else 3 if n == len(chunks) - 1 else 2
        out += MAGIC + struct.pack("<I", cflag << 29 | len(chunk)) + chunk
    return out + b"\0" * (-len(data) % 4), len(chunks)


def pack(label: float | list[float], payload: bytes = b"") -> bytes:
    """MXNet's recordio.pack: an array label goes after the header, its size in flag, 0 in the label field."""
    if isinstance(label, list):
        return struct.pack("<IfQQ", len(label), 0.0, 0, 0) + np.asarray(label, "<f4").tobytes() + payload
    return struct.pack("<IfQQ", 0, label, 0, 0) + payload


def write_rec(root: Path, records: list[bytes], prop: str = "3,112,112") -> list[int]:
    """train.rec / train.idx / property of `records` (key = position); the part count of each record."""
    root.mkdir(parents=True, exist_ok=True)
    rec, idx, parts = b"", [], []
    for key, data in enumerate(records):
        idx.append(f"{key}\t{len(rec)}")
        framed, n = frame(data)
        rec += framed
        parts.append(n)
    (root / "train.rec").write_bytes(rec)
    (root / "train.idx").write_text("\n".join(idx) + "\n")
    (root / "property").write_text(prop + "\n")
    return parts


def smooth_image(rng: np.random.Generator) -> np.ndarray:
    """A 112x112 face-sized image JPEG keeps within a few levels."""
    y, x = np.mgrid[0:112, 0:112] / 111.0
    a, b, c = rng.uniform(0, 1, 3)
    return (255 * np.stack([a * x + (1 - a) * y, b * y, c * (1 - x)], -1)).round().astype(np.uint8)


def png_with_magic(image: np.ndarray, offset: int) -> bytes:
    """A valid PNG whose bytes hold the magic twice in a row at 4-aligned offsets of its record (header at -offset)."""
    for pad in range(4):
        info = PngImagePlugin.PngInfo()
        info.add_text("comment", ("x" * pad + (MAGIC * 2).decode("latin-1")), zip=False)
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format="PNG", pnginfo=info)
        data = buf.getvalue()
        if (offset + data.index(MAGIC)) % 4 == 0:
            return data
    raise AssertionError("unreachable: one of four paddings aligns the magic")


def training_set(rng: np.random.Generator) -> tuple[list[bytes], dict[int, np.ndarray], int]:
    """Records 0..9 of a 3-identity set, the source image of each image record, the multi-part record's key."""
    records: list[bytes] = [pack([A, B])] + [b""] * (B - 1)
    sources: dict[int, np.ndarray] = {}
    for identity, keys in IDENTITY_RECORDS.items():
        records[A + identity] = pack([keys[0], keys[-1] + 1])
        for key in keys:
            image = sources[key] = smooth_image(rng)
            payload = encode_image(image, "PNG") if key % 2 else encode_image(image, "JPEG", quality=95)
            records[key] = pack(identity, payload)
    multi = 3
    records[multi] = pack(1, png_with_magic(sources[multi], 24))
    records[5] = pack([0, 99.0], encode_image(sources[5], "PNG"))  # several labels: the first is the identity
    return records, sources, multi


# ---------------------------------------------------------------- round trip


def test_rec_round_trip_identities_counts_and_pixels(tmp_path, capsys):
    rng = np.random.default_rng(0)
    records, sources, multi = training_set(rng)
    parts = write_rec(tmp_path / "webface", records)
    assert parts[multi] == 3 and all(n == 1 for key, n in enumerate(parts) if key != multi)  # first, middle, last
    assert main(["import", "rec", str(tmp_path / "webface"), "--out", str(tmp_path / "ds")]) == 0
    assert capsys.readouterr().out.strip() == '{"identities": 3, "images": 6, "pairs": 0}'
    ds = Dataset.open(tmp_path / "ds")
    assert (ds.height, ds.width) == (112, 96)  # arcface112 by default: columns 8:104
    assert list(ds.meta["identity"]) == [0, 0, 1, 1, 1, 2] and list(ds.meta["image"]) == [0, 1, 0, 1, 2, 0]
    assert list(ds.meta["name"]) == ["4.jpg", "5.png", "1.png", "2.jpg", "3.png", "6.jpg"]
    for row, name in enumerate(ds.meta["name"]):
        source = sources[int(name.split(".")[0])][:, 8:104]
        got = ds.images([row])[0]
        if name.endswith(".png"):
            np.testing.assert_array_equal(got, source)
        else:
            assert np.abs(got.astype(int) - source).max() <= 8


def test_rec_record_reader_joins_parts_with_the_magic_and_checks_them(tmp_path):
    data = b"head" + MAGIC + MAGIC + b"tail of odd length"  # parts "head", "" (middle), "tail..."
    framed, n = frame(data)
    assert n == 3 and len(framed) == 3 * 8 + 4 + 20
    path = tmp_path / "x.rec"
    path.write_bytes(b"\0" * 8 + framed)
    with recordio.RecordFile(path) as rec:
        assert rec.read(8, 0) == data
    cases = {
        "the file ends at byte 28, inside the record": framed[:20],  # after the first and middle parts
        "part 1 at byte 20 has continuation flag 0, expected 2 or 3": framed[:12] + frame(b"next")[0],
        "part 0 at byte 8 has continuation flag 2, expected 0 or 1": framed[12:],
        "offset 8 is past the end of the file (8 bytes)": b"",
    }
    for message, body in cases.items():
        path.write_bytes(b"\0" * 8 + body)
        with recordio.RecordFile(path) as rec, pytest.raises(synface.errors.SynfaceError) as err:
            rec.read(8, 5)
        assert str(err.value) == f"{path}: record 5: {message}", str(err.value)


def test_rec_align_and_size_options(tmp_path, capsys):
    records, sources, _ = training_set(np.random.default_rng(1))
    write_rec(tmp_path / "rec", records)
    out = tmp_path / "ds"
    argv = ["import", "rec", str(tmp_path / "rec"), "--out", str(out), "--align", "none", "--size", "112x112"]
    assert main(argv) == 0
    capsys.readouterr()
    ds = Dataset.open(out)
    np.testing.assert_array_equal(ds.images([4])[0], sources[3])  # the multi-part PNG, whole


# ---------------------------------------------------------------- bad input


def _fails(capsys, root: Path, out: Path, *needles: str) -> None:
    assert main(["import", "rec", str(root), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip().splitlines()[-1]  # after any progress bar
    assert err.startswith("synface: error:"), err
    for needle in needles:
        assert needle in err, err
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.tmp")]


def _set(records: list[bytes], key: int, data: bytes) -> list[bytes]:
    return [data if k == key else r for k, r in enumerate(records)]


def test_rec_bad_framing_is_refused_naming_file_and_record(tmp_path, capsys):
    records, _, _ = training_set(np.random.default_rng(2))
    root, out = tmp_path / "rec", tmp_path / "ds"
    rec = root / "train.rec"

    write_rec(root, records)
    offset = int((root / "train.idx").read_text().splitlines()[2].split("\t")[1])
    data = bytearray(rec.read_bytes())
    data[offset : offset + 4] = b"JUNK"
    rec.write_bytes(bytes(data))
    _fails(capsys, root, out, f"{rec}: record 2:", "bad magic")

    write_rec(root, records)
    rec.write_bytes(rec.read_bytes()[:-6])  # inside record 9, the last identity record
    _fails(capsys, root, out, f"{rec}: record 9:", "file ends")

    write_rec(root, _set(records, 2, pack(1, b"GIF? no: not an image at all")))
    _fails(capsys, root, out, f"{rec}: record 2:", "unreadable image")


@pytest.mark.parametrize(
    ("key", "data", "needles"),
    [
        (0, pack([A, B + 2]), ["record 0:", "range [1, 12) holds record 10", "train.idx lacks"]),
        (0, pack(7.0), ["record 0:", "no label range"]),
        (A, pack([5, 9]), ["record 7:", "[5, 9) is not within images [1, 7)"]),
        (A + 1, pack([3, 5]), ["record 8:", "identity 1's image range [3, 5) overlaps identity 0's"]),
        (A + 2, pack([5, 7]), ["record 9:", "overlaps identity 0's"]),
        (1, pack(2, encode_image(np.zeros((112, 112, 3), np.uint8))), ["record 1:", "label 2", "identity 1"]),
        (1, pack(1.5, encode_image(np.zeros((112, 112, 3), np.uint8))), ["record 1:", "label 1.5"]),
        (2, pack(1, encode_image(np.zeros((100, 100, 3), np.uint8))), ["record 2:", "100x100", "112x112"]),
        (4, b"short", ["record 4:", "shorter than the 24-byte"]),
    ],
)
def test_rec_headers_that_lie_are_refused(tmp_path, capsys, key, data, needles):
    records, _, _ = training_set(np.random.default_rng(3))
    root = tmp_path / "rec"
    write_rec(root, _set(records, key, data))
    _fails(capsys, root, tmp_path / "ds", str(root / "train.rec"), *needles)


def test_rec_property_and_missing_files_are_refused(tmp_path, capsys):
    records, _, _ = training_set(np.random.default_rng(4))
    root, out = tmp_path / "rec", tmp_path / "ds"
    write_rec(root, records, prop="4,112,112")
    _fails(capsys, root, out, f"{root / 'train.rec'}: record 0:", "3 identity records", "says 4 classes")
    write_rec(root, records, prop="3;112;112")
    _fails(capsys, root, out, str(root / "property"), "num_classes,height,width")
    write_rec(root, records)
    (root / "train.idx").write_text("0\t0\n1 24\n")
    _fails(capsys, root, out, f"{root / 'train.idx'}:2:", "key<TAB>offset")
    for name in ("train.idx", "property", "train.rec"):
        write_rec(root, records)
        (root / name).unlink()
        _fails(capsys, root, out, str(root / name), "no such")


def test_rec_index_offsets_that_repeat_or_overlap_are_refused(tmp_path, capsys):
    records, sources, _ = training_set(np.random.default_rng(5))
    root, out = tmp_path / "rec", tmp_path / "ds"
    idx, rec = root / "train.idx", root / "train.rec"
    write_rec(root, records)
    lines = idx.read_text().splitlines()
    first = lines[1].split("\t")[1]
    idx.write_text("\n".join([*lines[:2], f"2\t{first}", *lines[3:]]) + "\n")  # one image stored twice
    _fails(capsys, root, out, f"{idx}:3:", f"record 2 has the offset {first} of record 1")

    # record 6's entry points at a whole record hidden inside record 2, at an odd byte (no part boundary)
    hidden = pack(2, encode_image(sources[6], "PNG"))
    pad = b"\0" * ((1 - len(records[2])) % 4)
    write_rec(root, _set(records, 2, records[2] + pad + MAGIC + struct.pack("<I", len(hidden)) + hidden))
    lines = idx.read_text().splitlines()
    inside = int(lines[2].split("\t")[1]) + 8 + len(records[2]) + len(pad)
    idx.write_text("\n".join([*lines[:6], f"6\t{inside}", *lines[7:]]) + "\n")
    _fails(capsys, root, out, f"{rec}: record 2:", f"overlap the record at byte {inside}")
