"""`synface align IN_DIR --out DS`: raw photos, one sub-folder per identity -> aligned faces, as the paper did.

MTCNN finds each photo's face (the largest, most central one) and its five landmarks; a similarity
warp puts them onto the template: SphereFace's 112x96 (the paper's) or insightface's 112x112 ArcFace.
The dataset is written as `synface import imagefolder` writes it. On success one JSON line:
{"identities": ..., "images": ..., "no_face": ..., "pairs": 0}.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synface.align.template import TEMPLATES
from synface.cli.args import files
from synface.cli.importers import add_no_face_argument, report
from synface.data.imagefiles import Alignment
from synface.data.importers import import_imagefolder


def _align(args: argparse.Namespace) -> int:
    template = TEMPLATES[args.template]
    align = Alignment("mtcnn", template.size, template=template.name, no_face=args.no_face)
    return report(import_imagefolder(args.dir, args.out, align))


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("align", help="align raw face photos (MTCNN + similarity warp)", description=__doc__)
    p.add_argument("dir", type=Path, help="folder of identity folders of photos")
    p.add_argument("--out", type=Path, required=True, help="output dataset folder")
    p.add_argument(
        "--template",
        choices=list(TEMPLATES),
        default="sphereface",
        help="sphereface: 112x96, the paper's; arcface: 112x112, insightface's (default sphereface)",
    )
    add_no_face_argument(p)
    files(p, reads=("DIR",))
    p.set_defaults(func=_align)
