"""Feature distributions (paper Fig. 4): a joint 2-D MDS projection and the intra-class spread per set.

Each seed's observer model gives its own projection and spreads; the JSON keeps the first
observer's projected points (the figure) and, per observer, each set's spread and projected
centroid (claim 6 compares them seed by seed, `synface.analysis.claims`).

Embeddings are L2-normalised first, as the LFW protocol compares them by cosine. The spread of a
set is the mean Euclidean distance of its (normalised) embeddings to their identity centroid, over
all its embeddings; the projection is computed jointly over every set, on cosine distances, so all
sets share one pair of axes. MDS is quadratic in the number of points, so each set contributes at
most `max_points` points, taken as whole identities in a seeded random order (clusters stay whole).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.manifold import MDS

from synface.errors import SynfaceError
from synface.io.jsonfile import read_json_object


def normalise(embeddings: np.ndarray) -> np.ndarray:
    x = np.asarray(embeddings, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def spread(embeddings: np.ndarray, identities: np.ndarray) -> float:
    """Mean distance of L2-normalised embeddings to the centroid of their identity."""
    x = normalise(embeddings)
    ids = np.asarray(identities)
    if len(x) != len(ids) or len(x) == 0:
        raise SynfaceError(f"spread: {len(x)} embeddings but {len(ids)} identity labels")
    _, inverse = np.unique(ids, return_inverse=True)
    centroids = np.zeros((inverse.max() + 1, x.shape[1]))
    np.add.at(centroids, inverse, x)
    centroids /= np.bincount(inverse)[:, None]
    return float(np.mean(np.linalg.norm(x - centroids[inverse], axis=1)))


def subsample(identities: np.ndarray, max_points: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of whole identities, in random order, until `max_points` would be exceeded (at least one)."""
    ids = np.asarray(identities)
    chosen: list[np.ndarray] = []
    total = 0
    for identity in rng.permutation(np.unique(ids)):
        members = np.flatnonzero(ids == identity)
        if total and total + len(members) > max_points:
            break
        chosen.append(members[: max_points - total])
        total += len(chosen[-1])
    return np.sort(np.concatenate(chosen))


def feature_distribution(
    embeddings: Mapping[str, np.ndarray],
    identities: Mapping[str, np.ndarray],
    accuracies: Mapping[str, float | None],
    labels: Mapping[str, str],
    seed: int = 0,
    max_points: int = 150,
    model: str = "",
) -> dict[str, Any]:
    """The feature_distribution.json structure: per set its projected points, identities and spread."""
    rng = np.random.default_rng(seed)
    names = list(embeddings)
    picks = {name: subsample(identities[name], max_points, rng) for name in names}
    joint = np.concatenate([normalise(embeddings[name])[picks[name]] for name in names])
    distances = np.clip(1.0 - joint @ joint.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    mds = MDS(n_components=2, metric="precomputed", init="classical_mds", random_state=seed, normalized_stress="auto")
    points = mds.fit_transform(distances)
    sets, start = [], 0
    for name in names:
        n = len(picks[name])
        accuracy = accuracies.get(name)
        sets.append(
            {
                "name": name,
                "label": labels.get(name, name),
                "lfw_accuracy": None if accuracy is None else float(accuracy),
                "points": [[round(float(x), 6), round(float(y), 6)] for x, y in points[start : start + n]],
                "identity": [int(i) for i in np.asarray(identities[name])[picks[name]]],
                "spread": spread(embeddings[name], identities[name]),
            }
        )
        start += n
    return {"sets": sets, "projection": "MDS", "model": model}


def observer_record(result: Mapping[str, Any]) -> dict[str, Any]:
    """What claim 6 needs of one observer's `feature_distribution`: its model, and per set the spread
    and the centroid of the projected points."""
    return {
        "model": result["model"],
        "spread": {s["name"]: s["spread"] for s in result["sets"]},
        "centroid": {s["name"]: np.mean(s["points"], axis=0).round(6).tolist() for s in result["sets"]},
    }


def load_feature_distribution(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check feature_distribution.json; raise naming the file and the bad key."""
    data = read_json_object(path, "feature distribution")
    sets = data.get("sets")
    if not isinstance(sets, list) or not sets:
        raise SynfaceError(f"{path}: needs a non-empty list 'sets'")
    for k, entry in enumerate(sets):
        missing = [key for key in ("name", "label", "lfw_accuracy", "points", "identity", "spread") if key not in entry]
        if missing:
            raise SynfaceError(f"{path}: sets[{k}] lacks key(s) {', '.join(missing)}")
        if not entry["points"] or len(entry["points"]) != len(entry["identity"]):
            raise SynfaceError(
                f"{path}: sets[{k}] ({entry['name']}): {len(entry['points'])} points, "
                f"{len(entry['identity'])} identities"
            )
    observers = data.get("observers")
    if not isinstance(observers, list) or not observers:
        raise SynfaceError(f"{path}: needs a non-empty list 'observers' (one per seed's observer model)")
    names = {entry["name"] for entry in sets}
    for k, observer in enumerate(observers):
        for key in ("spread", "centroid"):
            if not isinstance(observer.get(key), dict) or set(observer[key]) != names:
                raise SynfaceError(f"{path}: observers[{k}].{key} must map every set ({', '.join(sorted(names))})")
    return data
