"""The paper's experiment grid, derived once from config: datasets, runs, metrics, rows.

Every job of the DAG is read off `Experiments`: the training sets its tables, Fig. 4, the tuning
study and the diagnostic studies name (parsed by `synface.naming`), the generated base sets they
are views of, every run and evaluation, and the files each reads and writes (`synface.layout`, in
the config's world). The diagnostic studies (config `studies`, docs/training.md § Diagnostic
studies) are expanded here into plain comparisons (`StudyDesign`); their training sets join the
grid's runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict

from synface.errors import SynfaceError
from synface.layout import (
    dev_metrics_path,
    in_world,
    metrics_path,
    model_path,
    real_train_path,
    run_files,
    study_metrics_path,
    study_path,
    synthetic_set_path,
)
from synface.naming import (
    CHOSEN,
    DOUBLED,
    TABLES,
    TEST_SETS,
    BaseSet,
    TrainingSet,
    claimed_lfw,
    paper_count,
    parse_training_set,
    pose_test_set,
    scaled,
)

OFFICIAL_EMBEDDING = 512  # LResNet50E-IR's, the released checkpoints' default
# The `training` keys a run reads (TrainConfig fields of the same names).
TRAINING_KEYS = ("head", "scale", "margin", "epochs", "min_steps", "warmup", "batch", "lr")


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


def grid_rows(tables: Grid) -> list[TableRow]:
    """Every row of every table, in table order."""
    return [row for rows in tables.values() for row in rows]


class Experiments:
    """Everything the DAG needs to know about the experiments in `config`."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.world: str = config["world"]  # where its files live (synface.layout)
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

    def parse(self, name: str) -> TrainingSet:
        """A training set's name read at this grid's scale and domain mixup set."""
        return parse_training_set(name, self.divisor, self.mix_synthetic)

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
            ticks.append(f"{n}\n({scaled(paper_count(n), self.divisor, f'{where}: {n}')} people)")
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

    @property
    def manifest(self) -> list[str]:
        """The paper targets of config `manifest` (named by their default-world paths) in this world."""
        return [in_world(target, self.world) for target in self.config["manifest"]]

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
        return scaled(int(self.config["real_domain"]["train_identities"]), self.divisor, "real_domain.train_identities")

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
            inputs["syn"] = synthetic_set_path(base.name, self.world)
        if self.training_sets[training_set].uses_real:
            inputs["real"] = real_train_path(self.world)
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
        """Each tuning run's dev metrics on TEST_SETS in turn, in the order of `tuning_runs`
        (synface.analysis.tuning reads them in that order)."""
        return [dev_metrics_path(c, t, s, test) for c, t, s in self.tuning_runs() for test in TEST_SETS]

    def tuning_steps(self) -> list[str]:
        """Each tuning run's per-step losses, in the order of `tuning_runs`."""
        return [run_files(t, s, c)["steps"] for c, t, s in self.tuning_runs()]

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
        return [metrics_path(*key, self.world) for key in evaluations(self.table_rows(table), self.seeds)]

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
        return [model_path(train, seed, self.world) for train, seed in self.runs()]

    def metrics_files(self) -> list[str]:
        """The metrics files the tables read; their models' evaluate jobs also write the other test sets'."""
        return [metrics_path(*key, self.world) for key in self.metrics_needed()]

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
            study_metrics_path(train, seed, test, self.world)
            for train, test in self._study_evaluations(study)
            for seed in self.seeds
        )

    def study_grid_metrics(self) -> list[str]:
        """The studies' metrics files on the grid's own test sets (the `evaluate` rule's), the tables' excepted."""
        tables, variants = set(self.metrics_files()), set(self.study_variant_metrics())
        return [f for f in self.study_metrics_files() if f not in tables and f not in variants]

    def study_variant_sets(self) -> list[str]:
        """The training sets a study evaluates on a variant of the stand-in LFW."""
        return unique(train for train, test in self._study_evaluations() if test in self.pose_variants)

    def study_variant_metrics(self) -> list[str]:
        """Every metrics file on a study's variant of the stand-in LFW: each model that a study
        evaluates on one is evaluated on all of them (one job per model, as for the test sets)."""
        return [
            study_metrics_path(train, seed, test, self.world)
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
        return [study_path(study, suffix, self.world) for study in self.studies for suffix in (".csv", ".json", ".png")]


def evaluations(rows: Iterable[TableRow], seeds: Sequence[int]) -> list[tuple[str, int, str]]:
    """Every (training set, seed, test set) evaluation that table rows read, without repeats."""
    return list(dict.fromkeys((row["train"], seed, test) for row in rows for test in row["test"] for seed in seeds))


def unique(items: Iterable[str]) -> list[str]:
    """Items in first-seen order without repeats."""
    return list(dict.fromkeys(items))
