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

The diagnostic studies (config `studies`, docs/training.md § Diagnostic studies) are expanded here
into plain comparisons (`StudyDesign`); their training sets join the grid's runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from synface.errors import SynfaceError
from synface.io.yamlfile import read_yaml

TABLES = ("cross_domain", "width_depth", "domain_mixup", "attributes")  # the schema's; results/tables/{table}.csv
TEST_SETS = ("lfw", "syn_lfw")
# Further benchmarks (the schema's), paper world: insightface verification packs imported from
# `imports.benchmarks` (CFP-FP 7,000 pairs; AgeDB-30, CALFW and CPLFW 6,000 each; 10 folds).
BENCHMARKS = ("cfp_fp", "agedb_30", "calfw", "cplfw")
RELEASED_TABLE = "results/tables/released_checkpoints.csv"  # the official checkpoints, evaluated
OFFICIAL_EMBEDDING = 512  # LResNet50E-IR's, the released checkpoints' default
# The official release names end in the LFW accuracy the file claims: _9197.pth.tar (91.97 %) or
# model_best_..._0.9765.pth.tar (97.65 %).
_CLAIMED_LFW = re.compile(r"_(?:0\.(\d{4})|(\d{4}))\.pth(?:\.tar)?$")
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


class TableRow(TypedDict):
    """One row of a paper table as the jobs that read it get it (a Snakemake param: plain values,
    so a job reruns when its own rows change, not on any config edit)."""

    row: str  # the paper's label, e.g. "(a)" (shared by a row w/o and w/ IM)
    train: str  # the training set's name
    kind: str  # TrainingSet.kind: "Syn", "Real" or "Mix"
    width: int | None  # TrainingSet.width and depth: the paper's N and S
    depth: int | None
    im: bool  # TrainingSet.identity_mixup
    test: list[str]  # the test sets it is evaluated on
    paper: dict[str, float]  # the paper's accuracy (%) per test set


Grid = Mapping[str, Sequence[TableRow]]  # every paper table's rows, by table


class ReleasedCheckpoint(TypedDict):
    """One external checkpoint of `released_checkpoints` as its job gets it (plain values)."""

    name: str
    path: str
    arch: str
    input_hw: list[int]  # [H, W]
    embedding: int
    claimed: dict[str, float]  # the accuracy (%) it claims per test set


class StudySide(TypedDict):
    """One side of a study's comparison: a training set's models (every seed) on one test set."""

    series: str  # what the study's figure calls it, e.g. "Mix_N_10 (domain mixup)"
    train: str
    test: str  # "lfw", "syn_lfw", or a study's variant of the stand-in LFW ("lfw_pose0.5")


class StudyComparison(TypedDict):
    """left − right at one level of the studied factor."""

    level: str  # "1K", "0.5"
    label: str
    left: StudySide
    right: StudySide
    predicted: bool  # the comparison the prediction is about (predicted to turn ≥ 0)


class StudyDesign(TypedDict):
    """A diagnostic study as its job gets it (plain values): the config's text and its comparisons."""

    study: str
    claim: int
    hypothesis: str
    prediction: str
    factor: str  # the varied factor as the turn line names it: "N", "k"
    axis: str  # the figure's x axis
    levels: list[str]  # in the order the prediction walks them (N rising, k falling)
    ticks: list[str]  # the figure's tick label of each level
    reference: StudySide | None  # drawn as a band (the synthetic set alone)
    comparisons: list[StudyComparison]


STUDY_RESULTS = "results/studies"  # {study}.csv, {study}.json, {study}.png and the variants' metrics/


def pose_test_set(k: float) -> str:
    """The stand-in LFW with its pose spread scaled by k: "lfw" itself at 1, else "lfw_pose0.5" etc."""
    return "lfw" if k == 1 else f"lfw_pose{k:g}"


