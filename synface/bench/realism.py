"""Realism: do face models trained on real photographs take the rendered faces for faces?

dlib's HOG frontal face detector and its ResNet face recogniser never saw this generator, so
they judge the 112x96 aligned crops independently (issue 10):

- detection rate: the fraction of crops in which HOG, upsampled once (2x), finds a face; also
  among the near-frontal crops (|yaw| <= FRONTAL_DEG), which separates how face-like the
  faces are from how many of them the pose priors turn beyond a frontal detector's range,
  among the near-frontal ones nothing occludes (real photos: no sunglasses, hat or hand), and
  per band of |yaw| (YAW_BANDS), which shows how far round a face still reads as one;
- identity AUC: ROC AUC of same- vs different-identity pairs over all pairs of crops,
  scored by the negative distance of the recogniser's 128-d descriptors;
- ci95: 95 % intervals of both, from a bootstrap over identities (a dozen people give a
  detection rate good to a few points only);
- mixup ρ: for each identity, the Spearman ρ between φ and the descriptor distance to
  its φ = 1 image along an identity-mixup sweep (every φ of the IM grid towards one IM
  partner, all other factors fixed), averaged over identities. Negative: the face drifts
  away from the identity as φ falls, as identity mixup's soft labels assume. Synthetic
  only: real photos have no φ.

The synthetic set is `synface render --no-im --factor all`'s (`--factor MODE`: that mode's); the
real one is stand-in CASIA-WebFace photos (`synface.realdomain`). dlib serves this benchmark
only, never the pipeline.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import operator
import time
import warnings

import numpy as np

from synface.errors import SynfaceError
from synface.generator import lam
from synface.generator.render import render_faces
from synface.generator.sampling import PHI_GRID, GenerationSettings, identity_lambdas, mix_identities, mixup_labels
from synface.generator.synthesize import IMAGE_SIZE, render_identities
from synface.io.atomic import atomic_path
from synface.protocol import roc_auc
from synface.realdomain.appearance import Accessories
from synface.realdomain.casia import real_train_settings, render_keys

# metric -> (comparison, bound): the goals for both domains
GOALS: dict[str, tuple[str, float]] = {
    "detection_rate": (">=", 0.95),
    "identity_auc": (">=", 0.90),
    "mixup_rho": ("<=", -0.5),
}
_COMPARE = {">=": operator.ge, "<=": operator.le}
INSTALL = (
    "bench realism needs dlib-bin and face-recognition-models (which needs setuptools<81), pinned in "
    "requirements.lock: run `make setup`, or pip install dlib-bin face-recognition-models 'setuptools<81'"
)
UPSAMPLE = 1  # one 2x step up: the crop's face is barely larger than HOG's 80 px window
FRONTAL_DEG = 20.0
YAW_BANDS = (0.0, 10.0, 20.0, 30.0, 45.0, 90.0)  # |yaw| band edges (degrees) of detection_by_yaw
BOOTSTRAP_RESAMPLES = 1000  # of identities, for the 95 % intervals (ci95) of detection rate and AUC


class Judge:
    """dlib's detector, 5-point shape predictor and recogniser, loaded once."""

    def __init__(self) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # face_recognition_models imports deprecated pkg_resources
                import dlib
                import face_recognition_models as models
        except ImportError as err:
            raise SynfaceError(INSTALL) from err
        self._rectangle = dlib.rectangle
        self._detector = dlib.get_frontal_face_detector()
        self._landmarks = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
        self._recogniser = dlib.face_recognition_model_v1(models.face_recognition_model_location())

    def __call__(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per crop (n, h, w, 3 uint8 RGB): whether a face was found, and the 128-d descriptor.

        The descriptor is of the best detection, or of the whole crop where none was found, so
        that identity is judged on every image, not only on those the detector accepts.
        """
        found = np.zeros(len(images), bool)
        descriptors = np.empty((len(images), 128))
        whole = self._rectangle(0, 0, images.shape[2] - 1, images.shape[1] - 1)
        for n, image in enumerate(images):
            image = np.ascontiguousarray(image)
            boxes, scores, _ = self._detector.run(image, UPSAMPLE)
            found[n] = len(boxes) > 0
            box = boxes[int(np.argmax(scores))] if found[n] else whole
            descriptors[n] = self._recogniser.compute_face_descriptor(image, self._landmarks(image, box))
        return found, descriptors


@dataclasses.dataclass(frozen=True)
class FaceSets:
    """What the benchmark judges: ids x per_id crops, and (synthetic) one mixup sweep per identity."""

    images: np.ndarray  # (n, 112, 96, 3) uint8
    identities: np.ndarray  # (n,)
    yaw_deg: np.ndarray  # (n,) head yaw of each crop
    occluded: np.ndarray  # (n,) bool: an occluder covers part of the face (real photos only)
    sweeps: np.ndarray | None  # (ids, len(PHI_GRID), 112, 96, 3) uint8, φ ascending; None: no φ (real)


def mixup_sweep(settings: GenerationSettings, identity: int) -> np.ndarray:
    """λ (len(PHI_GRID), 286): `identity` mixed with its first IM partner at each φ of the grid, all else fixed."""
    one = dataclasses.replace(settings, per_id=1)
    partner = mixup_labels(dataclasses.replace(one, identity_mixup=True), identity)[0][0]
    sweep = np.repeat(identity_lambdas(one, identity)[0], len(PHI_GRID), axis=0)
    sweep[:, lam.IDENTITY] = mix_identities(settings, identity, np.full(len(PHI_GRID), partner), PHI_GRID)
    return sweep


def render_sets(domain: str, n_ids: int, per_id: int, seed: int, factor: str = "all") -> FaceSets:
    """The crops of identities 0..n_ids-1, images 0..per_id-1 of `domain`, plus the synthetic mixup sweeps.

    `factor`: the synthetic factor mode (which factors vary per image); real photos vary all.
    """
    if domain == "real":
        keys = [(i, j) for i in range(n_ids) for j in range(per_id)]
        images, meta = render_keys(real_train_settings(seed), keys)
        worn = meta[["glasses", "sunglasses", "hat", "hand"]].astype(bool).to_dict("records")
        occluded = np.array([Accessories(**row).occluded for row in worn], bool)  # Accessories says what occludes
        return FaceSets(images, meta["identity"].to_numpy(), meta["yaw_deg"].to_numpy(), occluded, None)
    settings = GenerationSettings(n_ids, per_id, identity_mixup=False, factor=factor, seed=seed)
    images, meta = render_identities(settings, range(n_ids))
    yaw = np.rad2deg(
        np.concatenate([identity_lambdas(settings, i)[0][:, lam.POSE.start + lam.YAW] for i in range(n_ids)])
    )
    sweeps = render_faces(np.concatenate([mixup_sweep(settings, i) for i in range(n_ids)]), size=IMAGE_SIZE).images
    sweeps = sweeps.reshape(n_ids, len(PHI_GRID), *sweeps.shape[1:])
    return FaceSets(images, meta["identity"].to_numpy(), yaw, np.zeros(len(images), bool), sweeps)


def _pairs(descriptors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair (a < b) of descriptors (n, d) and its score, −Euclidean distance."""
    a, b = np.triu_indices(len(descriptors), k=1)
    return a, b, -np.linalg.norm(descriptors[a] - descriptors[b], axis=1)


def identity_auc(descriptors: np.ndarray, identities: np.ndarray) -> float:
    """ROC AUC of all pairs of descriptors (n, d): same identity vs not, scored by −Euclidean distance."""
    a, b, scores = _pairs(descriptors)
    return roc_auc(scores, identities[a] == identities[b])


def weighted_auc(scores: np.ndarray, same: np.ndarray, weights: np.ndarray) -> float:
    """ROC AUC with a weight per pair (ties between scores not split: for continuous scores)."""
    order = np.argsort(scores, kind="stable")
    w, genuine = weights[order], same[order]
    impostor = np.where(genuine, 0.0, w)
    below = np.cumsum(impostor) - impostor  # impostor weight scored below each pair
    return float(w[genuine] @ below[genuine] / (w[genuine].sum() * impostor.sum()))


def identity_bootstrap(
    found: np.ndarray, descriptors: np.ndarray, identities: np.ndarray, resamples: int = BOOTSTRAP_RESAMPLES
) -> dict[str, list[float]]:
    """95 % percentile intervals of the detection rate and identity AUC, resampling whole identities:
    one person's crops share a face, so they are not independent draws. A person drawn k times
    weighs k in the rate and in their genuine pairs, and k·k' in impostor pairs with one drawn k'."""
    _, person = np.unique(identities, return_inverse=True)
    n = int(person.max()) + 1
    a, b, scores = _pairs(descriptors)
    same = person[a] == person[b]
    rng = np.random.default_rng(0)
    rates, aucs = [], []
    for _ in range(resamples):
        count = np.bincount(rng.integers(n, size=n), minlength=n).astype(float)
        rates.append(count[person] @ found / count[person].sum())
        weights = np.where(same, count[person[a]], count[person[a]] * count[person[b]])
        if (weights * ~same).sum() > 0:  # at least two distinct people drawn
            aucs.append(weighted_auc(scores, same, weights))
    return {
        name: np.percentile(v, [2.5, 97.5]).round(4).tolist()
        for name, v in (("detection_rate", rates), ("identity_auc", aucs))
    }


def mixup_rho(sweeps: np.ndarray, phi: np.ndarray) -> float:
    """Mean over identities of Spearman ρ(φ, distance to the φ = 1 descriptor); sweeps (ids, len(phi), d)."""
    from scipy.stats import spearmanr  # scipy.stats is slow to import: only when needed

    distance = np.linalg.norm(sweeps - sweeps[:, [int(np.argmax(phi))]], axis=-1)
    return float(np.mean([spearmanr(phi, d).statistic for d in distance]))


def _rate(found: np.ndarray, among: np.ndarray) -> float | None:
    return float(np.mean(found[among])) if among.any() else None


def realism_metrics(
    found: np.ndarray,
    descriptors: np.ndarray,
    identities: np.ndarray,
    yaw_deg: np.ndarray,
    occluded: np.ndarray,
    sweeps: np.ndarray | None,
) -> dict[str, float | None]:
    """The numbers from the judge's outputs; sweeps: (ids, len(PHI_GRID), d) descriptors or None."""
    frontal = np.abs(yaw_deg) <= FRONTAL_DEG
    return {
        "detection_rate": float(np.mean(found)),
        "detection_rate_frontal": _rate(found, frontal),
        "detection_rate_frontal_clear": _rate(found, frontal & ~occluded),
        "frontal_share": float(np.mean(frontal)),
        "detection_by_yaw": detection_by_yaw(found, yaw_deg),
        "identity_auc": identity_auc(descriptors, identities),
        "mixup_rho": None if sweeps is None else mixup_rho(sweeps, PHI_GRID),
    }


def detection_by_yaw(found: np.ndarray, yaw_deg: np.ndarray) -> dict[str, dict[str, float | int]]:
    """Detection rate and crop count per |yaw| band 'lo-hi' (lo inclusive; bands without crops left out)."""
    band = np.digitize(np.abs(yaw_deg), YAW_BANDS[1:-1])
    return {
        f"{YAW_BANDS[b]:g}-{YAW_BANDS[b + 1]:g}": {
            "rate": float(np.mean(found[band == b])),
            "crops": int(np.sum(band == b)),
        }
        for b in range(len(YAW_BANDS) - 1)
        if np.any(band == b)
    }


def measure(sets: FaceSets, judge: Judge) -> dict:
    """`realism_metrics` of the crops and sweeps of `sets` as `judge` sees them, with their ci95."""
    found, descriptors = judge(sets.images)
    sweeps = None
    if sets.sweeps is not None:
        sweeps = judge(sets.sweeps.reshape(-1, *sets.sweeps.shape[2:]))[1].reshape(*sets.sweeps.shape[:2], -1)
    metrics = realism_metrics(found, descriptors, sets.identities, sets.yaw_deg, sets.occluded, sweeps)
    return metrics | {"ci95": identity_bootstrap(found, descriptors, sets.identities)}


def goals_met(metrics: dict[str, float | None]) -> dict[str, bool | None]:
    """Whether each metric meets its goal (None where the metric does not apply)."""
    return {
        name: None if metrics[name] is None else bool(_COMPARE[op](metrics[name], bound))
        for name, (op, bound) in GOALS.items()
    }


def picture_sheet(sets: FaceSets, per_id: int) -> np.ndarray:
    """The crops as one image: a row per identity, its images left to right."""
    n, h, w, _ = sets.images.shape
    rows = n // per_id
    return sets.images.reshape(rows, per_id, h, w, 3).transpose(0, 2, 1, 3, 4).reshape(rows * h, per_id * w, 3)


def run(args: argparse.Namespace) -> int:
    if args.ids < 2 or args.per_id < 2:
        raise SynfaceError(
            f"bench realism needs >= 2 identities of >= 2 images (same- and different-identity pairs), "
            f"got ids={args.ids} per_id={args.per_id}"
        )
    judge = Judge()  # first, so that a missing dlib fails before any rendering
    factor = "all" if args.factor is None else args.factor
    start = time.perf_counter()
    sets = render_sets(args.domain, args.ids, args.per_id, args.seed, factor)
    metrics = measure(sets, judge)
    seconds = time.perf_counter() - start
    if args.sheet is not None:
        from PIL import Image

        with atomic_path(args.sheet) as tmp:
            Image.fromarray(picture_sheet(sets, args.per_id)).save(tmp, format="PNG")
    goals = {name: f"{op} {bound}" for name, (op, bound) in GOALS.items()}
    print(
        json.dumps(
            {
                "benchmark": "realism",
                "domain": args.domain,
                "ids": args.ids,
                "per_id": args.per_id,
                "seed": args.seed,
                "factor": factor,
                **metrics,
                "goals": goals,
                "met": goals_met(metrics),
                "seconds": round(seconds, 1),
            }
        )
    )
    return 0
