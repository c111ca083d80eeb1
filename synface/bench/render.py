"""Render throughput: aligned 112x96 faces written to dataset storage, images per minute.

Renders a fresh synthetic set (identity mixup, every factor drawn per image) into a
temporary folder after one warm-up batch that triggers numba's compilation.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import numba

from synface.generator.sampling import GenerationSettings
from synface.generator.synthesize import generate


def run(args: argparse.Namespace) -> int:
    numba.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="synface-bench-") as tmp:
        generate(GenerationSettings(8, 2, seed=1), f"{tmp}/warmup", progress=False)
        settings = GenerationSettings(args.ids, args.per_id, seed=0)
        start = time.perf_counter()
        generate(settings, f"{tmp}/set", progress=False)
        seconds = time.perf_counter() - start
    images = args.ids * args.per_id
    print(
        json.dumps(
            {
                "benchmark": "render",
                "images": images,
                "seconds": round(seconds, 3),
                "images_per_min": round(images / seconds * 60),
                "threads": args.threads,
            }
        )
    )
    return 0