def claimed_lfw(path: str) -> float | None:
    """The LFW accuracy (%) an official release name states, e.g. model_10k_50_idmix_9197.pth.tar -> 91.97."""
    m = _CLAIMED_LFW.search(Path(path).name)
    return None if m is None else int(m[1] or m[2]) / 100


def grid_rows(tables: Grid) -> list[TableRow]:
    """Every row of every table, in table order."""
    return [row for rows in tables.values() for row in rows]


class Experiments:
    """Everything the DAG needs to know about the experiments in `config`."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.divisor = float(config["scale"]["identity_divisor"])
        self.seeds: list[int] = list(config["seeds"])
        self.tables: dict[str, list[dict[str, Any]]] = config["experiments"]
        self.mix_synthetic: str = config["domain_mixup"]["synthetic"]
        self.tuning: Mapping[str, Any] = config.get("tuning", {}) if config["world"] == "embedded" else {}
        # imported benchmark packs exist in the paper world only (rules/real_paper.smk imports them)
        imports = config.get("imports", {}) if config["world"] == "paper" else {}
        self.benchmarks: tuple[str, ...] = tuple(imports.get("benchmarks", {}))
        self.pose_variants: dict[str, float] = {}  # stand-in LFW variants a study evaluates on: name -> k
        self.studies: dict[str, StudyDesign] = self._studies(config.get("studies") or {})
        self.training_sets = {name: self.parse(name) for name in self._training_set_names()}
        self.base_sets = self._base_sets()
        self._check_dev_split()
        self._check_manifest()

    def scaled(self, paper_ids: int, what: str) -> int:
        """A paper identity count divided by the divisor; `what` names it in the error."""
        n = round(paper_ids / self.divisor)
        if n < 2:  # a classifier needs two classes
            raise SynfaceError(
                f"{what}: {paper_ids} identities / scale.identity_divisor {self.divisor:g} = {n}, fewer than 2"
            )
        return n

    def subset(self, name: str, n: str, s: str) -> tuple[int, int]:
        """The scaled (N, S) of training set `name` from its paper N and S."""
        if int(s) < 1:
            raise SynfaceError(f"experiments: training set {name!r} has {s} images per identity")
        return self.scaled(paper_count(n), name), int(s)

    def parse(self, name: str) -> TrainingSet:
        if m := _SYN.match(name):
            n, s, factor, im = m.groups()
            setting = (factor or "all", im is not None)
            return TrainingSet(name, "Syn", paper_count(n), int(s), setting, self.subset(name, n, s), None, False)
        if m := _REAL.match(name):
            n, s = m.groups()
            subset = self.subset(name, n, s) if n else None
            width, depth = (paper_count(n), int(s)) if n else (None, None)
            return TrainingSet(name, "Real", width, depth, None, None, subset, True)
        if m := _MIX.match(name):
            syn = self.parse(self.mix_synthetic)
            if syn.uses_real or syn.syn_setting is None:
                raise SynfaceError(f"domain_mixup.synthetic: {self.mix_synthetic!r} is not a synthetic set")
            real = self.subset(name, m[1], m[2])
            return TrainingSet(name, "Mix", paper_count(m[1]), int(m[2]), syn.syn_setting, syn.syn_subset, real, True)
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
        return unique([*names, *(train for train, _ in self._study_evaluations())])

    def _studies(self, studies: Mapping[str, Any]) -> dict[str, StudyDesign]:
        """The configured studies as comparisons; light_vs_pose needs the stand-in LFW (embedded world)."""
        designs = {}
        if "dm_real_identities" in studies:
            designs["dm_real_identities"] = self._dm_real_identities(studies["dm_real_identities"])
        if "light_vs_pose" in studies and self.config["world"] == "embedded":
            designs["light_vs_pose"] = self._light_vs_pose(studies["light_vs_pose"])
        return designs

    @staticmethod
    def _design(name: str, study: Mapping[str, Any], **design: Any) -> StudyDesign:
        text = {key: study[key] for key in ("claim", "hypothesis", "prediction")}
        return StudyDesign(study=name, **text, **design)  # type: ignore[typeddict-item]

    def _dm_real_identities(self, study: Mapping[str, Any]) -> StudyDesign:
        """Claim 8: Mix_N_S − the synthetic set alone (the prediction's) and Mix_N_S − Real_N_S, per N."""
        where = "studies.dm_real_identities"
        reference, depth = study["reference"], int(study["images_per_identity"])
        if reference != self.mix_synthetic:
            raise SynfaceError(
                f"{where}.reference: {reference} is not domain_mixup.synthetic ({self.mix_synthetic}), "
                "the set every Mix_N_S mixes with"
            )
        ref = StudySide(series=f"{reference} alone", train=reference, test="lfw")
        comparisons, ticks = [], []
        for n in study["real_identities"]:
            mix = StudySide(series=f"Mix_N_{depth} (domain mixup)", train=f"Mix_{n}_{depth}", test="lfw")
            real = StudySide(series=f"Real_N_{depth}", train=f"Real_{n}_{depth}", test="lfw")
            comparisons += [
                StudyComparison(level=n, label=f"{mix['train']} vs {reference}", left=mix, right=ref, predicted=True),
                StudyComparison(
                    level=n, label=f"{mix['train']} vs {real['train']}", left=mix, right=real, predicted=False
                ),
            ]
            ticks.append(f"{n}\n({self.scaled(paper_count(n), f'{where}: {n}')} people)")
        return self._design(
            "dm_real_identities",
            study,
            factor="N",
            axis=f"real identities N of Real_N_{depth} and Mix_N_{depth} (paper count; people at this scale)",
            levels=list(study["real_identities"]),
            ticks=ticks,
            reference=ref,
            comparisons=comparisons,
        )

    def _light_vs_pose(self, study: Mapping[str, Any]) -> StudyDesign:
        """Claim 7: the illumination-varied set − the pose-varied set on the stand-in LFW at each pose scale k."""
        left, right = study["left"], study["right"]
        comparisons = []
        for k in study["pose_scales"]:
            test = pose_test_set(k)
            if test != "lfw":
                self.pose_variants[test] = float(k)
            comparisons.append(
                StudyComparison(
                    level=f"{k:g}",
                    label=f"{left} vs {right} on {test}",
                    left=StudySide(series=left, train=left, test=test),
                    right=StudySide(series=right, train=right, test=test),
                    predicted=True,
                )
            )
        levels = [f"{k:g}" for k in study["pose_scales"]]
        return self._design(
            "light_vs_pose",
            study,
            factor="k",
            axis="pose spread of the stand-in LFW, k (angles × k; 1: the test set, 0: frontal faces)",
            levels=levels,
            ticks=levels,
            reference=None,
            comparisons=comparisons,
        )

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
    def evaluated_test_sets(self) -> tuple[str, ...]:
        """Every test set each model is evaluated on: LFW, Syn-LFW and the imported benchmarks."""
        return (*TEST_SETS, *self.benchmarks)

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

    def _check_manifest(self) -> None:
        """Each table or table figure the manifest asks for needs its table in the grid."""
        for target in self.config["manifest"]:
            table = Path(target).stem
            if table in TABLES and table not in self.tables:
                raise SynfaceError(
                    f"manifest: {target} needs experiments.{table}, which the config lacks "
                    "(an overlay's `experiments` replaces the whole grid)"
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
        return self.scaled(int(self.config["real_domain"]["train_identities"]), "real_domain.train_identities")

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
            inputs["syn"] = synthetic_set_path(base.name)
        if self.training_sets[training_set].uses_real:
            inputs["real"] = REAL_TRAIN
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

    def test_sets(self, row: Mapping[str, Any], where: str) -> list[str]:
        """A row's test sets (default LFW), then every imported benchmark; each must be evaluated in this world."""
        return self._evaluated(unique([*row.get("test", ["lfw"]), *self.benchmarks]), where)

    def _evaluated(self, tests: list[str], where: str) -> list[str]:
        """`tests`, each checked to be a test set this world evaluates (else an error naming `where`)."""
        for test in tests:
            if test not in self.evaluated_test_sets:
                raise SynfaceError(
                    f"{where}: test set {test!r} is not evaluated in the {self.config['world']} world "
                    f"(have {', '.join(self.evaluated_test_sets)}; a benchmark needs imports.benchmarks.{test})"
                )
        return tests

    def table_rows(self, table: str) -> list[TableRow]:
        """The rows of a paper table, in the config's (= the paper's) order."""
        rows = []
        for row in self.tables[table]:
            ts = self.training_sets[row["train"]]
            rows.append(
                TableRow(
                    row=str(row["row"]),
                    train=ts.name,
                    kind=ts.kind,
                    width=ts.width,
                    depth=ts.depth,
                    im=ts.identity_mixup,
                    test=self.test_sets(row, f"experiments.{table}"),
                    paper={test: float(value) for test, value in row.get("paper", {}).items()},
                )
            )
        return rows

    def grid(self) -> dict[str, list[TableRow]]:
        """Every paper table's rows."""
        return {table: self.table_rows(table) for table in self.tables}

    def released_checkpoints(self) -> list[ReleasedCheckpoint]:
        """The configured external checkpoints; `claimed` defaults to the LFW accuracy in an official file name."""
        checkpoints = []
        for entry in self.config.get("released_checkpoints", []):
            claimed = entry.get("claimed")
            if claimed is None:
                lfw = claimed_lfw(entry["path"])
                claimed = {} if lfw is None else {"lfw": lfw}
            self._evaluated(list(claimed), f"released_checkpoints: {entry['name']}: claimed")
            checkpoints.append(
                ReleasedCheckpoint(
                    name=str(entry["name"]),
                    path=str(entry["path"]),
                    arch=str(entry["arch"]),
                    input_hw=[int(v) for v in entry["input"]],
                    embedding=int(entry.get("embedding", OFFICIAL_EMBEDDING)),
                    claimed={test: float(value) for test, value in claimed.items()},
                )
            )
        names = [c["name"] for c in checkpoints]
        if repeated := sorted({n for n in names if names.count(n) > 1}):
            raise SynfaceError(f"released_checkpoints: name {', '.join(repeated)} given twice")
        return checkpoints

    def table_metrics(self, table: str) -> list[str]:
        """The metrics files a paper table reads."""
        return [metrics_path(*key) for key in evaluations(self.table_rows(table), self.seeds)]

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
        return evaluations(grid_rows(self.grid()), self.seeds)

    def _study_evaluations(self, study: str | None = None) -> list[tuple[str, str]]:
        """Every (training set, test set) that one study (None: every study) reads, without repeats."""
        designs = self.studies.values() if study is None else [self.studies[study]]
        pairs = []
        for design in designs:
            sides = [side for c in design["comparisons"] for side in (c["left"], c["right"])]
            sides += [design["reference"]] if design["reference"] is not None else []
            pairs += [(side["train"], side["test"]) for side in sides]
        return list(dict.fromkeys(pairs))

    def study_metrics_files(self, study: str | None = None) -> list[str]:
        """The metrics files one study (None: every study) reads, over the seeds."""
        return unique(
            study_metrics_path(train, seed, test)
            for train, test in self._study_evaluations(study)
            for seed in self.seeds
        )

    def study_grid_metrics(self) -> list[str]:
        """The studies' metrics files on the grid's own test sets (the `evaluate` rule's), the tables' excepted."""
        tables = set(self.metrics_files())
        return [f for f in self.study_metrics_files() if f.startswith("results/metrics/") and f not in tables]

    def study_variant_sets(self) -> list[str]:
        """The training sets a study evaluates on a variant of the stand-in LFW."""
        return unique(train for train, test in self._study_evaluations() if test in self.pose_variants)

    def study_variant_metrics(self) -> list[str]:
        """Every metrics file on a study's variant of the stand-in LFW: each model that a study
        evaluates on one is evaluated on all of them (one job per model, as for the test sets)."""
        return [
            study_metrics_path(train, seed, test)
            for train in self.study_variant_sets()
            for seed in self.seeds
            for test in self.pose_variants
        ]

    def pose_variant_settings(self, test_set: str) -> dict[str, Any]:
        """`write_standin_lfw` keyword arguments of a study's variant: the test set's protocol, its pose scale."""
        p = self.config["test_sets"]
        return {
            "n_people": int(p["people"]),
            "folds": int(p["folds"]),
            "pairs_per_fold": int(p["pairs_per_fold"]),
            "seed": int(p["seed"]),
            "pose_scale": self.pose_variants[test_set],
        }

    def study_targets(self) -> list[str]:
        """Every study's table, verdict and figure (`snakemake studies`)."""
        return [f"{STUDY_RESULTS}/{study}.{ext}" for study in self.studies for ext in ("csv", "json", "png")]


def evaluations(rows: Iterable[TableRow], seeds: Sequence[int]) -> list[tuple[str, int, str]]:
    """Every (training set, seed, test set) evaluation that table rows read, without repeats."""
    return list(dict.fromkeys((row["train"], seed, test) for row in rows for test in row["test"] for seed in seeds))


# Mappings an overlay replaces whole instead of merging into: the grid of tables, the tuning
# study's candidates and the diagnostic studies (a table, candidate or study the overlay leaves out is not run).
REPLACED_BY_OVERLAYS = (("experiments",), ("tuning", "candidates"), ("studies",))


def overlay_grid(config: MutableMapping[str, Any], overlay_files: Iterable[str | os.PathLike[str]]) -> None:
    """Replace, not merge, the grid and the tuning candidates of `config` by the overlays' (Snakemake's
    --configfile files).

    Snakemake deep-merges overlays, so a table an overlay leaves out (or `experiments: {}`) would
    keep the default's rows. Here the last overlay that gives such a mapping sets all of it.
    """
    for path in overlay_files:
        _replace_grid(config, _read_yaml(path))


def _replace_grid(config: MutableMapping[str, Any], overlay: Mapping[str, Any]) -> None:
    for keys in REPLACED_BY_OVERLAYS:
        *parents, last = keys
        source, target = overlay, config
        for key in parents:
            if not isinstance(source.get(key), Mapping):
                break
            source, target = source[key], target.setdefault(key, {})
        else:
            if last in source:
                target[last] = source[last]


CONFIG = "config/config.yaml"  # the default; overlays (--configfile) are merged into it
SCHEMA = "workflow/schemas/config.schema.yaml"


def _merge(base: MutableMapping[str, Any], overlay: Mapping[str, Any]) -> None:
    """Snakemake's --configfile merge: nested mappings merge key by key, anything else replaces."""
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), MutableMapping):
            _merge(base[key], value)
        else:
            base[key] = value


