"""A tiny CPU training run on the stand-in CASIA-WebFace clearly beats chance on the stand-in LFW."""

from __future__ import annotations

from synface.data.imagefiles import Alignment
from synface.data.importers import import_lfw
from synface.evaluate.verify import evaluate_model
from synface.realdomain.casia import generate_real_train
from synface.realdomain.lfw import write_standin_lfw
from synface.train.config import TrainConfig
from synface.train.loop import train


def test_tiny_real_training_beats_chance_on_standin_lfw(tmp_path):
    generate_real_train(tmp_path / "real", 40, seed=5, progress=False)
    write_standin_lfw(tmp_path / "lfwdir", 500, folds=10, pairs_per_fold=10, seed=6, progress=False)
    import_lfw(tmp_path / "lfwdir/lfw", tmp_path / "lfwdir/pairs.txt", tmp_path / "lfw", Alignment("none"))
    config = TrainConfig(
        out=tmp_path / "run", real=tmp_path / "real", arch="lresnet10e_ir_tiny", input_hw=(28, 24),
        embedding=64, epochs=4, batch=64, lr=0.1, seed=0, threads=1,
    )
    metrics = evaluate_model(train(config), tmp_path / "lfw", threads=1)
    # 200 pairs: chance is 0.5 with a standard error of about 0.035
    assert metrics["accuracy_mean"] > 0.6 and metrics["auc"] > 0.65, metrics
