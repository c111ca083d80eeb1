"""Render throughput: aligned 112x96 faces written to dataset storage, images per minute.

Renders a fresh synthetic set (identity mixup, every factor drawn per image) into a
temporary folder after one warm-up batch that triggers numba's compilation.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numba

from synface.generator.sampling import GenerationSettings
from synface.generator.synthesize import generate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ids", type=int, default=200, help="identities to render (default 200)")
    parser.add_argument("--per-id", type=int, default=25, help="images per identity (default 25)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="numba threads (default: all cores)")


def run(args: argparse.Namespace) -> int:
    numba.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="synface-bench-") as tmp:
        generate(GenerationSettings(8, 2, seed=1), f"{tmp}/warmup", progress=False)
        settings = GenerationSettings(args.ids, args.per_id, seed=0)
        start = time.perf_counter()
        generate(settings, f"{tmp}/set", progress=False)
        seconds = time.perf_counter() - start
    images = args.ids * args.per_id
    print(json.dumps({"benchmark": "render", "images": images, "seconds": round(seconds, 3),
                      "images_per_min": round(images / seconds * 60), "threads": args.threads}))
    return 0