def _read_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    data = read_yaml(path, "the config") or {}
    if not isinstance(data, dict):
        raise SynfaceError(f"{path}: a config is a mapping of keys, not {type(data).__name__}")
    return data


def load_config(configfile: str | os.PathLike[str], root: str | os.PathLike[str] = ".") -> dict[str, Any]:
    """The config the Snakefile sees for `--configfile configfile`: config/config.yaml with the
    overlay merged in (the grid replaced, `overlay_grid`), validated against the schema."""
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    root = Path(root)
    config = _read_yaml(root / CONFIG)
    if Path(configfile).resolve() != (root / CONFIG).resolve():
        overlay = _read_yaml(configfile)
        _merge(config, overlay)
        _replace_grid(config, overlay)
    try:
        validate(config, str(root / SCHEMA))
    except WorkflowError as err:
        raise SynfaceError(f"{configfile}: {_schema_violation(str(err))}") from None
    return config


def _schema_violation(report: str) -> str:
    """jsonschema's failure report (the whole schema and config dumped) as its message and the key
    it concerns: "-1 is less than the minimum of 0 (at config['seeds'][0])"."""
    message = re.search(r"ValidationError: (.*)", report)
    where = re.search(r"On instance((?:\[[^\]]*\])*):", report)
    text = message[1].strip() if message else " ".join(report.split())[:300]
    return f"{text} (at config{where[1]})" if where and where[1] else text


