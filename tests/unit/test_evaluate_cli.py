"""`synface evaluate`: a hand-computed protocol result through the CLI, and model evaluation end to end."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import torch
from face_files import released_checkpoint

from synface.cli import main
from synface.data.storage import DatasetWriter, empty_metadata
from synface.errors import SynfaceError
from synface.evaluate.verify import evaluate_model, evaluate_model_on
from synface.models.lresnet import build_backbone
from synface.protocol import protocol_folds
from synface.runtime import modelfile

KEYS = {"accuracy_mean", "accuracy_std", "fold_accuracy", "fold_threshold", "auc", "tar_at_far_1e-3"}


def run_cli(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_scores_file_gives_the_hand_computed_protocol_result(tmp_path, capsys):
    # 10 folds of 2 genuine (0.9) + 2 impostor (0.1) pairs; fold 0's first impostor scores 0.95.
    # Every fold but 0 trains on data with that one error for any threshold in [0.1, 0.9):
    # the largest grid value, 0.895, wins; fold 0 trains error-free on the same range.
    # Fold 0 then misclassifies its 0.95 impostor: 3/4; the others 4/4.
    same = np.tile([True, True, False, False], 10)
    scores = np.where(same, 0.9, 0.1)
    scores[2] = 0.95
    path = tmp_path / "scores.csv"
    pd.DataFrame({"score": scores, "same": same.astype(int)}).to_csv(path, index=False)
    code, out, _ = run_cli(["evaluate", "--scores", path, "--out", tmp_path / "m.json"], capsys)
    assert code == 0 and len(out.splitlines()) == 1
    metrics = json.loads(out)
    assert set(metrics) == KEYS
    assert metrics["fold_accuracy"] == [0.75] + [1.0] * 9
    assert metrics["fold_threshold"] == pytest.approx([0.895] * 10)
    assert metrics["accuracy_mean"] == pytest.approx(0.975)
    assert metrics["accuracy_std"] == pytest.approx(0.075)  # population std of nine 1.0s and one 0.75
    assert metrics["auc"] == pytest.approx(19 / 20)  # genuine 0.9 beats 19 of the 20 impostors
    assert metrics["tar_at_far_1e-3"] == 0.0  # 20 impostors allow no false accept: threshold 0.95
    assert json.loads((tmp_path / "m.json").read_text()) == metrics


def write_pair_dataset(path, seed=0, n_folds=10):
    """12 identities x 4 random images; 10 groups of 2 genuine + 2 impostor pairs, in n_folds folds."""
    n_ids, per_id = 12, 4
    meta = empty_metadata(n_ids * per_id)
    meta["identity"] = np.repeat(np.arange(n_ids), per_id)
    meta["image"] = np.tile(np.arange(per_id), n_ids)
    rng = np.random.default_rng(seed)
    rows = []
    for group in range(10):
        a, fold = group % n_ids, group * n_folds // 10
        rows += [(a * per_id, a * per_id + 1, True, fold), (a * per_id + 2, a * per_id + 3, True, fold)]
        rows += [
            (a * per_id, ((a + 1) % n_ids) * per_id, False, fold),
            (a * per_id + 1, ((a + 5) % n_ids) * per_id + 2, False, fold),
        ]
    with DatasetWriter(path, 64, 64) as w:
        w.append(rng.integers(0, 256, (n_ids * per_id, 64, 64, 3), dtype=np.uint8), meta)
        w.set_pairs(pd.DataFrame(rows, columns=["left", "right", "same", "fold"]))
    return path


@pytest.fixture
def pair_dataset(tmp_path):
    return write_pair_dataset(tmp_path / "lfw")


def model_file(path, arch="lresnet10e_ir_tiny", claimed_arch=None, seed=0):
    torch.manual_seed(seed)
    backbone = build_backbone(arch, (32, 32), 16)
    config = {"arch": claimed_arch or arch, "input_hw": [32, 32], "embedding": 16}
    modelfile.save(path, modelfile.model_payload(backbone, config))
    return path


def test_model_on_pair_dataset_end_to_end(tmp_path, pair_dataset, capsys):
    model = model_file(tmp_path / "model.pt")
    scores_out = tmp_path / "scores.csv"
    code, out, err = run_cli(
        ["evaluate", "--model", model, "--dataset", pair_dataset, "--scores-out", scores_out, "--threads", 2], capsys
    )
    assert code == 0, err
    metrics = json.loads(out)
    assert set(metrics) == KEYS and len(metrics["fold_accuracy"]) == 10
    scores = pd.read_csv(scores_out)
    assert list(scores.columns) == ["left", "right", "same", "fold", "score"] and len(scores) == 40
    assert scores["score"].between(-1, 1).all()
    # the written scores reproduce the metrics through --scores
    code, again, _ = run_cli(["evaluate", "--scores", scores_out], capsys)
    assert code == 0 and json.loads(again) == metrics
    # the flip test adds the mirrored images' embeddings, so the scores change
    flipped_out = tmp_path / "flipped.csv"
    code, _, _ = run_cli(
        ["evaluate", "--model", model, "--dataset", pair_dataset, "--flip", "--scores-out", flipped_out], capsys
    )
    assert code == 0
    assert not np.allclose(pd.read_csv(flipped_out)["score"], scores["score"])


def test_one_loaded_model_over_several_datasets_equals_one_evaluation_each(tmp_path, pair_dataset):
    model = model_file(tmp_path / "model.pt")
    other = write_pair_dataset(tmp_path / "syn_lfw", seed=1)
    together = evaluate_model_on(model, [pair_dataset, other], threads=1)
    assert together == [evaluate_model(model, pair_dataset, threads=1), evaluate_model(model, other, threads=1)]
    assert together[0] != together[1]


def test_pairs_must_come_in_contiguous_equal_folds():
    assert protocol_folds(np.array([0, 0, 1, 1, 2, 2]), "p") == 3
    with pytest.raises(SynfaceError, match="contiguous folds"):
        protocol_folds(np.array([0, 1, 0, 1]), "p")
    with pytest.raises(SynfaceError, match=r"fold sizes \[3, 1\]"):
        protocol_folds(np.array([0, 0, 0, 1]), "p")


def test_a_two_fold_set_scores_the_same_from_its_scores_file(tmp_path, capsys):
    dataset = write_pair_dataset(tmp_path / "two_folds", n_folds=2)
    model = model_file(tmp_path / "model.pt")
    scores_out = tmp_path / "scores.csv"
    code, out, err = run_cli(["evaluate", "--model", model, "--dataset", dataset, "--scores-out", scores_out], capsys)
    assert code == 0, err
    direct = json.loads(out)
    assert len(direct["fold_accuracy"]) == 2
    code, again, err = run_cli(["evaluate", "--scores", scores_out], capsys)
    assert code == 0, err
    assert json.loads(again) == direct  # the scores file's fold column, not 10 folds of its rows


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        (["--out", "{model}"], "{model}: --out would overwrite --model {model}"),
        (["--scores-out", "{model}"], "{model}: --scores-out would overwrite --model {model}"),
        (["--scores-out", "{dataset}/pairs.csv"], "{dataset}/pairs.csv: --scores-out lies inside --dataset {dataset}"),
        (["--out", "{dataset}/../lfw/dataset.json"], "--out lies inside --dataset {dataset}"),
        (["--out", "{tmp}/m.json", "--scores-out", "{tmp}/m.json"], "--scores-out and --out name the same file"),
    ],
)
def test_an_output_that_is_an_input_is_refused_naming_both(tmp_path, pair_dataset, capsys, outputs, message):
    model = model_file(tmp_path / "model.pt")
    names = {"model": model, "dataset": pair_dataset, "tmp": tmp_path}
    before = {p: p.read_bytes() for p in [model, *pair_dataset.iterdir()]}
    argv = ["evaluate", "--model", model, "--dataset", pair_dataset, *(a.format(**names) for a in outputs)]
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert message.format(**names) in err
    assert {p: p.read_bytes() for p in before} == before


def test_scores_file_given_as_the_output_is_refused(tmp_path, capsys):
    scores = tmp_path / "scores.csv"
    scores.write_text("score,same\n" + "0.9,1\n0.1,0\n" * 10)
    code, _, err = run_cli(["evaluate", "--scores", scores, "--out", scores], capsys)
    assert code == 2 and f"{scores}: --out would overwrite --scores {scores}" in err
    assert scores.read_text().startswith("score,same\n0.9,1")


def test_pairs_outside_the_images_are_refused_naming_file_and_line(tmp_path, pair_dataset, capsys):
    model = model_file(tmp_path / "model.pt")
    pairs_file = pair_dataset / "pairs.csv"
    lines = pairs_file.read_text().splitlines()
    lines[3] = "-1," + lines[3].split(",", 1)[1]
    pairs_file.write_text("\n".join(lines) + "\n")
    code, _, err = run_cli(["evaluate", "--model", model, "--dataset", pair_dataset], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert f"{pairs_file}:4: left '-1' is not an image index 0..47" in err


def test_model_of_another_architecture_names_mismatched_keys(tmp_path, pair_dataset, capsys):
    model = model_file(tmp_path / "model.pt", arch="lresnet10e_ir_tiny", claimed_arch="lresnet10e_ir")
    code, _, err = run_cli(["evaluate", "--model", model, "--dataset", pair_dataset], capsys)
    assert code == 2 and "shape mismatch: conv1.weight" in err


def test_bad_invocations_are_one_line_errors(tmp_path, pair_dataset, capsys):
    model = model_file(tmp_path / "model.pt")
    code, _, err = run_cli(["evaluate", "--model", model], capsys)
    assert code == 2 and "needs --dataset" in err
    not_a_model = tmp_path / "x.pt"
    torch.save({"weights": torch.zeros(1)}, not_a_model)
    code, _, err = run_cli(["evaluate", "--model", not_a_model, "--dataset", pair_dataset], capsys)
    assert code == 2 and "expected a synface-model/1 file" in err


RELEASED_ARGS = ["--arch", "lresnet10e_ir_tiny", "--input", "32x32", "--embedding", 16]


@pytest.mark.parametrize("wrap", [True, False], ids=["official-dict", "bare-state-dict"])
def test_a_released_checkpoint_scores_as_the_same_weights_in_a_model_file(tmp_path, pair_dataset, capsys, wrap):
    ours = model_file(tmp_path / "model.pt")
    state = modelfile.load(ours, modelfile.MODEL_FORMAT)["state_dict"]
    released = released_checkpoint(tmp_path / "model_10k_50_idmix_9197.pth.tar", state, wrap)
    code, expected, err = run_cli(["evaluate", "--model", ours, "--dataset", pair_dataset], capsys)
    assert code == 0, err
    code, out, err = run_cli(["evaluate", "--model", released, *RELEASED_ARGS, "--dataset", pair_dataset], capsys)
    assert code == 0, err
    assert json.loads(out) == json.loads(expected)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # another architecture: every stage's channels differ
        (["--arch", "lresnet10e_ir", "--input", "32x32", "--embedding", 16], r"shape mismatch: conv1\.weight \(8, 3"),
        # another input size: the embedding layer sees a 3x3 instead of a 2x2 feature map
        (
            ["--arch", "lresnet10e_ir_tiny", "--input", "48x48", "--embedding", 16],
            r"fc\.3\.weight \(16, 256\) vs model \(16, 576\)",
        ),
        # another embedding size
        (["--arch", "lresnet10e_ir_tiny", "--input", "32x32"], r"fc\.4\.weight \(16,\) vs model \(512,\)"),
    ],
    ids=["arch", "input", "embedding"],
)
def test_a_released_checkpoint_of_another_backbone_names_the_mismatched_shapes(
    tmp_path, pair_dataset, capsys, args, message
):
    state = modelfile.load(model_file(tmp_path / "model.pt"), modelfile.MODEL_FORMAT)["state_dict"]
    released = released_checkpoint(tmp_path / "released.pth.tar", state)
    code, out, err = run_cli(["evaluate", "--model", released, *args, "--dataset", pair_dataset], capsys)
    assert code == 2 and out == "" and len(err.splitlines()) == 1, err
    assert re.search(rf"released\.pth\.tar does not fit the model; .*{message}", err), err


def test_missing_and_unexpected_keys_are_all_counted_in_one_line(tmp_path, pair_dataset, capsys):
    state = modelfile.load(model_file(tmp_path / "model.pt"), modelfile.MODEL_FORMAT)["state_dict"]
    del state["fc.3.weight"], state["fc.3.bias"]
    state.update({f"classifier.{i}.weight": torch.zeros(1) for i in range(9)})  # e.g. a head saved alongside
    released = released_checkpoint(tmp_path / "released.pth.tar", state)
    code, _, err = run_cli(["evaluate", "--model", released, *RELEASED_ARGS, "--dataset", pair_dataset], capsys)
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "missing: fc.3.weight, fc.3.bias; unexpected: classifier.0.weight, " in err
    assert "classifier.5.weight, ... (3 more)" in err
