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
SPLITS = ("test", "dev")  # generated evaluation sets: the test sets, and the dev split to choose settings on
# The `training` keys a run reads (TrainConfig fields of the same names).
TRAINING_KEYS = ("head", "scale", "margin", "epochs", "min_steps", "warmup", "batch", "lr")
CHOSEN, DOUBLED = "chosen", "chosen_x2"  # tuning: the `training` section, and it at twice its length
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
        self.tuning: Mapping[str, Any] = config.get("tuning", {}) if config["world"] == "embedded" else {}
        self.training_sets = {name: self.parse(name) for name in self._training_set_names()}
        self.base_sets = self._base_sets()
        self._check_dev_split()

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
        raise SynfaceError(
            f"experiments: cannot parse training set name {name!r} (e.g. Syn_10K_50_IM, Real_1K_10, Mix_1K_10)"
        )

    def _training_set_names(self) -> list[str]:
        features = self.config["feature_distribution"]
        names: list[str] = [features["observer"], *(s["name"] for s in features["sets"])]
        names += [name for name in self.tuning.get("sets", []) if name not in names]
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

    def _check_dev_split(self) -> None:
        """The dev sets' people are drawn from (dataset, seed) streams: the same seed as the test
        sets would give LFW-dev the people of LFW (and Syn-LFW-dev those of Syn-LFW). Stand-in
        CASIA-WebFace and the synthetic training sets draw from other datasets' streams."""
        dev, test = self.config["dev_sets"]["seed"], self.config["test_sets"]["seed"]
        if dev == test:
            raise SynfaceError(
                f"dev_sets.seed = test_sets.seed = {dev}: LFW-dev and Syn-LFW-dev would hold the people of the "
                "test sets LFW and Syn-LFW; give the dev split its own seed"
            )

    def protocol(self, split: str) -> dict[str, int]:
        """The LFW-style protocol of a generated evaluation set: the test sets', with the dev seed for "dev"."""
        protocol = dict(self.config["test_sets"])
        if split == "dev":
            protocol["seed"] = int(self.config["dev_sets"]["seed"])
        return protocol

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

    def training_settings(self, training_set: str, seed: int, candidate: str | None = None) -> dict[str, Any]:
        """TrainConfig keyword arguments of one run, apart from its output folder and data paths;
        `candidate`: a tuning candidate's settings (DOUBLED: the chosen ones at twice their length)."""
        ts = self.training_sets[training_set]
        model, training = self.config["model"], self.tuning_training(candidate)
        return {
            "syn_subset": ts.syn_subset,
            "real_subset": ts.real_subset,
            "arch": model["arch"],
            "input_hw": tuple(model["input"]),
            "embedding": model["embedding"],
            **{key: training[key] for key in TRAINING_KEYS},
            "seed": int(seed),
        }

    def tuning_training(self, candidate: str | None) -> dict[str, Any]:
        """The `training` section as a candidate sees it: overridden by its settings; DOUBLED:
        twice the epochs and twice the step floor (so twice the steps, up to the rounding of whole epochs)."""
        training = dict(self.config["training"])
        if candidate == DOUBLED:
            training["epochs"] *= 2
            training["min_steps"] *= 2
        elif candidate is not None:
            if candidate not in self.tuning_candidates:
                raise SynfaceError(
                    f"tuning.candidates: no candidate {candidate!r} (have {', '.join(self.tuning_candidates)})"
                )
            training.update(self.config["tuning"]["candidates"].get(candidate, {}))
        return training

    @property
    def tuning_candidates(self) -> list[str]:
        """CHOSEN (the `training` section), DOUBLED (it at twice the length), then the configured candidates."""
        return [CHOSEN, DOUBLED, *self.tuning.get("candidates", {})] if self.tuning else []

    def convergence_ends(self) -> dict[str, tuple[str, str]]:
        """Per table, its smallest and largest training set by images in an epoch (the primary set:
        the synthetic part where there is one; the whole real set counts as largest; ties: table order)."""

        def images(name: str) -> float:
            ts = self.training_sets[name]
            subset = ts.syn_subset or ts.real_subset
            return float("inf") if subset is None else subset[0] * subset[1]

        ends = {}
        for table, rows in self.tables.items():
            ordered = sorted((row["train"] for row in rows), key=images)
            ends[table] = (ordered[0], ordered[-1])
        return ends

    def convergence_sets(self) -> list[str]:
        return unique(name for ends in self.convergence_ends().values() for name in ends)

    def tuning_metrics_files(self) -> list[str]:
        return [dev_metrics_path(c, t, s, test) for c, t, s in self.tuning_runs() for test in TEST_SETS]

    def tuning_steps(self) -> list[str]:
        return [f"{run_folder(t, s, c)}/steps.csv" for c, t, s in self.tuning_runs()]

    def tuning_runs(self) -> list[tuple[str, str, int]]:
        """Every (candidate, training set, seed) of the tuning study: the candidates on `tuning.sets`,
        the chosen settings and their doubled length also on the convergence sets."""
        if not self.tuning:
            return []
        runs = []
        for candidate in self.tuning_candidates:
            sets = self.tuning["sets"]
            if candidate in (CHOSEN, DOUBLED):
                sets = unique([*sets, *self.convergence_sets()])
            runs += [(candidate, name, int(seed)) for name in sets for seed in self.tuning["seeds"]]
        return runs

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
        """The metrics files the tables read; their models' evaluate jobs also write the other test sets'."""
        return [metrics_path(*key) for key in self.metrics_needed()]

    def metrics_needed(self) -> list[tuple[str, int, str]]:
        """Every (training set, seed, test set) evaluation some table needs, without repeats."""
        seen: dict[tuple[str, int, str], None] = {}
        for rows in self.tables.values():
            for row in rows:
                for test in self.test_sets(row):
                    for seed in self.seeds:
                        seen[(row["train"], seed, test)] = None
        return list(seen)


def model_path(training_set: str, seed: int) -> str:
    """The final model of one run."""
    return f"models/{training_set}/seed{seed}/model.pt"


def steps_path(training_set: str, seed: int) -> str:
    """The per-step training losses of one run (the training curves figure reads them)."""
    return f"models/{training_set}/seed{seed}/steps.csv"


def run_folder(training_set: str, seed: int | str, candidate: str = CHOSEN) -> str:
    """The folder of one run; a tuning candidate's under models/tuning/ (the chosen settings' runs
    are the grid's own, so the tuning study reuses them)."""
    if candidate == CHOSEN:
        return f"models/{training_set}/seed{seed}"
    return f"models/tuning/{candidate}/{training_set}/seed{seed}"


def evaluation_set_path(test_set: str, split: str = "test") -> str:
    """An evaluation set: data/test/lfw, ... and the dev split's data/dev/lfw, ..."""
    return f"data/{split}/{test_set}"


def dev_metrics_path(candidate: str, training_set: str, seed: int | str, test_set: str) -> str:
    """The dev-split metrics of one tuning run."""
    return f"results/tuning/metrics/{candidate}/{training_set}/seed{seed}/{test_set}.json"


def metrics_path(training_set: str, seed: int | str, test_set: str) -> str:
    """Where the LFW-protocol metrics of one run on one test set live (a seed of "{seed}": the rule's pattern)."""
    return f"results/metrics/{training_set}/seed{seed}/{test_set}.json"


def unique(items: Iterable[str]) -> list[str]:
    """Items in first-seen order without repeats."""
    return list(dict.fromkeys(items))