TUNING_MODELS = "models/tuning"  # the tuning candidates' runs (not a training set's name)
TUNING_METRICS = "results/tuning/metrics"
# The tuning study's committed results: its table, the convergence check and their figure.
TUNING_RESULTS = {
    "table": "results/tuning/embedded.csv",
    "convergence": "results/tuning/convergence.csv",
    "figure": "results/tuning/embedded.png",
}


def model_folder(training_set: str) -> str:
    """Every seed's run of one training set with the chosen settings."""
    return f"models/{training_set}"


def run_folder(training_set: str, seed: int | str, candidate: str = CHOSEN) -> str:
    """The folder of one run; a tuning candidate's under models/tuning/ (the chosen settings' runs
    are the grid's own, so the tuning study reuses them)."""
    if candidate == CHOSEN:
        return f"{model_folder(training_set)}/seed{seed}"
    return f"{TUNING_MODELS}/{candidate}/{training_set}/seed{seed}"


def model_path(training_set: str, seed: int) -> str:
    """The final model of one run."""
    return f"{run_folder(training_set, seed)}/model.pt"


def steps_path(training_set: str, seed: int) -> str:
    """The per-step training losses of one run (the training curves figure reads them)."""
    return f"{run_folder(training_set, seed)}/steps.csv"


def study_metrics_path(training_set: str, seed: int | str, test_set: str) -> str:
    """A study's metrics file: the grid's on a grid test set, else under results/studies/metrics/."""
    if test_set in (*TEST_SETS, *BENCHMARKS):
        return metrics_path(training_set, seed, test_set)
    return f"{STUDY_RESULTS}/metrics/{training_set}/seed{seed}/{test_set}.json"


