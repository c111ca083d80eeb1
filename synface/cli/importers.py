"""`synface import {lfw,bin,imagefolder,rec,synface}`: standard formats -> the project's dataset storage.

On success each prints one JSON line to stdout: {"identities": ..., "images": ..., "pairs": ...},
with "no_face" (images MTCNN found no face in, left out) under --align mtcnn.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from synface.cli.args import byte_size, files
from synface.data import importers
from synface.data.imagefiles import ALIGN_MODES, MAX_SIDE, NO_FACE_POLICIES, PAPER_SIZE, Alignment
from synface.data.safe_pickle import MAX_PACK_BYTES
from synface.errors import SynfaceError
from synface.io.textfile import MAX_TEXT_BYTES

_SIZE = re.compile(r"([1-9][0-9]*)x([1-9][0-9]*)")
_PAPER = f"{PAPER_SIZE[0]}x{PAPER_SIZE[1]}"


def _size(text: str) -> tuple[int, int] | None:
    if text == "auto":
        return None
    m = _SIZE.fullmatch(text)
    if m is None:
        raise SynfaceError(f"--size {text!r} is not HEIGHTxWIDTH (e.g. {_PAPER}) or 'auto'")
    if max(int(m[1]), int(m[2])) > MAX_SIDE:
        raise SynfaceError(f"--size {text}: each side must be at most {MAX_SIDE}")
    return int(m[1]), int(m[2])


def _add_alignment(parser: argparse.ArgumentParser, default_size: str, default_align: str = "none") -> None:
    parser.add_argument(
        "--align",
        choices=ALIGN_MODES,
        default=default_align,
        help="none: take images as they are (must be --size); arcface112: 112x112 ArcFace crops -> "
        "columns 8:104; resize: bilinear to --size; center-crop: centred crop of --size's aspect, resized; "
        "mtcnn: raw photos, MTCNN's five landmarks warped onto the SphereFace 112x96 template (the paper's) "
        f"(default {default_align})",
    )
    parser.add_argument(
        "--size",
        type=_size,
        default=default_size,
        help=f"dataset image size HEIGHTxWIDTH, each side at most {MAX_SIDE}, or 'auto' (as the first image; "
        f"--align none only) (default {default_size})",
    )


def _add_follow_symlinks(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="import files reached through symbolic links that lead outside the folder (refused by default)",
    )


def add_no_face_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-face",
        choices=NO_FACE_POLICIES,
        default="skip",
        help="mtcnn: an image without a detected face is left out and counted (skip), or an error (default skip)",
    )


def _alignment(args: argparse.Namespace, no_face: str = "skip") -> Alignment:
    size = args.size if args.size is not None or args.align == "none" else PAPER_SIZE
    return Alignment(args.align, size, no_face=no_face)


def report(counts: importers.Counts) -> int:
    """Print the counts as the one JSON line of a successful import."""
    print(json.dumps(counts, sort_keys=True))
    return 0


def _lfw(args: argparse.Namespace) -> int:
    return report(
        importers.import_lfw(args.images, args.pairs, args.out, _alignment(args), follow_symlinks=args.follow_symlinks)
    )


def _bin(args: argparse.Namespace) -> int:
    if args.size is None:
        raise SynfaceError("synface import bin: --size auto is not meaningful (packs are 112x112 crops)")
    return report(importers.import_bin(args.file, args.out, args.size))


def _imagefolder(args: argparse.Namespace) -> int:
    return report(
        importers.import_imagefolder(
            args.dir, args.out, _alignment(args, args.no_face), follow_symlinks=args.follow_symlinks
        )
    )


def _rec(args: argparse.Namespace) -> int:
    return report(importers.import_rec(args.dir, args.out, _alignment(args)))


def _synface(args: argparse.Namespace) -> int:
    return report(importers.import_synface(args.dir, args.out, _alignment(args), follow_symlinks=args.follow_symlinks))


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("import", help="import a dataset in a standard format", description=__doc__)
    formats = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")

    p = formats.add_parser("lfw", help="LFW image folder + View 2 pairs.txt (only the pairs' images are kept)")
    p.add_argument("--images", type=Path, required=True, help="LFW folder of Name/Name_0001.jpg")
    p.add_argument(
        "--pairs",
        type=Path,
        required=True,
        help=f"pairs.txt (View 2; a regular file, at most {byte_size(MAX_TEXT_BYTES)})",
    )
    p.add_argument("--out", type=Path, required=True, help="output dataset folder")
    _add_alignment(p, _PAPER)
    _add_follow_symlinks(p)
    files(p, reads=("--images", "--pairs"))
    p.set_defaults(func=_lfw)

    p = formats.add_parser("bin", help="insightface verification pack (lfw.bin, cfp_fp.bin, agedb_30.bin, ...)")
    p.add_argument("file", type=Path, help=f"the .bin pack (a regular file, at most {byte_size(MAX_PACK_BYTES)})")
    p.add_argument("--out", type=Path, required=True, help="output dataset folder")
    p.add_argument(
        "--size",
        type=_size,
        default=_PAPER,
        help=f"dataset image size after the 8:104 crop, each side at most {MAX_SIDE} (default {_PAPER})",
    )
    files(p, reads=("FILE",))
    p.set_defaults(func=_bin)

    p = formats.add_parser("imagefolder", help="one sub-folder per identity (CASIA-WebFace style)")
    p.add_argument("dir", type=Path, help="folder of identity folders")
    p.add_argument("--out", type=Path, required=True, help="output dataset folder")
    _add_alignment(p, _PAPER)
    add_no_face_argument(p)
    _add_follow_symlinks(p)
    files(p, reads=("DIR",))
    p.set_defaults(func=_imagefolder)

    p = formats.add_parser(
        "rec", help="insightface's MXNet RecordIO training set (faces_webface_112x112: train.rec, train.idx, property)"
    )
    p.add_argument("dir", type=Path, help="folder holding train.rec, train.idx and property")
    p.add_argument("--out", type=Path, required=True, help="output dataset folder")
    _add_alignment(p, _PAPER, "arcface112")
    files(p, reads=("DIR",))
    p.set_defaults(func=_rec)

    p = formats.add_parser(
        "synface", help="the released SynFace layout DIR/{i:05d}/{j:03}_{i:05}x{phi}_({k:05})x{1-phi}.jpg"
    )
    p.add_argument("dir", type=Path, help="folder of identity folders 00001, 00002, ...")
    p.add_argument("--out", type=Path, required=True, help="output dataset folder")
    _add_alignment(p, "auto")
    _add_follow_symlinks(p)
    files(p, reads=("DIR",))
    p.set_defaults(func=_synface)
