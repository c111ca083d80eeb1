"""docs/paper_scale.md, run as written on tiny data: every command of its ```bash blocks.

The commands are read from that file itself (`doc_commands`), so the test fails when the document
and the code disagree. They run in order, with bash (brace expansion, comments), in a fresh copy of
the repository (`repo_copy.fresh_repo`, with the committed world's dvc.yaml as a clone has it), whose
`.venv` links to this venv. Each command is then checked by the one entry of CHECKS its words match;
a command without a check, or a check without its command, fails the test. The commands that need
GPUs (ELSEWHERE: `torchrun`, the GPU check script) are not run here but must be in the document; the
tests named there run their code on the CPU.

What differs from the document, and nothing else:

* the copy's `config/paper.yaml` has the official releases' list uncommented, as § The official
  released checkpoints says;
* every `/data/...` path becomes `<tmp>/data/...`, in the commands and in the copy's
  `config/paper.yaml` (its imports and released checkpoints), where the test has written tiny data in
  the official formats: a CASIA-WebFace folder of identity folders, an aligned LFW folder and a raw one
  (scikit-image's astronaut, for MTCNN) with a 10-fold View 2 `pairs.txt`, insightface's
  `faces_webface_112x112` (`train.rec`/`train.idx`/`property` and the four benchmarks' `.bin` packs)
  and the four released checkpoints (one random LResNet50E-IR state dict as the official `train.py`
  saves it, under the four official names);
* the two `snakemake ... paper` commands get `--dry-run` (the paper world trains for days); the
  benchmark imports before them run for real;
* the document offers alternatives that write the same dataset (`import rec` or `import imagefolder`,
  `align` for raw photos): an import's `--out` folder that an earlier command made is removed first.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml
from face_files import (
    astronaut_lfw,
    pack_images,
    photo,
    random_image,
    released_checkpoint,
    ten_fold_pairs,
    write_images,
)
from repo_copy import BIN, ROOT, fresh_repo, job_field, planned_jobs, run
from test_recordio import IDENTITY_RECORDS, training_set, write_rec
from test_released import with_official_releases

from synface.config import load_config
from synface.data.pairs import write_pairs
from synface.data.storage import Dataset
from synface.experiments import Experiments
from synface.layout import RELEASED_TABLE, evaluation_set_path, in_world, real_train_path
from synface.models.lresnet import build_backbone
from synface.naming import BENCHMARKS

DOC = ROOT / "docs/paper_scale.md"  # the paper-scale walk-through (the README links it)
LFW_COUNTS = {"Ann": 2, "Bob": 2}  # astronaut_lfw's names and images; 10 folds of 2 pairs
PACK_PAIRS = 10
TEST_SETS = {"lfw", "syn_lfw", *BENCHMARKS}  # the paper world's, each model evaluated on all


def doc_commands(text: str) -> list[str]:
    """The shell commands of every ```bash block of a Markdown document, in order.

    A line ending in a backslash continues on the next; comments are dropped, but a command commented
    out (`# .venv/bin/...`: an alternative the document offers) is kept as one.
    """
    commands = []
    for block in re.findall(r"^```bash\n(.*?)^```$", text, re.DOTALL | re.MULTILINE):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line.startswith("# .venv/bin/"):
                line = line.removeprefix("# ")
            line = re.sub(r"(^|\s+)#\s.*", "", line)
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def on_tiny_data(text: str, data: Path) -> str:
    """`text` with every absolute `/data/` path under `data`."""
    return re.sub(r"(?<![\w.])/data/", f"{data}/", text)


DRY_RUN = r"snakemake\s(.*\s)?paper(\s|$)"  # the commands that run the paper world (target `paper`): dry runs


def test_doc_parser_reads_blocks_continuations_and_alternatives():
    doc = (
        "# Title\n```bash\nz\n```\n"
        "## Part\n\ntext\n\n```bash\na --x /data/y   # why\n# prose\n# .venv/bin/b\n\n"
        "c \\\n    --d\n```\n```python\nnot python\n```\n### Sub\n```bash\ne\n```\n```\nnot bash\n```\n"
    )
    assert doc_commands(doc) == ["z", "a --x /data/y", ".venv/bin/b", "c      --d", "e"]
    assert on_tiny_data("x /data/a data/b --p=/data/c", Path("/t")) == "x /t/a data/b --p=/t/c"


# ---------------------------------------------------------------- tiny data under the document's /data paths


def write_tiny_data(data: Path, paper: dict) -> None:
    rng = np.random.default_rng(0)
    casia = {f"{i:07d}/{j:03d}.jpg": random_image(rng, 120, 100) for i in range(3) for j in range(2)}
    write_images(data / "CASIA-WebFace", casia)  # not 112x96: the document imports it with --align resize
    raw = photo("astronaut.png", 256)
    grey = np.full((64, 64, 3), 128, np.uint8)
    write_images(data / "CASIA-WebFace-raw", {"ann/1.png": raw, "ann/2.png": grey, "bob/1.png": raw[:, ::-1]})
    write_images(data / "lfw", astronaut_lfw())
    write_pairs(data / "lfw/pairs.txt", ten_fold_pairs(LFW_COUNTS))
    write_images(data / "lfw-112x96", {path: random_image(rng) for path in astronaut_lfw()})  # aligned: 112x96
    records, _, _ = training_set(rng)
    write_rec(data / "faces_webface_112x112", records)
    for benchmark in BENCHMARKS:
        _, bins = pack_images(rng, 2 * PACK_PAIRS)
        issame = [bool(k % 2) for k in range(PACK_PAIRS)]
        (data / f"faces_webface_112x112/{benchmark}.bin").write_bytes(pickle.dumps((bins, issame), protocol=2))
    state = build_backbone("lresnet50e_ir", (112, 96), 512).state_dict()
    first, *others = [Path(c["path"]) for c in paper["released_checkpoints"]]
    first.parent.mkdir(parents=True)
    released_checkpoint(first, state)
    for path in others:
        os.link(first, path)  # the same weights under each official name: 167 MB once


# ---------------------------------------------------------------- what each command must have done


def _json(output: str) -> dict:
    """The one JSON line a synface command prints last."""
    return json.loads(output.strip().splitlines()[-1])


def _dataset(repo: Path, path: str, images: int, pairs: int) -> None:
    ds = Dataset.open(repo / path)
    assert (len(ds), ds.height, ds.width) == (images, 112, 96), path
    if pairs:
        assert len(ds.pairs) == pairs and sorted(set(ds.pairs["fold"])) == list(range(10)), path
    else:
        assert ds.pairs is None, path


def imported_casia(repo: Path, command: str, output: str) -> None:
    assert _json(output) == {"identities": 3, "images": 6, "pairs": 0}
    _dataset(repo, real_train_path("paper"), 6, 0)


def imported_rec(repo: Path, command: str, output: str) -> None:
    images = sum(len(keys) for keys in IDENTITY_RECORDS.values())
    assert _json(output) == {"identities": len(IDENTITY_RECORDS), "images": images, "pairs": 0}
    _dataset(repo, real_train_path("paper"), images, 0)


def imported_lfw(repo: Path, command: str, output: str) -> None:
    counts = {"identities": len(LFW_COUNTS), "images": sum(LFW_COUNTS.values()), "pairs": 20}
    assert _json(output) == ({**counts, "no_face": 0} if "--align mtcnn" in command else counts)
    _dataset(repo, evaluation_set_path("lfw", world="paper"), counts["images"], 20)


def imported_benchmarks(repo: Path, command: str, output: str) -> None:
    for benchmark in BENCHMARKS:
        _dataset(repo, evaluation_set_path(benchmark, world="paper"), 2 * PACK_PAIRS, PACK_PAIRS)


def wrote_paper_dvc_yaml(repo: Path, command: str, output: str) -> None:
    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    assert "table_released_checkpoints" in stages and real_train_path("paper") in stages["models"]["deps"]


def added_to_dvc(repo: Path, command: str, output: str) -> None:
    files = [
        f"{folder}.dvc"
        for folder in (
            real_train_path("paper"),
            evaluation_set_path("lfw", world="paper"),
            *(evaluation_set_path(b, world="paper") for b in BENCHMARKS),
        )
    ]
    for file in files:
        assert yaml.safe_load((repo / file).read_text())["outs"][0]["path"] == Path(file).stem
    assert "up to date" in run([str(BIN / "dvc"), "status", *files], repo)


def planned_the_paper(repo: Path, command: str, output: str) -> None:
    jobs = planned_jobs(output)
    assert jobs and not [job for job in jobs if job.startswith("import_")], output[-3000:]  # all imported above
    table = [job for job in jobs if job.startswith("released_checkpoints:")]
    assert len(table) == 1 and job_field(table[0], "output") == in_world(RELEASED_TABLE, "paper")
    config = load_config(repo / "config/paper.yaml", repo)
    assert all(c["path"] in job_field(table[0], "input") for c in config["released_checkpoints"])
    evaluations = [job_field(job, "output").split(", ") for job in jobs if job.startswith("evaluate:")]
    assert len(evaluations) == len(Experiments(config).runs())
    assert all({Path(out).stem for out in outs} == TEST_SETS for outs in evaluations)


def evaluated(repo: Path, command: str, output: str) -> None:
    metrics = _json(output)
    assert {"accuracy_mean", "accuracy_std", "auc", "tar_at_far_1e-3"} <= set(metrics)
    folds = metrics["fold_accuracy"]  # 10 folds of one genuine and one impostor pair
    assert len(folds) == 10 and set(folds) <= {0, 0.5, 1} and metrics["accuracy_mean"] == pytest.approx(np.mean(folds))


def aligned(repo: Path, command: str, output: str) -> None:
    assert _json(output) == {"identities": 2, "images": 2, "no_face": 1, "pairs": 0}  # the grey photo left out
    _dataset(repo, real_train_path("paper"), 2, 0)


CHECKS: dict[str, Callable[[Path, str, str], None]] = {  # a command's words (regex) -> its check
    r"synface import imagefolder ": imported_casia,
    r"synface import rec ": imported_rec,
    r"synface import lfw ": imported_lfw,
    r"snakemake data/paper/test/": imported_benchmarks,
    r"synface dvc-yaml --config config/paper.yaml": wrote_paper_dvc_yaml,
    r"dvc add ": added_to_dvc,
    DRY_RUN: planned_the_paper,
    r"synface evaluate ": evaluated,
    r"synface align ": aligned,
}
ELSEWHERE = {  # commands that need GPUs: in the document, not run here (a command's words -> its test)
    r"torchrun .*-m synface train ": "tests/unit/test_distributed.py",  # 2 CPU processes (gloo)
    r"-m synface\.train\.gpu_checks": "tests/unit/test_gpu_checks.py",  # --smoke, on any device
}


@pytest.mark.slow  # ≈ 75 s of CPU: 4 Snakemake runs of the paper DAG, LResNet50E-IR, MTCNN
def test_the_paper_scale_walkthrough_runs_as_written(tmp_path):
    repo, data = tmp_path / "repo", tmp_path / "data"
    repo.mkdir()
    fresh_repo(repo, dvc_config="config/config.yaml")  # as a clone has it
    (repo / ".venv").symlink_to(BIN.parent)
    paper = repo / "config/paper.yaml"
    paper.write_text(on_tiny_data(with_official_releases(paper.read_text()), data))
    write_tiny_data(data, yaml.safe_load(paper.read_text()))
    env = {**os.environ, "PYTHONPATH": str(repo)}  # the copy's code, not an editable install's
    used, left = [], []
    for doc_command in doc_commands(DOC.read_text()):
        checks = [check for words, check in CHECKS.items() if re.search(words, doc_command)]
        elsewhere = [words for words in ELSEWHERE if re.search(words, doc_command)]
        assert len(checks) + len(elsewhere) == 1, f"command with {len(checks)} checks, {elsewhere}: {doc_command}"
        if elsewhere:
            left += elsewhere
            continue
        command = on_tiny_data(doc_command, data) + (" --dry-run" if re.search(DRY_RUN, doc_command) else "")
        out = re.search(r"--out (\S+)", command)
        if out and (repo / out[1]).exists():  # an alternative import of a folder already made: in its place
            shutil.rmtree(repo / out[1])
        done = subprocess.run(
            ["bash", "-c", command], cwd=repo, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        print(f"$ {command}\n{done.stdout}")  # shown if a check fails
        checks[0](repo, command, done.stdout)
        used.append(checks[0])
    assert set(CHECKS.values()) <= set(used), "a check whose command is gone from the document"
    assert set(ELSEWHERE) <= set(left), "a GPU command gone from the document"