def pose_variant_path(test_set: str) -> str:
    """A study's variant of the stand-in LFW, imported like the test set: data/studies/lfw_pose0.5."""
    return f"data/studies/{test_set}"


REAL_TRAIN = "data/real/real_train"  # stand-in or imported CASIA-WebFace


def synthetic_set_path(base: str) -> str:
    """A generated base set (every Syn_N_S is a view of one)."""
    return f"data/synthetic/{base}"


def evaluation_set_path(test_set: str, split: str = "test") -> str:
    """An evaluation set: data/test/lfw, ... and the dev split's data/dev/lfw, ..."""
    return f"data/{split}/{test_set}"


def dev_metrics_path(candidate: str, training_set: str, seed: int | str, test_set: str) -> str:
    """The dev-split metrics of one tuning run."""
    return f"{TUNING_METRICS}/{candidate}/{training_set}/seed{seed}/{test_set}.json"


def metrics_path(training_set: str, seed: int | str, test_set: str) -> str:
    """Where the LFW-protocol metrics of one run on one test set live (a seed of "{seed}": the rule's pattern)."""
    return f"results/metrics/{training_set}/seed{seed}/{test_set}.json"


REPORT = "results/report.html"  # `snakemake --report` of the paper targets (and the tuning study)


def table_view_path(table_csv: str) -> str:
    """The report's HTML view of a results table: results/tables/x.csv -> results/report/tables/x.html."""
    folder, name = Path(table_csv).parent.name, Path(table_csv).stem
    return f"results/report/{folder}/{name}.html"


def unique(items: Iterable[str]) -> list[str]:
    """Items in first-seen order without repeats."""
    return list(dict.fromkeys(items))
