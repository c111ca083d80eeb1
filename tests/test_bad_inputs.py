"""Bad inputs, command by command: one line naming the culprit, exit code 2, nothing left behind.

Config errors are caught when the Snakefile builds `Experiments` (or validates the schema),
before the first job; CLI errors before any output is written.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from synface.cli import main
from synface.errors import SynfaceError
from synface.experiment_checks import check_experiments
from synface.experiments import Experiments, load_config
from synface.train import checkpoint as ckpt

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((ROOT / "config/config.yaml").read_text())


def _grid(*names: str) -> dict:
    """The default config with a grid of just these training sets (and no other sets to train)."""
    config = copy.deepcopy(DEFAULT)
    config["experiments"] = {"width_depth": [{"row": "x", "train": name} for name in names]}
    config["feature_distribution"]["sets"] = []
    config["manifest"] = []
    return config


def _set(path: str, value: object, config: dict | None = None) -> dict:
    """The default config (or `config`) with the dotted key `path` set to `value`."""
    config = copy.deepcopy(DEFAULT) if config is None else config
    *parents, leaf = path.split(".")
    node = config
    for key in parents:
        node = node[key]
    node[leaf] = value
    return config


# (id, config, what the one-line message must name)
CONFIG_CASES = [
    ("zero-images-per-identity", _grid("Syn_5K_0"), r"Syn_5K_0.* 0 images per identity"),
    ("zero-identities", _grid("Syn_0K_4"), r"Syn_0K_4: 0 identities / scale\.identity_divisor 50 = 0"),
    ("scales-to-one-identity", _grid("Real_0.05K_4"), r"Real_0\.05K_4: 50 identities / scale\.identity_divisor"),
    (
        "real-domain-scales-to-one-identity",
        _set("real_domain.train_identities", 60),
        r"real_domain\.train_identities: 60 identities / scale\.identity_divisor 50 = 1",
    ),
    (
        "identity-mixup-cannot-fill",
        _grid("Syn_1K_50_IM", "Syn_1K_5_IM"),
        r"^Syn_1K_50_IM \(base set all_im: 20 identities x 50 images at scale\.identity_divisor 50\): identity mixup",
    ),
    (
        "batch-larger-than-a-synthetic-set",
        _grid("Syn_1K_5"),
        r"training\.batch = 128 exceeds the 100 images of training set Syn_1K_5",
    ),
    (
        "batch-larger-than-a-real-subset",
        _grid("Real_1K_5"),
        r"training\.batch = 128 exceeds the \d+ images of training set Real_1K_5",
    ),
    (
        "batch-larger-than-the-real-set",
        _set("training.batch", 100_000),
        r"training\.batch = 100000 exceeds the \d+ images of training set Real$",
    ),
    (
        "tuning-candidate-batch",
        _set("tuning.candidates.cosface_m35", {"margin": 0.35, "batch": 100_000}),
        r"tuning\.candidates\.cosface_m35\.batch = 100000 exceeds the \d+ images of training set Real$",
    ),
]


@pytest.mark.parametrize("config, culprit", [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES])
def test_experiments_refuse_a_bad_config_in_one_line(config, culprit):
    with pytest.raises(SynfaceError, match=culprit) as err:
        check_experiments(Experiments(config))
    assert "\n" not in str(err.value)


def test_the_shipped_configs_still_build():
    for name in ("config/config.yaml", "config/smoke.yaml", "config/paper.yaml"):
        check_experiments(Experiments(load_config(ROOT / name, ROOT)))


SEED_CASES = [
    ("negative", {"seeds": [-1, 0]}, r"-1 is less than the minimum of 0 .*\['seeds'\]"),
    ("huge", {"seeds": [2**32]}, r"4294967296 is greater than the maximum .*\['seeds'\]"),
    ("negative-tuning", {"tuning": {"seeds": [-1]}}, r"-1 is less than .*\['tuning'\]\['properties'\]\['seeds'\]"),
]


@pytest.mark.parametrize("overlay, culprit", [c[1:] for c in SEED_CASES], ids=[c[0] for c in SEED_CASES])
def test_the_schema_refuses_bad_seeds(tmp_path, overlay, culprit):
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump(overlay))
    with pytest.raises(SynfaceError, match=r"overlay\.yaml: .*" + culprit) as err:
        load_config(path, ROOT)
    assert "\n" not in str(err.value)


def test_a_dry_run_refuses_a_bad_overlay_before_the_first_job(tmp_path):
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(yaml.safe_dump({"training": {"batch": 100_000}}))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    snakemake = Path(sys.executable).with_name("snakemake")
    run = subprocess.run(
        [str(snakemake), "-n", "--configfile", str(overlay)],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0
    assert "training.batch = 100000 exceeds the" in run.stdout + run.stderr


class _Unsafe:
    """Unpickles as a call of os.mkdir(marker): a pickle payload a weights-only load refuses."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def _scores(path: Path, rows: list[str]) -> None:
    path.write_text("score,same\n" + "\n".join(rows) + "\n")


