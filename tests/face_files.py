"""Face data on disk as the standard formats hold it, for tests: image folders, LFW's View 2 pairs.txt,
insightface's verification packs, scikit-image's photos and checkpoints as the official SynFace code saves them."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from synface.data.imagefiles import encode_image
from synface.data.pairs import Pair, PairsFile


def random_image(rng: np.random.Generator, h: int = 112, w: int = 96) -> np.ndarray:
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def save_image(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path, quality=90)


def write_images(root: Path, images: dict[str, np.ndarray]) -> Path:
    """`images` (relative path: pixels) under `root`, each in the format its suffix names."""
    for rel, image in images.items():
        save_image(root / rel, image)
    return root


def pack_images(rng: np.random.Generator, n: int) -> tuple[list[np.ndarray], list[bytes]]:
    """n random 112x112 crops and their encodings as a .bin pack's `bins` holds them (JPEG and PNG in turn)."""
    images = [random_image(rng, 112, 112) for _ in range(n)]
    return images, [encode_image(im, "PNG" if i % 2 else "JPEG") for i, im in enumerate(images)]


def ten_fold_pairs(counts: dict[str, int]) -> PairsFile:
    """The official protocol's 10 folds, one matched and one mismatched pair each, over the images of
    `counts` (name: its images on disk; at least one name with two)."""
    names = list(counts)
    several = [name for name in names if counts[name] >= 2]
    pairs = []
    for fold in range(10):
        same = several[fold % len(several)]
        n = fold % (counts[same] - 1) + 1
        left, right = names[fold % len(names)], names[(fold + 1) % len(names)]
        pairs += [
            Pair(same, n, same, n + 1, True, fold),
            Pair(left, fold % counts[left] + 1, right, fold % counts[right] + 1, False, fold),
        ]
    return PairsFile(10, 1, pairs)


def skimage_file(name: str) -> Path:
    """A file of scikit-image's data folder (its test photographs)."""
    return Path(str(importlib.metadata.distribution("scikit-image").locate_file(f"skimage/data/{name}")))


def photo(name: str, size: int | None = None) -> np.ndarray:
    image = Image.open(skimage_file(name)).convert("RGB")
    return np.asarray(image if size is None else image.resize((size, size), Image.Resampling.BILINEAR))


def astronaut_lfw() -> dict[str, np.ndarray]:
    """Two LFW names of two photos each, all views of scikit-image's astronaut (MTCNN finds her in each)."""
    face = photo("astronaut.png", 256)
    return {
        "Ann/Ann_0001.jpg": face,
        "Ann/Ann_0002.jpg": face[:, ::-1],
        "Bob/Bob_0001.jpg": face[8:, 8:],
        "Bob/Bob_0002.jpg": face[:-8, :-8],
    }


def released_checkpoint(path: Path, state: dict[str, torch.Tensor], wrap: bool = True) -> Path:
    """A checkpoint as the official SynFace train.py saves it: DataParallel keys under `state_dict`,
    beside the epoch, the optimizer state and the LFW accuracy as a numpy float."""
    if wrap:
        state = {
            "epoch": 40,
            "state_dict": {f"module.{k}": v for k, v in state.items()},
            "perf": np.float64(0.9197),
            "optimizer": {"state": {}, "param_groups": [{"lr": 0.001}]},
        }
    torch.save(state, path)
    return path
