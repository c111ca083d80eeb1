"""`synface import ...`: every format round-trips into storage; every bad input is refused cleanly."""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
from face_files import pack_images, random_image, save_image
from PIL import Image
from repo_copy import ROOT

import synface.cli
from synface.cli import main
from synface.data.imagefiles import Alignment, encode_image, read_image, safe_join
from synface.data.pairs import Pair, PairsFile, image_relpath, parse_pairs, write_pairs
from synface.data.safe_pickle import MAX_IMAGE_REPEATS, load_verification_pack, safe_load
from synface.data.storage import Dataset
from synface.errors import SynfaceError

REAL_PAIRS = next(
    (
        p
        for p in (
            Path("/work/shared/data/lfw_pairs.txt"),
            ROOT.parent / "shared/data/lfw_pairs.txt",
        )
        if p.is_file()
    ),
    None,
)


@pytest.fixture(autouse=True)
def only_import_commands(monkeypatch):
    """Build the CLI from this group alone, so other groups' state cannot break these tests."""
    monkeypatch.setattr(synface.cli, "SUBCOMMAND_MODULES", ["synface.cli.importers"])


def _pil_decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def _run_ok(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out
    return json.loads(out[0])


def _run_fails(capsys, argv: list[str], out: Path, *needles: str) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip().splitlines()[-1]
    assert err.startswith("synface: error:")
    for needle in needles:
        assert needle in err, err
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.tmp")]
    return err


# ---------------------------------------------------------------- LFW

LFW_COUNTS = {"Ann": 3, "Bob": 4, "Cid": 2, "Dee": 1}  # images on disk per name


def _lfw_protocol() -> PairsFile:
    """2 folds x 2 pairs per class; Bob_0004 exists on disk but no pair uses it."""
    pairs = [
        Pair("Ann", 1, "Ann", 2, True, 0),
        Pair("Bob", 1, "Bob", 3, True, 0),
        Pair("Ann", 1, "Dee", 1, False, 0),
        Pair("Cid", 2, "Bob", 2, False, 0),
        Pair("Cid", 1, "Cid", 2, True, 1),
        Pair("Ann", 3, "Ann", 2, True, 1),
        Pair("Bob", 1, "Cid", 1, False, 1),
        Pair("Dee", 1, "Ann", 3, False, 1),
    ]
    return PairsFile(2, 2, pairs)


@pytest.fixture
def lfw(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "lfw"
    for name, count in LFW_COUNTS.items():
        for n in range(1, count + 1):
            save_image(root / image_relpath(name, n), random_image(rng))
    write_pairs(tmp_path / "pairs.txt", _lfw_protocol())
    return root, tmp_path / "pairs.txt"


def test_lfw_round_trip(tmp_path, capsys, lfw):
    root, pairs = lfw
    counts = _run_ok(
        capsys, ["import", "lfw", "--images", str(root), "--pairs", str(pairs), "--out", str(tmp_path / "ds")]
    )
    assert counts == {"identities": 4, "images": 9, "pairs": 8}
    ds = Dataset.open(tmp_path / "ds")
    assert (len(ds), ds.height, ds.width) == (9, 112, 96)
    assert ds.attrs["identity_names"] == ["Ann", "Bob", "Cid", "Dee"] and ds.attrs["source"] == "lfw"
    assert list(ds.meta["identity"]) == [0, 0, 0, 1, 1, 1, 2, 2, 3]
    assert list(ds.meta["image"]) == [0, 1, 2, 0, 1, 2, 0, 1, 0]
    assert "Bob/Bob_0004.jpg" not in set(ds.meta["name"])
    assert (ds.meta["partner"] == -1).all() and (ds.meta["phi"] == 1).all()
    assert ds.meta[[c for c in ds.meta.columns if c.startswith("lm")]].isna().all().all()
    images = ds.images()
    for row, name in enumerate(ds.meta["name"]):
        np.testing.assert_array_equal(images[row], read_image(root / name))
    names = list(ds.meta["name"])
    for pair, (left, right, same, fold) in zip(_lfw_protocol().pairs, ds.pairs.itertuples(index=False), strict=True):
        assert names[left] == image_relpath(pair.name1, pair.n1)
        assert names[right] == image_relpath(pair.name2, pair.n2)
        assert (bool(same), fold) == (pair.same, pair.fold)


def test_lfw_alignment_options(tmp_path, capsys):
    rng = np.random.default_rng(1)
    root = tmp_path / "lfw"
    arcface = {
        (name, n): random_image(rng, 112, 112) for name, count in LFW_COUNTS.items() for n in range(1, count + 1)
    }
    for (name, n), image in arcface.items():
        save_image(root / image_relpath(name, n).replace(".jpg", ".png"), image)  # lossless copies are accepted
    write_pairs(tmp_path / "pairs.txt", _lfw_protocol())
    base = ["import", "lfw", "--images", str(root), "--pairs", str(tmp_path / "pairs.txt"), "--out"]
    _run_fails(capsys, [*base, str(tmp_path / "none")], tmp_path / "none", "Ann_0001.png", "112x112", "--align")
    _run_ok(capsys, [*base, str(tmp_path / "arc"), "--align", "arcface112"])
    ds = Dataset.open(tmp_path / "arc")
    assert ds.attrs["align"] == "arcface112"
    for row, name in enumerate(ds.meta["name"]):
        key = (name.split("/")[0], int(name[-8:-4]))
        np.testing.assert_array_equal(ds.images([row])[0], arcface[key][:, 8:104])
    _run_ok(capsys, [*base, str(tmp_path / "small"), "--align", "resize", "--size", "56x48"])
    assert Dataset.open(tmp_path / "small").images().shape == (9, 56, 48, 3)


@pytest.mark.skipif(REAL_PAIRS is None, reason="shared/data/lfw_pairs.txt not available")
def test_lfw_official_protocol_with_placeholder_images(tmp_path, capsys):
    """All 6,000 official pairs over 7,701 tiny placeholder images: hard links to 256 colours (row % 256)."""
    protocol = parse_pairs(REAL_PAIRS)
    keys = protocol.images()
    root = tmp_path / "lfw"
    colours = tmp_path / "colours"
    colours.mkdir()
    for c in range(256):
        (colours / f"{c}.png").write_bytes(encode_image(np.full((4, 4, 3), (c, 255 - c, 7), np.uint8)))
    for name in {name for name, _ in keys}:
        (root / name).mkdir(parents=True)
    for row, (name, n) in enumerate(keys):
        os.link(colours / f"{row % 256}.png", root / image_relpath(name, n, ".png"))
    counts = _run_ok(
        capsys,
        [
            "import",
            "lfw",
            "--images",
            str(root),
            "--pairs",
            str(REAL_PAIRS),
            "--out",
            str(tmp_path / "ds"),
            "--size",
            "4x4",
        ],
    )
    assert counts == {"identities": 4281, "images": 7701, "pairs": 6000}
    ds = Dataset.open(tmp_path / "ds")
    assert list(ds.meta["name"]) == [image_relpath(name, n, ".png") for name, n in keys]
    np.testing.assert_array_equal(ds.images()[:, 0, 0, 0], np.arange(7701) % 256)
    row = {key: r for r, key in enumerate(keys)}
    expected_left = [row[(p.name1, p.n1)] for p in protocol.pairs]
    expected_right = [row[(p.name2, p.n2)] for p in protocol.pairs]
    assert list(ds.pairs["left"]) == expected_left and list(ds.pairs["right"]) == expected_right
    assert list(ds.pairs["fold"]) == [p.fold for p in protocol.pairs]
    assert ds.pairs["same"].sum() == 3000
    assert ds.num_identities == 4281


def test_lfw_missing_image_names_line_and_path(tmp_path, capsys, lfw):
    root, pairs = lfw
    (root / "Cid" / "Cid_0002.jpg").unlink()  # first used on line 5 (fold 0, 4th pair)
    out = tmp_path / "ds"
    _run_fails(
        capsys,
        ["import", "lfw", "--images", str(root), "--pairs", str(pairs), "--out", str(out)],
        out,
        f"{pairs}:5:",
        "Cid/Cid_0002.jpg",
        "does not exist",
    )


def test_lfw_truncated_image_names_file(tmp_path, capsys, lfw):
    root, pairs = lfw
    victim = root / "Bob" / "Bob_0003.jpg"
    victim.write_bytes(victim.read_bytes()[:600])
    out = tmp_path / "ds"
    _run_fails(
        capsys,
        ["import", "lfw", "--images", str(root), "--pairs", str(pairs), "--out", str(out)],
        out,
        str(victim),
        "unreadable image",
    )


def test_lfw_bad_pairs_lines(tmp_path, capsys, lfw):
    root, pairs = lfw
    out = tmp_path / "ds"
    base = ["import", "lfw", "--images", str(root), "--pairs", str(pairs), "--out", str(out)]
    lines = pairs.read_text().splitlines()
    cases = {
        3: ("Bob\t1\tx3", "not a positive integer"),  # non-numeric index
        4: ("Ann\t1\tDee", "mismatched pair"),  # 3 fields where a mismatched pair belongs
        6: ("Cid\t1\t2\t9\t9", "expected 3 fields"),  # wrong field count
        7: ("../Ann\t3\t2", "not a plain folder name"),  # escape
        8: ("Bob\t1\t/etc/passwd\t1", "not a plain folder name"),  # absolute path
    }
    for line, (text, message) in cases.items():
        pairs.write_text("\n".join(lines[: line - 1] + [text] + lines[line:]) + "\n")
        _run_fails(capsys, base, out, f"{pairs}:{line}:", message)
    pairs.write_text("\n".join(["3\t2", *lines[1:]]) + "\n")  # header disagrees with the body
    _run_fails(capsys, base, out, f"{pairs}:9:", "promises 3 folds")


def test_lfw_existing_output_is_kept(tmp_path, capsys, lfw):
    root, pairs = lfw
    out = tmp_path / "ds"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["import", "lfw", "--images", str(root), "--pairs", str(pairs), "--out", str(out)]) == 2
    assert "output exists" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "mine"


# ---------------------------------------------------------------- insightface .bin packs


def _py2_pickle(bins: list[bytes], issame: list[bool]) -> bytes:
    """A pack as Python 2 writes it (protocol 2): str as BINSTRING, bools as NEWTRUE/NEWFALSE."""
    body = b"".join(b"T" + struct.pack("<I", len(b)) + b for b in bins)
    flags = b"".join(b"\x88" if s else b"\x89" for s in issame)
    return b"\x80\x02" + b"](" + body + b"e](" + flags + b"e\x86."


@pytest.mark.parametrize("writer", ["python2", "protocol2", "protocol5"])
def test_bin_round_trip(tmp_path, capsys, writer):
    rng = np.random.default_rng(2)
    images, bins = pack_images(rng, 40)
    issame = [bool(b) for b in rng.integers(0, 2, 20)]
    pack = tmp_path / "lfw.bin"
    if writer == "python2":
        pack.write_bytes(_py2_pickle(bins, issame))
    else:
        pack.write_bytes(pickle.dumps((bins, issame), protocol=2 if writer == "protocol2" else 5))
    counts = _run_ok(capsys, ["import", "bin", str(pack), "--out", str(tmp_path / "ds")])
    assert counts == {"identities": 40, "images": 40, "pairs": 20}
    ds = Dataset.open(tmp_path / "ds")
    assert (ds.height, ds.width) == (112, 96)
    assert list(ds.meta["identity"]) == list(range(40))
    assert ds.meta["name"][0] == "00000.jpg" and ds.meta["name"][1] == "00001.png"
    for i, image in enumerate(images):
        expected = image if i % 2 else _pil_decode(bins[i])  # PNG exact, JPEG as decoded
        np.testing.assert_array_equal(ds.images([i])[0], expected[:, 8:104])
    assert list(ds.pairs["left"]) == list(range(0, 40, 2)) and list(ds.pairs["right"]) == list(range(1, 40, 2))
    assert list(ds.pairs["same"]) == issame
    assert list(ds.pairs["fold"]) == [f for f in range(10) for _ in range(2)]


def test_bin_of_any_pair_count_splits_into_the_protocols_ten_folds(tmp_path, capsys):
    _, bins = pack_images(np.random.default_rng(5), 46)
    issame = [bool(k % 2) for k in range(23)]
    pack = tmp_path / "cplfw_part.bin"
    pack.write_bytes(pickle.dumps((bins, issame), protocol=2))
    counts = _run_ok(capsys, ["import", "bin", str(pack), "--out", str(tmp_path / "ds")])
    assert counts == {"identities": 46, "images": 46, "pairs": 23}
    folds = Dataset.open(tmp_path / "ds").pairs["fold"].tolist()
    assert folds == [f for f, size in enumerate([2, 2, 2, 3, 2, 2, 3, 2, 2, 3]) for _ in range(size)]  # int(i*23/10)


class _Instance:
    pass


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _bad_packs(tmp_path: Path) -> dict[str, tuple[bytes, str]]:
    _, bins = pack_images(np.random.default_rng(3), 20)
    issame = [True, False] * 5
    truncated = list(bins)
    truncated[5] = truncated[5][:300]
    return {
        "lengths disagree": (pickle.dumps((bins[:18], issame)), "18 images for 10 pairs"),
        "fewer than ten pairs": (
            pickle.dumps((bins[:18], issame[:9])),
            "9 pairs are fewer than the protocol's 10 folds",
        ),
        "a set": (pickle.dumps((bins, set(issame)), protocol=5), "issame_list is a set"),
        "a set via global": (pickle.dumps((bins, set(issame)), protocol=2), "refusing global"),
        "an int label": (pickle.dumps((bins, [1] + issame[1:])), "issame_list[0] is a int"),
        "a str image": (pickle.dumps((["x"] + bins[1:], issame)), "bins[0] is a str"),
        "a class instance": (pickle.dumps((bins, [_Instance()] + issame[1:])), "refusing global"),
        "not a pickle": (b"\x89PNG not a pickle", "not a readable plain pickle"),
        "a truncated image": (pickle.dumps((truncated, issame)), "image 5"),
        "malicious reduce": (pickle.dumps(_Evil(tmp_path / "marker")), "refusing global"),
        "malicious reduce p0": (pickle.dumps(_Evil(tmp_path / "marker"), protocol=0), "refusing global"),
    }


def test_bin_images_may_recur_up_to_the_cap(tmp_path):
    """Real protocols reuse an image in several pairs: up to MAX_IMAGE_REPEATS slots is accepted, copies
    or one object alike; one slot more, or a pair of one image with itself, is refused naming the pack."""
    _, bins = pack_images(np.random.default_rng(4), MAX_IMAGE_REPEATS + 2)
    first, others = bins[0], bins[1:]
    pack = tmp_path / "reused.bin"
    cases = {
        "copies": [bytes(bytearray(first)) for _ in others],  # as a pack of files read one by one holds them
        "one object": [first] * len(others),  # a pickle memo reference each
    }
    for repeated in cases.values():
        slots = [x for pair in zip(repeated, others, strict=True) for x in pair]
        pack.write_bytes(pickle.dumps((slots[:-2], [True] * (len(others) - 1)), protocol=2))
        assert load_verification_pack(pack)[0] == slots[:-2]
        pack.write_bytes(pickle.dumps((slots, [True] * len(others)), protocol=2))
        with pytest.raises(SynfaceError, match=rf"reused\.bin: image 0 recurs in {MAX_IMAGE_REPEATS + 1} of the"):
            load_verification_pack(pack)
    pack.write_bytes(pickle.dumps(([first, bytes(bytearray(first)), *others[:18]], [False] * 10), protocol=2))
    with pytest.raises(SynfaceError, match=r"reused\.bin: pair 0 \(images 0 and 1\) compares an image with itself"):
        load_verification_pack(pack)


def test_bin_bad_packs_are_refused(tmp_path, capsys):
    out = tmp_path / "ds"
    for case, (data, message) in _bad_packs(tmp_path).items():
        pack = tmp_path / f"{case.replace(' ', '_')}.bin"
        pack.write_bytes(data)
        _run_fails(capsys, ["import", "bin", str(pack), "--out", str(out)], out, str(pack), message)
    assert not (tmp_path / "marker").exists()


def test_safe_load_never_runs_code(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"x": [1, 2.5, None, b"y", _Evil(marker)]}))
    with pytest.raises(SynfaceError, match="refusing global posix.system"):
        safe_load(path)
    assert not marker.exists()
    path.write_bytes(pickle.dumps({"a": (1, 2.5, None, "s", b"b", [True])}, protocol=2))
    assert safe_load(path) == {"a": (1, 2.5, None, "s", b"b", [True])}
    path.write_bytes(b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00xX\x05\x00\x00\x00rot13\x86R.")
    with pytest.raises(SynfaceError, match="only allowed as str -> latin-1"):
        safe_load(path)  # the one answered global does nothing but latin-1
    path.write_bytes(pickle.dumps(np.array([True, False])))
    with pytest.raises(SynfaceError, match="numpy objects are not supported"):
        load_verification_pack(path)


# ---------------------------------------------------------------- image folders (CASIA-WebFace style)


def test_imagefolder_round_trip(tmp_path, capsys):
    rng = np.random.default_rng(4)
    root = tmp_path / "casia"
    made = {}
    for folder, count in (("0000102", 2), ("0000045", 3), ("0001000", 1)):
        for j in range(count):
            image = random_image(rng)
            name = f"{folder}/{j:03d}.{'png' if j % 2 else 'jpg'}"
            save_image(root / name, image)
            made[name] = image
    (root / "0000045" / "notes.txt").write_text("not an image")
    (root / "list.txt").write_text("top-level files are ignored")
    counts = _run_ok(capsys, ["import", "imagefolder", str(root), "--out", str(tmp_path / "ds")])
    assert counts == {"identities": 3, "images": 6, "pairs": 0}
    ds = Dataset.open(tmp_path / "ds")
    assert ds.attrs["identity_names"] == ["0000045", "0000102", "0001000"]
    assert list(ds.meta["name"]) == [
        "0000045/000.jpg",
        "0000045/001.png",
        "0000045/002.jpg",
        "0000102/000.jpg",
        "0000102/001.png",
        "0001000/000.jpg",
    ]
    assert list(ds.meta["identity"]) == [0, 0, 0, 1, 1, 2] and list(ds.meta["image"]) == [0, 1, 2, 0, 1, 0]
    assert ds.pairs is None
    for row, name in enumerate(ds.meta["name"]):
        np.testing.assert_array_equal(ds.images([row])[0], read_image(root / name))
    np.testing.assert_array_equal(ds.images([1])[0], made["0000045/001.png"])  # PNG is lossless


def test_imagefolder_sizes_and_alignment(tmp_path, capsys):
    rng = np.random.default_rng(5)
    root = tmp_path / "casia"
    centre = [random_image(rng) for _ in range(2)]
    for i, image in enumerate(centre):  # 112x136: a 112x96 face with 20 px borders either side
        save_image(
            root / f"id{i}" / "a.png",
            np.concatenate([random_image(rng, 112, 20), image, random_image(rng, 112, 20)], axis=1),
        )
    save_image(root / "id1" / "b.png", random_image(rng, 100, 100))
    out = tmp_path / "ds"
    _run_fails(
        capsys,
        ["import", "imagefolder", str(root), "--out", str(out), "--size", "auto"],
        out,
        str(root / "id1" / "b.png"),
        "100x100",
    )
    (root / "id1" / "b.png").unlink()
    _run_ok(capsys, ["import", "imagefolder", str(root), "--out", str(out), "--align", "center-crop"])
    np.testing.assert_array_equal(Dataset.open(out).images(), np.stack(centre))


def _with_exif_orientation(image: Image.Image, orientation: int) -> Image.Image:
    exif = Image.Exif()
    exif[0x0112] = orientation  # the EXIF Orientation tag
    image.info["exif"] = exif.tobytes()
    return image


_GREY = np.arange(112 * 96).reshape(112, 96) % 256
_RGB = np.random.default_rng(8).integers(0, 256, (96, 112, 3), dtype=np.uint8)
# (id, the file as saved, the RGB a viewer shows)
DECODED = [
    ("16-bit-grey", Image.fromarray((_GREY * 257).astype(np.uint16)), np.repeat(_GREY[..., None], 3, 2)),
    ("float-grey", Image.fromarray((_GREY / 255).astype(np.float32)), np.repeat(_GREY[..., None], 3, 2)),
    (
        "grey-with-alpha",
        Image.fromarray(_GREY.astype(np.uint8)).convert("LA"),
        np.repeat(_GREY[..., None], 3, 2),
    ),
    (
        "palette",
        Image.fromarray(_GREY.astype(np.uint8)).convert("P"),
        np.repeat(_GREY[..., None], 3, 2),
    ),
    ("exif-rotated-portrait", _with_exif_orientation(Image.fromarray(_RGB), 6), np.rot90(_RGB, -1)),
]


@pytest.mark.parametrize("image, shown", [c[1:] for c in DECODED], ids=[c[0] for c in DECODED])
def test_images_are_stored_as_a_viewer_shows_them(tmp_path, image, shown):
    path = tmp_path / "a.tiff"  # TIFF holds every mode above; PNG and JPEG go through the same decoding
    image.save(path, exif=image.info.get("exif", b""))
    np.testing.assert_array_equal(read_image(path), shown)


def test_a_16_bit_png_imports_scaled_not_white(tmp_path, capsys):
    for name in ("a", "b"):
        (tmp_path / "src" / name).mkdir(parents=True)
        Image.fromarray((_GREY * 257).astype(np.uint16)).save(tmp_path / "src" / name / "1.png")
    _run_ok(capsys, ["import", "imagefolder", str(tmp_path / "src"), "--out", str(tmp_path / "ds")])
    np.testing.assert_array_equal(Dataset.open(tmp_path / "ds").images()[0], np.repeat(_GREY[..., None], 3, 2))


def test_a_float_image_beyond_its_range_is_refused(tmp_path):
    Image.fromarray(np.full((4, 4), 2.5, np.float32)).save(tmp_path / "hdr.tiff")
    with pytest.raises(SynfaceError, match=r"hdr\.tiff: F image has values outside 0\.\.1$"):
        read_image(tmp_path / "hdr.tiff")


def test_imagefolder_bad_inputs(tmp_path, capsys):
    root = tmp_path / "casia"
    out = tmp_path / "ds"
    (root / "empty").mkdir(parents=True)
    _run_fails(capsys, ["import", "imagefolder", str(root), "--out", str(out)], out, str(root / "empty"), "no .jpg")
    (root / "empty").rmdir()
    _run_fails(capsys, ["import", "imagefolder", str(root), "--out", str(out)], out, str(root), "no identity folders")
    _run_fails(
        capsys, ["import", "imagefolder", str(tmp_path / "absent"), "--out", str(out)], out, "absent", "not a folder"
    )


# ---------------------------------------------------------------- released SynFace layout


def _synface_name(i: int, j: int, k: int, phi: float) -> str:
    return f"{i:05d}/{j:03}_{i:05}x{phi:.3f}_({k:05})x{1 - phi:.3f}.jpg"


def test_synface_round_trip(tmp_path, capsys):
    rng = np.random.default_rng(6)
    root = tmp_path / "syn"
    labels = [(1, 1, 3, 0.75), (1, 2, 2, 0.0), (2, 1, 1, 0.35), (2, 2, 3, 1.0), (3, 1, 3, 1.0), (3, 2, 1, 0.5)]
    for i, j, k, phi in labels:
        save_image(root / _synface_name(i, j, k, phi), random_image(rng, 56, 48))
    (root / "metadata.csv").write_text("written by synface render; ignored here\n")
    counts = _run_ok(capsys, ["import", "synface", str(root), "--out", str(tmp_path / "ds")])
    assert counts == {"identities": 3, "images": 6, "pairs": 0}
    ds = Dataset.open(tmp_path / "ds")
    assert (ds.height, ds.width) == (56, 48)
    assert list(ds.meta["identity"]) == [0, 0, 1, 1, 2, 2] and list(ds.meta["image"]) == [0, 1] * 3
    assert list(ds.meta["partner"]) == [2, 1, 0, 2, -1, 0]  # k == i (no IM) -> -1
    np.testing.assert_allclose(ds.meta["phi"], [0.75, 0.0, 0.35, 1.0, 1.0, 0.5])
    for row, name in enumerate(ds.meta["name"]):
        np.testing.assert_array_equal(ds.images([row])[0], read_image(root / name))


def test_synface_reads_render_names(tmp_path, capsys):
    """`synface render`'s browsable names (partner -1 written as k = i) come back as rendered."""
    browse = pytest.importorskip("synface.generator.browse")
    labels = [(0, 0, 1, 0.25), (0, 1, -1, 1.0), (1, 0, 0, 0.6), (1, 1, -1, 1.0)]
    for i, j, k, phi in labels:
        name = browse.synface_image_name(i, j, i if k < 0 else k, phi)
        save_image(tmp_path / "syn" / f"{i + 1:05d}" / name, np.zeros((8, 8, 3), np.uint8))
    _run_ok(capsys, ["import", "synface", str(tmp_path / "syn"), "--out", str(tmp_path / "ds")])
    meta = Dataset.open(tmp_path / "ds").meta
    assert list(zip(meta["identity"], meta["image"], meta["partner"], meta["phi"])) == labels


@pytest.mark.parametrize(
    "bad, message",
    [
        ("00001/001_00001x0.750_(00002)x0.250.jpeg", "not a SynFace name"),
        ("00001/001_00001x0.750_00002x0.250.jpg", "not a SynFace name"),
        ("00001/002_00002x0.750_(00002)x0.250.jpg", "names identity 2"),
        ("00001/002_00001x0.750_(00002)x0.350.jpg", "not phi and 1 - phi"),
        ("00001/001_00001x1.500_(00002)x-0.500.jpg", "not a SynFace name"),
        ("00001/002_00001x0.750_(00009)x0.250.jpg", "partner identity 9"),
        ("00001/003_00001x0.750_(00002)x0.250.jpg", "image number 3 where 2"),
        ("00003/001_00003x1.000_(00003)x0.000.jpg", "expected identity folder 00002"),
    ],
)
def test_synface_bad_names(tmp_path, capsys, bad, message):
    rng = np.random.default_rng(7)
    root = tmp_path / "syn"
    for name in (_synface_name(1, 1, 2, 0.5), _synface_name(2, 1, 1, 1.0), bad):
        save_image(root / name, random_image(rng, 8, 8))
    if bad.startswith("00003"):  # folders 1, 3, 4: identity 2 is missing
        (root / "00002").rename(root / "00004")
        bad = "00003"
    out = tmp_path / "ds"
    _run_fails(capsys, ["import", "synface", str(root), "--out", str(out)], out, str(root / bad), message)


# ---------------------------------------------------------------- helpers


@pytest.mark.parametrize("rel", ["../x.jpg", "a/../../x.jpg", "/etc/passwd", "..\\x.jpg", "C:\\x.jpg", "", "a\0b"])
def test_safe_join_refuses_escapes(tmp_path, rel):
    with pytest.raises(SynfaceError, match="escapes"):
        safe_join(tmp_path, rel)


def test_safe_join_keeps_names_inside(tmp_path):
    assert safe_join(tmp_path, "Ann/Ann_0001.jpg") == tmp_path / "Ann" / "Ann_0001.jpg"
    assert safe_join(tmp_path, "a/./b..jpg") == tmp_path / "a" / "b..jpg"


def test_alignment_modes():
    image = np.arange(112 * 112 * 3, dtype=np.uint32).reshape(112, 112, 3).astype(np.uint8)
    np.testing.assert_array_equal(Alignment("arcface112").apply(image, "x"), image[:, 8:104])
    assert Alignment("resize", (56, 48)).apply(image, "x").shape == (56, 48, 3)
    assert Alignment(size=None).resolved(image, "first.png").size == (112, 112)
    with pytest.raises(SynfaceError, match="x: image is 112x112, expected 112x96"):
        Alignment().apply(image, "x")
    with pytest.raises(SynfaceError, match="unknown alignment"):
        Alignment("dlib")