# (id, argv with {tmp}, one-line message); every case writes to {tmp}/out
CLI_CASES = [
    ("render-negative-seed", "render --ids 3 --per-id 2 --seed -1 --out {tmp}/out", r"--seed -1: must be >= 0"),
    (
        "render-huge-seed",
        f"render --ids 3 --per-id 2 --seed {2**32} --out {{tmp}}/out",
        r"--seed 4294967296: must be <",
    ),
    ("render-ids-not-whole", "render --ids 1e11 --per-id 2 --out {tmp}/out", r"--ids '1e11' is not a whole number"),
    (
        "render-too-many-images",
        "render --ids 100000000000 --per-id 2 --out {tmp}/out",
        r"--ids 100000000000 x --per-id 2 = 200,000,000,000 images; one call renders at most 1,000,000",
    ),
    (
        "render-real-too-many-images",
        "render --domain real --ids 1000 --per-id 1001 --out {tmp}/out",
        r"= 1,001,000 images",
    ),
    ("train-negative-seed", "train --syn {tmp}/syn --seed -5 --out {tmp}/out", r"--seed -5: must be >= 0"),
    (
        "train-huge-seed",
        f"train --syn {{tmp}}/syn --seed {2**40} --out {{tmp}}/out",
        r"--seed 1099511627776: must be <",
    ),
    ("train-batch-0", "train --syn {tmp}/syn --batch 0 --out {tmp}/out", r"batch must be >= 1, got 0"),
    (
        "evaluate-batch-0",
        "evaluate --model {tmp}/model.pt --dataset {tmp}/lfw --batch 0 --out {tmp}/out",
        r"--batch 0: must be >= 1",
    ),
    (
        "evaluate-text-model",
        "evaluate --model {tmp}/notes.txt --dataset {tmp}/lfw --out {tmp}/out",
        r"notes\.txt: not a synface model or checkpoint",
    ),
    (
        "evaluate-pickle-model",
        "evaluate --model {tmp}/pickle.pt --dataset {tmp}/lfw --out {tmp}/out",
        r"pickle\.pt: refused as unsafe",
    ),
    (
        "evaluate-released-pickle",
        "evaluate --model {tmp}/pickle.pt --arch lresnet10e_ir_tiny --input 32x32 --dataset {tmp}/lfw --out {tmp}/out",
        r"pickle\.pt: not a weights-only PyTorch checkpoint",
    ),
    (
        "evaluate-released-text",
        "evaluate --model {tmp}/notes.txt --arch lresnet50e_ir --input 112x96 --dataset {tmp}/lfw --out {tmp}/out",
        r"notes\.txt: not a weights-only PyTorch checkpoint",
    ),
    (
        "evaluate-arch-without-input",
        "evaluate --model {tmp}/model.pt --arch lresnet50e_ir --dataset {tmp}/lfw --out {tmp}/out",
        r"--arch and --input go together",
    ),
    (
        "evaluate-unknown-arch",
        "evaluate --model {tmp}/model.pt --arch resnet50 --input 112x96 --dataset {tmp}/lfw --out {tmp}/out",
        r"unknown architecture 'resnet50'; known: lresnet50e_ir",
    ),
    (
        "evaluate-bad-input-size",
        "evaluate --model {tmp}/model.pt --arch lresnet50e_ir --input 112 --dataset {tmp}/lfw --out {tmp}/out",
        r"input size '112' is not HxW",
    ),
    ("evaluate-same-not-boolean", "evaluate --scores {tmp}/yes.csv --out {tmp}/out", r"yes\.csv:3: same 'yes' is not"),
    (
        "evaluate-score-not-cosine",
        "evaluate --scores {tmp}/range.csv --out {tmp}/out",
        r"range\.csv:2: score '1.5' is outside \[-1, 1\]",
    ),
]


@pytest.mark.parametrize("argv, culprit", [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_the_cli_refuses_a_bad_input_in_one_line(tmp_path, capsys, argv, culprit):
    (tmp_path / "notes.txt").write_text("not a model\n")
    torch.save({"format": ckpt.MODEL_FORMAT, "payload": _Unsafe(tmp_path / "unpickled")}, tmp_path / "pickle.pt")
    _scores(tmp_path / "yes.csv", ["0.5,1", "0.5,yes"])
    _scores(tmp_path / "range.csv", ["1.5,1", "0.5,0"])
    code = main(argv.format(tmp=tmp_path).split())
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("synface: error: ") and re.search(culprit, err), err
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "unpickled").exists()  # the payload never ran
