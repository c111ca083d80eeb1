"""Parse-time checks of the grid that need generator and real-domain code (the Snakefile runs
them after building `Experiments`): a set that cannot be generated or trained fails before
the first job. Kept out of synface/experiments.py, which job scripts import: its imports are
their code dependencies (synface.codedeps), and these checks change no job's output."""

from __future__ import annotations

import numpy as np

from synface.errors import SynfaceError
from synface.experiments import Experiments
from synface.generator.sampling import GenerationSettings
from synface.realdomain.identities import real_train_counts
from synface.train.config import TrainConfig


def check_experiments(ex: Experiments) -> None:
    check_base_sets(ex)
    check_batches(ex)
    check_training_settings(ex)


def _runs(ex: Experiments) -> list[tuple[str | None, str]]:
    """(tuning candidate or None, training set) of every run the grid and the tuning study make."""
    runs: list[tuple[str | None, str]] = [(None, name) for name in ex.training_sets]
    runs += [(candidate, name) for candidate, name, _ in ex.tuning_runs()]
    return list(dict.fromkeys(runs))


def check_training_settings(ex: Experiments) -> None:
    """Every run's settings as its job will check them (a NaN lr, a margin beyond the head's range),
    now rather than in the job; the message names the config section."""
    for candidate, name in _runs(ex):
        try:
            TrainConfig(out=".", **ex.training_inputs(name), **ex.training_settings(name, 0, candidate))
        except SynfaceError as err:
            section = "training" if candidate is None else f"tuning.candidates.{candidate}"
            raise SynfaceError(f"{section} (training set {name}): {err}") from None


def check_base_sets(ex: Experiments) -> None:
    """Each base set must be generable (identity mixup: per_id distinct partners), else an error
    names the training sets that ask for its depth."""
    for name, base in ex.base_sets.items():
        try:
            GenerationSettings(**ex.generation_settings(name))
        except SynfaceError as err:
            deepest = [
                train
                for train, ts in ex.training_sets.items()
                if ex.base_of(train) == base and ts.syn_subset is not None and ts.syn_subset[1] == base.per_id
            ]
            raise SynfaceError(
                f"{', '.join(deepest)} (base set {name}: {base.n_ids} identities x {base.per_id} images at "
                f"scale.identity_divisor {ex.divisor:g}): {err}"
            ) from None


def check_batches(ex: Experiments) -> None:
    """Every run needs one full batch of its primary set (the synthetic part, else the real):
    the loader drops a partial last batch, so a smaller set would fail inside its job."""
    for candidate, name in _runs(ex):
        images = primary_images(ex, name)
        batch = ex.tuning_training(candidate)["batch"]
        if images is not None and batch > images:
            key = "training.batch"
            if batch != ex.config["training"]["batch"]:
                key = f"tuning.candidates.{candidate}.batch"
            raise SynfaceError(f"{key} = {batch} exceeds the {images} images of training set {name}")


def primary_images(ex: Experiments, training_set: str) -> int | None:
    """Images of a training set's primary part; None where unknown before the run (imported real data)."""
    ts = ex.training_sets[training_set]
    if ts.syn_subset is not None:
        return ts.syn_subset[0] * ts.syn_subset[1]
    if ex.config["world"] != "embedded":
        return None
    counts = real_train_counts(ex.real_train_identities, int(ex.config["real_domain"]["seed"]))
    if ts.real_subset is None:
        return int(counts.sum())
    n, s = ts.real_subset
    return int(np.minimum(counts[:n], s).sum())  # an identity with fewer than S images gives what it has
