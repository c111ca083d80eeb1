"""The paper's names: its tables, test sets and splits, and the grammar of its training-set names.

    Real              all of the (stand-in) CASIA-WebFace
    Real_1K_10        its first 1K identities x first 10 images (Real_N_S)
    Syn_10K_50        synthetic, no identity mixup, every factor drawn per image
    Syn_10K_50_IM     ... with identity mixup
    Syn_5K_50_pose    only pose drawn per image (attribute analysis); `_IM` may follow
    Mix_1K_10         the config's DM synthetic set + Real_1K_10 by domain mixup

Identity counts are the paper's, divided by `scale.identity_divisor` (images per identity
unchanged), so every row keeps its paper name. Subsets of one (factor, IM) setting are views of
one generated base set holding the largest width and depth asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from synface.errors import SynfaceError

TABLES = ("cross_domain", "width_depth", "domain_mixup", "attributes")  # the schema's
TEST_SETS = ("lfw", "syn_lfw")
# Further benchmarks (the schema's), paper world: insightface verification packs imported from
# `imports.benchmarks` (CFP-FP 7,000 pairs; AgeDB-30, CALFW and CPLFW 6,000 each; 10 folds).
BENCHMARKS = ("cfp_fp", "agedb_30", "calfw", "cplfw")
SPLITS = ("test", "dev")  # generated evaluation sets: the test sets, and the dev split to choose settings on
CHOSEN, DOUBLED = "chosen", "chosen_x2"  # tuning: the `training` section, and it at twice its length
# The official release names end in the LFW accuracy the file claims: _9197.pth.tar (91.97 %) or
# model_best_..._0.9765.pth.tar (97.65 %).
_CLAIMED_LFW = re.compile(r"_(?:0\.(\d{4})|(\d{4}))\.pth(?:\.tar)?$")
_COUNT = r"(\d+(?:\.\d+)?K?)"
_SYN = re.compile(rf"^Syn_{_COUNT}_(\d+)(?:_(none|expression|illumination|pose))?(_IM)?$")
_REAL = re.compile(rf"^Real(?:_{_COUNT}_(\d+))?$")
_MIX = re.compile(rf"^Mix_{_COUNT}_(\d+)$")


def paper_count(text: str) -> int:
    """'10K' -> 10000, '2' -> 2."""
    return round(float(text[:-1]) * 1000) if text.endswith("K") else int(text)


def scaled(paper_ids: int, divisor: float, what: str) -> int:
    """A paper identity count divided by `scale.identity_divisor`; `what` names it in the error."""
    n = round(paper_ids / divisor)
    if n < 2:  # a classifier needs two classes
        raise SynfaceError(f"{what}: {paper_ids} identities / scale.identity_divisor {divisor:g} = {n}, fewer than 2")
    return n


@dataclass(frozen=True)
class BaseSet:
    """A generated synthetic set; the paper's Syn_N_S of the same setting are views of it."""

    factor: str
    identity_mixup: bool
    n_ids: int
    per_id: int

    @property
    def name(self) -> str:
        return f"{self.factor}_{'im' if self.identity_mixup else 'noim'}"


@dataclass(frozen=True)
class TrainingSet:
    """One training set of the paper: synthetic, real, or both under domain mixup."""

    name: str
    kind: str  # "Syn", "Real" or "Mix" (the name's first part)
    width: int | None  # the paper's identity count N of Syn_N_S, Real_N_S, Mix_N_S (unscaled); None: all real data
    depth: int | None  # the paper's images per identity S
    syn_setting: tuple[str, bool] | None  # (factor, identity_mixup) of the base set
    syn_subset: tuple[int, int] | None  # scaled (N, S)
    real_subset: tuple[int, int] | None  # scaled (N, S); None with uses_real = all real data
    uses_real: bool

    @property
    def identity_mixup(self) -> bool:
        """The synthetic part was generated with IM (Syn_..._IM, and Mix_ with an IM set)."""
        return self.syn_setting is not None and self.syn_setting[1]

    @property
    def factor(self) -> str | None:
        """What varies within a synthetic identity ("all", "none", "pose", ...); None for real data."""
        return None if self.syn_setting is None else self.syn_setting[0]


def parse_training_set(name: str, divisor: float, mix_synthetic: str) -> TrainingSet:
    """The training set a paper name denotes, its identity counts divided by `divisor`; a Mix_N_S
    mixes `mix_synthetic` (config `domain_mixup.synthetic`) with Real_N_S."""

    def subset(n: str, s: str) -> tuple[int, int]:
        if int(s) < 1:
            raise SynfaceError(f"experiments: training set {name!r} has {s} images per identity")
        return scaled(paper_count(n), divisor, name), int(s)

    if m := _SYN.match(name):
        n, s, factor, im = m.groups()
        setting = (factor or "all", im is not None)
        return TrainingSet(name, "Syn", paper_count(n), int(s), setting, subset(n, s), None, False)
    if m := _REAL.match(name):
        n, s = m.groups()
        width, depth = (paper_count(n), int(s)) if n else (None, None)
        return TrainingSet(name, "Real", width, depth, None, None, subset(n, s) if n else None, True)
    if m := _MIX.match(name):
        syn = parse_training_set(mix_synthetic, divisor, mix_synthetic)
        if syn.uses_real or syn.syn_setting is None:
            raise SynfaceError(f"domain_mixup.synthetic: {mix_synthetic!r} is not a synthetic set")
        real = subset(m[1], m[2])
        return TrainingSet(name, "Mix", paper_count(m[1]), int(m[2]), syn.syn_setting, syn.syn_subset, real, True)
    raise SynfaceError(
        f"experiments: cannot parse training set name {name!r} (e.g. Syn_10K_50_IM, Real_1K_10, Mix_1K_10)"
    )


def pose_test_set(k: float) -> str:
    """The stand-in LFW with its pose spread scaled by k: "lfw" itself at 1, else "lfw_pose0.5" etc."""
    return "lfw" if k == 1 else f"lfw_pose{k:g}"


def claimed_lfw(path: str) -> float | None:
    """The LFW accuracy (%) an official release name states, e.g. model_10k_50_idmix_9197.pth.tar -> 91.97."""
    m = _CLAIMED_LFW.search(Path(path).name)
    return None if m is None else int(m[1] or m[2]) / 100
