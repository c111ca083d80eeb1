"""The paper's experiment grid, derived once from config: datasets, runs, metrics, rows.

Training sets are named in the paper's vocabulary and parsed here:

    Real              all of the (stand-in) CASIA-WebFace
    Real_1K_10        its first 1K identities x first 10 images (Real_N_S)
    Syn_10K_50        synthetic, no identity mixup, every factor drawn per image
    Syn_10K_50_IM     ... with identity mixup
    Syn_5K_50_pose    only pose drawn per image (attribute analysis); `_IM` may follow
    Mix_1K_10         the config's DM synthetic set + Real_1K_10 by domain mixup

Identity counts are the paper's, divided by `scale.identity_divisor` (images per identity
unchanged), so every row keeps its paper name. Subsets of one (factor, IM) setting are
views of one generated base set holding the largest width and depth asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from synface.errors import SynfaceError

TEST_SETS = ("lfw", "syn_lfw")
_COUNT = r"(\d+(?:\.\d+)?K?)"
_SYN = re.compile(rf"^Syn_{_COUNT}_(\d+)(?:_(none|expression|illumination|pose))?(_IM)?$")
_REAL = re.compile(rf"^Real(?:_{_COUNT}_(\d+))?$")
_MIX = re.compile(rf"^Mix_{_COUNT}_(\d+)$")


def paper_count(text: str) -> int:
    """'10K' -> 10000, '2' -> 2."""
    return round(float(text[:-1]) * 1000) if text.endswith("K") else int(text)


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
    syn_setting: tuple[str, bool] | None  # (factor, identity_mixup) of the base set
    syn_subset: tuple[int, int] | None  # scaled (N, S)
    real_subset: tuple[int, int] | None  # scaled (N, S); None with uses_real = all real data
    uses_real: bool


class Experiments:
    """Everything the DAG needs to know about the experiments in `config`."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.divisor = float(config["scale"]["identity_divisor"])
        self.seeds: list[int] = list(config["seeds"])
        self.tables: dict[str, list[dict[str, Any]]] = config["experiments"]
        self.mix_synthetic: str = config["domain_mixup"]["synthetic"]
        self.training_sets = {name: self.parse(name) for name in self._training_set_names()}
        self.base_sets = self._base_sets()

    def scaled(self, paper_ids: str) -> int:
        return max(2, round(paper_count(paper_ids) / self.divisor))

    def parse(self, name: str) -> TrainingSet:
        if m := _SYN.match(name):
            n, s, factor, im = m.groups()
            return TrainingSet(name, (factor or "all", im is not None), (self.scaled(n), int(s)), None, False)
        if m := _REAL.match(name):
            n, s = m.groups()
            subset = (self.scaled(n), int(s)) if n else None
            return TrainingSet(name, None, None, subset, True)
        if m := _MIX.match(name):
            syn = self.parse(self.mix_synthetic)
            if syn.uses_real or syn.syn_setting is None:
                raise SynfaceError(f"domain_mixup.synthetic: {self.mix_synthetic!r} is not a synthetic set")
            return TrainingSet(name, syn.syn_setting, syn.syn_subset, (self.scaled(m[1]), int(m[2])), True)
        raise SynfaceError(f"experiments: cannot parse training set name {name!r} (e.g. Syn_10K_50_IM, Real_1K_10, Mix_1K_10)")

    def _training_set_names(self) -> list[str]:
        features = self.config["feature_distribution"]
        names: list[str] = [features["observer"], *(s["name"] for s in features["sets"])]
        for table, rows in self.tables.items():
            for row in rows:
                if "train" not in row:
                    raise SynfaceError(f"experiments.{table}: row {row} has no 'train' key")
                if row["train"] not in names:
                    names.append(row["train"])
        return names

    def _base_sets(self) -> dict[str, BaseSet]:
        sizes: dict[tuple[str, bool], tuple[int, int]] = {}
        for ts in self.training_sets.values():
            if ts.syn_setting is not None and ts.syn_subset is not None:
                n, s = sizes.get(ts.syn_setting, (0, 0))
                sizes[ts.syn_setting] = (max(n, ts.syn_subset[0]), max(s, ts.syn_subset[1]))
        bases = [BaseSet(f, im, n, s) for (f, im), (n, s) in sizes.items()]
        return {b.name: b for b in sorted(bases, key=lambda b: b.name)}

    def base_of(self, training_set: str) -> BaseSet | None:
        ts = self.training_sets[training_set]
        if ts.syn_setting is None:
            return None
        factor, im = ts.syn_setting
        return self.base_sets[BaseSet(factor, im, 0, 0).name]

    @property
    def generated_test_sets(self) -> tuple[str, ...]:
        """Test sets rendered by the pipeline; the paper world imports the real LFW instead."""
        return TEST_SETS if self.config["world"] == "embedded" else ("syn_lfw",)

    @property
    def real_train_identities(self) -> int:
        """Identities of the stand-in CASIA-WebFace (its paper count, scaled)."""
        return max(2, round(int(self.config["real_domain"]["train_identities"]) / self.divisor))

    def generation_settings(self, base: str) -> dict[str, Any]:
        """Keyword arguments of GenerationSettings for a generated base set."""
        b = self.base_sets[base]
        return {
            "n_ids": b.n_ids,
            "per_id": b.per_id,
            "identity_mixup": b.identity_mixup,
            "factor": b.factor,
            "seed": int(self.config["generator"]["seed"]),
        }

    def training_inputs(self, training_set: str) -> dict[str, str]:
        """The dataset folders a run trains on: `syn` and/or `real`."""
        inputs = {}
        if (base := self.base_of(training_set)) is not None:
            inputs["syn"] = f"data/synthetic/{base.name}"
        if self.training_sets[training_set].uses_real:
            inputs["real"] = "data/real/real_train"
        return inputs

    def training_settings(self, training_set: str, seed: int) -> dict[str, Any]:
        """TrainConfig keyword arguments of one run, apart from its output folder and data paths."""
        ts = self.training_sets[training_set]
        model, training = self.config["model"], self.config["training"]
        return {
            "syn_subset": ts.syn_subset,
            "real_subset": ts.real_subset,
            "arch": model["arch"],
            "input_hw": tuple(model["input"]),
            "embedding": model["embedding"],
            "head": training["head"],
            "epochs": training["epochs"],
            "batch": training["batch"],
            "lr": training["lr"],
            "seed": int(seed),
        }

    @staticmethod
    def test_sets(row: Mapping[str, Any]) -> list[str]:
        return list(row.get("test", ["lfw"]))

    def table_metrics(self, table: str) -> list[str]:
        """The metrics files a paper table reads."""
        return unique(
            metrics_path(row["train"], seed, test)
            for row in self.tables[table]
            for test in self.test_sets(row)
            for seed in self.seeds
        )

    def runs(self) -> list[tuple[str, int]]:
        """Every (training set, seed) pair that some table needs."""
        return [(name, seed) for name in self.training_sets for seed in self.seeds]

    def feature_sets(self) -> list[dict[str, str]]:
        """Fig. 4's sets: name, label and the dataset folder holding their images."""
        sets = []
        for s in self.config["feature_distribution"]["sets"]:
            inputs = self.training_inputs(s["name"])
            sets.append({**s, "dataset": inputs.get("syn", inputs.get("real"))})
        return sets

    def model_files(self) -> list[str]:
        return [model_path(train, seed) for train, seed in self.runs()]

    def metrics_files(self) -> list[str]:
        return [metrics_path(*key) for key in self.metrics_needed()]

    def metrics_needed(self) -> list[tuple[str, int, str]]:
        """Every (training set, seed, test set) evaluation some table needs, without repeats."""
        seen: dict[tuple[str, int, str], None] = {}
        for table, rows in self.tables.items():
            for row in rows:
                for test in self.test_sets(row):
                    for seed in self.seeds:
                        seen[(row["train"], seed, test)] = None
        return list(seen)


def model_path(training_set: str, seed: int) -> str:
    """The final model of one run."""
    return f"models/{training_set}/seed{seed}/model.pt"


def metrics_path(training_set: str, seed: int, test_set: str) -> str:
    """Where the LFW-protocol metrics of one run on one test set live."""
    return f"results/metrics/{training_set}/seed{seed}/{test_set}.json"


def unique(items: Iterable[str]) -> list[str]:
    """Items in first-seen order without repeats."""
    return list(dict.fromkeys(items))
