"""A tiny CPU training run on the stand-in CASIA-WebFace clearly beats chance on the stand-in LFW."""

from __future__ import annotations

from pathlib import Path

import pytest

from synface.data.imagefiles import Alignment
from synface.data.importers import import_lfw
from synface.evaluate.verify import evaluate_model
from synface.realdomain.casia import generate_real_train
from synface.realdomain.lfw import write_standin_lfw
from synface.train.config import TrainConfig
from synface.train.loop import train

IDENTITIES = 40
PAIRS_PER_FOLD = 30  # 10 folds: 600 pairs (300 genuine, 300 impostor)
# 3 epochs: longer runs fit these 40 people and generalise worse (8 epochs: 0.52-0.67 accuracy).
EPOCHS = 3
# Chance is 0.5 for both. The AUC threshold is itself 3.4 SE above chance (SE 0.024 there) and
# 4.2 SE below the weakest of seeds 0-9 (`python -m tests.learning_margins`); the accuracy
# threshold only guards against a broken protocol (SE 0.020 at 0.53).
AUC_THRESHOLD = 0.58
THRESHOLD = 0.53


def standin_data(root: Path) -> tuple[Path, Path]:
    """40 stand-in CASIA-WebFace identities and a 600-pair stand-in LFW of other people."""
    generate_real_train(root / "real", IDENTITIES, seed=5, progress=False)
    write_standin_lfw(root / "lfwdir", 500, folds=10, pairs_per_fold=PAIRS_PER_FOLD, seed=6, progress=False)
    import_lfw(root / "lfwdir/lfw", root / "lfwdir/pairs.txt", root / "lfw", Alignment("none"))
    return root / "real", root / "lfw"


def standin_run(out: Path, real: Path, lfw: Path, seed: int) -> dict:
    config = TrainConfig(
        out=out,
        real=real,
        arch="lresnet10e_ir_tiny",
        input_hw=(28, 24),
        embedding=64,
        epochs=EPOCHS,
        batch=64,
        lr=0.1,
        seed=seed,
        threads=1,
    )
    return evaluate_model(train(config), lfw, threads=1)


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    return standin_data(tmp_path_factory.mktemp("standin"))


def test_tiny_real_training_beats_chance_on_standin_lfw(tmp_path, standin):
    metrics = standin_run(tmp_path / "run", *standin, seed=0)
    # Margins over seeds 0-9 and kernel capabilities: `python -m tests.learning_margins` (docs/performance.md).
    assert metrics["auc"] > AUC_THRESHOLD and metrics["accuracy_mean"] > THRESHOLD, metrics
