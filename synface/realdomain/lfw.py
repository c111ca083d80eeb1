"""Stand-in LFW and Syn-LFW, written in the real LFW layout with an official-format pairs.txt.

Layout (as the LFW download unpacks): `OUT/lfw/Name/Name_0001.jpg` and `OUT/pairs.txt`
(View 2: header `folds<TAB>pairs_per_fold`, then per fold its matched lines `name n1 n2` and
its mismatched lines `name1 n1 name2 n2`). Folds are identity-disjoint, as in LFW. Only the
images the pairs reference are rendered. The faces are already aligned 112x96 crops, so the
folder imports with `import_lfw(OUT/lfw, OUT/pairs.txt, out, Alignment("none"))`.

Both sets share one protocol (people, image counts, pairs) for a given seed and size:
stand-in LFW renders it in the stand-in real domain, Syn-LFW with the synthetic generator
(its priors, no domain effects) from identity streams no synthetic training set uses.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from synface.data.imagefiles import safe_join, write_image
from synface.data.pairs import Pair, PairsFile, image_relpath, write_pairs
from synface.errors import SynfaceError
from synface.generator import lam as L
from synface.generator.priors import Priors
from synface.generator.render import render_faces
from synface.io.atomic import new_folder, write_text
from synface.io.progress import progress_bar
from synface.realdomain import identities as ids
from synface.realdomain.photos import render_photos
from synface.realdomain.priors import RealPriors

LFW_PEOPLE = 5749  # LFW: 5,749 people, 1,680 of them with two or more of its 13,233 images
P_SINGLE = 1 - 1680 / LFW_PEOPLE
MAX_IMAGES = 530  # LFW's most photographed person
FILE_QUALITY = 95  # the crops are stored as high-quality JPEG, like aligned LFW releases
BATCH_IMAGES = 256


def person_name(index: int) -> str:
    """An LFW-style folder name (no spaces or slashes): Person_0001, Person_0002, ..."""
    return f"Person_{index + 1:04d}"


def lfw_protocol(n_people: int = LFW_PEOPLE, *, folds: int = 10, pairs_per_fold: int = 300, seed: int = 0) -> PairsFile:
    """The View 2 pairs of a stand-in LFW of `n_people`: person p is in fold p mod `folds`."""
    if folds < 1 or pairs_per_fold < 1:
        raise SynfaceError(f"LFW protocol needs positive folds and pairs per fold, got {folds} x {pairs_per_fold}")
    if n_people < 2 * folds:
        raise SynfaceError(f"{n_people} people cannot fill {folds} identity-disjoint folds (need >= {2 * folds})")
    settings = ids.RealDomainSettings(seed=seed, dataset="lfw")
    counts = np.array([_image_count(settings, p) for p in range(n_people)])
    pairs: list[Pair] = []
    for fold in range(folds):
        people = np.arange(fold, n_people, folds)
        rng = ids.stream_rng(settings, ids.S_PAIRS, fold)
        pairs += _matched(rng, people, counts, pairs_per_fold, fold)
        pairs += _mismatched(rng, people, counts, pairs_per_fold, fold)
    return PairsFile(folds, pairs_per_fold, pairs)


def _image_count(settings: ids.RealDomainSettings, person: int) -> int:
    rng = ids.stream_rng(settings, ids.S_COUNT, person)
    return 1 if rng.random() < P_SINGLE else int(min(1 + rng.zipf(2.0), MAX_IMAGES))  # heavy tail like LFW's


def _matched(rng: np.random.Generator, people: np.ndarray, counts: np.ndarray, n: int, fold: int) -> list[Pair]:
    multi = people[counts[people] >= 2]
    available = int(sum(counts[p] * (counts[p] - 1) // 2 for p in multi))
    if available < n:
        raise SynfaceError(
            f"fold {fold + 1}: its people allow {available} distinct matched pairs, {n} needed (add people)"
        )
    chosen: set[tuple[int, int, int]] = set()
    while len(chosen) < n:  # a person uniformly, then two distinct images
        p = int(multi[rng.integers(len(multi))])
        a, b = sorted(int(x) for x in rng.choice(counts[p], 2, replace=False) + 1)
        chosen.add((p, a, b))
    return [Pair(person_name(p), a, person_name(p), b, True, fold) for p, a, b in sorted(chosen)]


def _mismatched(rng: np.random.Generator, people: np.ndarray, counts: np.ndarray, n: int, fold: int) -> list[Pair]:
    if len(people) * (len(people) - 1) // 2 < n:
        raise SynfaceError(f"fold {fold + 1}: {len(people)} people allow fewer than {n} mismatched pairs (add people)")
    chosen: set[tuple[int, int, int, int]] = set()
    while len(chosen) < n:
        p, q = sorted(int(x) for x in rng.choice(people, 2, replace=False))
        chosen.add((p, int(rng.integers(counts[p])) + 1, q, int(rng.integers(counts[q])) + 1))
    return [Pair(person_name(p), a, person_name(q), b, False, fold) for p, a, q, b in sorted(chosen)]


def _keys(protocol: PairsFile) -> list[tuple[int, int]]:
    """(person index, 0-based image) of every image the pairs reference, sorted."""
    return [(int(name.split("_")[1]) - 1, n - 1) for name, n in protocol.images()]


def _write_lfw(
    out: str | os.PathLike[str],
    protocol: PairsFile,
    render: Callable[[Sequence[tuple[int, int]]], np.ndarray],
    note: str,
    progress: bool,
) -> dict[str, int]:
    keys = _keys(protocol)
    with (
        new_folder(out, overwrite=True) as tmp,
        progress_bar(len(keys), f"render {Path(out).name}", "img", disable=not progress) as bar,
    ):
        for a in range(0, len(keys), BATCH_IMAGES):
            batch = keys[a : a + BATCH_IMAGES]
            for (p, j), image in zip(batch, render(batch), strict=True):
                path = safe_join(tmp / "lfw", image_relpath(person_name(p), j + 1))
                path.parent.mkdir(parents=True, exist_ok=True)
                write_image(path, image, quality=FILE_QUALITY)
            bar.update(len(batch))
        write_pairs(tmp / "pairs.txt", protocol)
        write_text(tmp / "README.txt", note)
    return {"identities": len({p for p, _ in keys}), "images": len(keys), "pairs": len(protocol.pairs)}


def write_standin_lfw(
    out: str | os.PathLike[str],
    n_people: int = LFW_PEOPLE,
    *,
    folds: int = 10,
    pairs_per_fold: int = 300,
    seed: int = 0,
    pose_scale: float = 1.0,
    progress: bool = True,
) -> dict[str, int]:
    """Stand-in LFW: the protocol's images rendered in the stand-in real domain (identities disjoint
    from stand-in CASIA: another dataset stream). Returns counts (identities, images, pairs).
    `pose_scale` (a study's variant): every photo's pose angles times this; the people, images,
    pairs and every other draw stay those of the same seed and protocol (1: the stand-in itself)."""
    protocol = lfw_protocol(n_people, folds=folds, pairs_per_fold=pairs_per_fold, seed=seed)
    settings = ids.RealDomainSettings(seed=seed, dataset="lfw", priors=RealPriors(pose_scale=pose_scale))
    note = (
        "Simulated stand-in for LFW (synface.realdomain): rendered faces with simulated real-photo effects,\n"
        "not photographs. Layout and pairs.txt follow LFW View 2.\n"
    )
    if pose_scale != 1.0:
        note += f"Study variant: every photo's pose angles scaled by {pose_scale:g} (same people, images and pairs).\n"
    return _write_lfw(out, protocol, lambda keys: render_photos(settings, keys).images, note, progress)


def syn_lfw_lambdas(keys: Sequence[tuple[int, int]], seed: int = 0, priors: Priors = Priors()) -> np.ndarray:
    """λ of Syn-LFW images (person, image): the synthetic priors, from Syn-LFW's own streams."""
    settings = ids.RealDomainSettings(seed=seed, dataset="syn-lfw")
    out = np.empty((len(keys), L.LAMBDA_DIM), np.float32)
    for row, (p, j) in enumerate(keys):
        out[row, L.IDENTITY] = priors.identity(ids.stream_rng(settings, ids.S_IDENTITY, p), 1)[0]
        for stream, factor in (
            (ids.S_EXPRESSION, "expression"),
            (ids.S_SCENE, "illumination"),
            (ids.S_POSE, "pose"),
            (ids.S_NOISE, "noise"),
        ):
            out[row, L.FACTOR_SLICES[factor]] = getattr(priors, factor)(ids.stream_rng(settings, stream, p, j), 1)[0]
    return out


def write_syn_lfw(
    out: str | os.PathLike[str],
    n_people: int = LFW_PEOPLE,
    *,
    folds: int = 10,
    pairs_per_fold: int = 300,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, int]:
    """Syn-LFW (Table 1): stand-in LFW's pair structure rendered by the synthetic generator."""
    protocol = lfw_protocol(n_people, folds=folds, pairs_per_fold=pairs_per_fold, seed=seed)
    note = (
        "Syn-LFW: LFW's pair protocol rendered by the embedded synthetic generator (synface.generator),\n"
        "synthetic priors, no real-domain effects.\n"
    )
    return _write_lfw(out, protocol, lambda keys: render_faces(syn_lfw_lambdas(keys, seed)).images, note, progress)
