"""What a researcher reads through DVC on a clone with no cache and no internet: `dvc metrics show`
as a table, `dvc plots show` with its scripts inline, and `dvc exp run --dry` as docs/pipeline.md
writes it."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from dvc_plans import planned_dvc_yaml
from repo_copy import BIN, ROOT, fresh_repo, run

from synface.config import load_config
from synface.experiments import Experiments
from synface.layout import summary_files

DVC = str(BIN / "dvc")
TEMPLATE = ROOT / "workflow/plots/offline.html"


def dvc_repo(path: Path, document: dict) -> dict:
    """A git and DVC repository holding `document` as its dvc.yaml."""
    run(["git", "init", "-q"], path)
    run([DVC, "init", "-q"], path)
    (path / "dvc.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return document


@pytest.fixture(scope="module")
def default():
    config = load_config(ROOT / "config/config.yaml", ROOT)
    return config, planned_dvc_yaml()


def test_metrics_show_prints_one_short_line_per_table_row(tmp_path, default):
    config, document = default
    dvc_repo(tmp_path, {"stages": {"metrics_summary": document["stages"]["metrics_summary"]}})
    files = summary_files(Experiments(config).grid())
    for k, name in enumerate(files):
        tests = ("lfw", "syn_lfw") if "cross_domain" in name else ("lfw",)
        values = {f"{t}_{s}": 70.0 + k for t in tests for s in ("accuracy", "ci_low", "ci_high")}
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(json.dumps(values))
    lines = run([DVC, "metrics", "show"], tmp_path).splitlines()
    assert lines[0].split() == [
        "Path",
        *(f"{t}_{s}" for t in ("lfw", "syn_lfw") for s in ("accuracy", "ci_high", "ci_low")),
    ]
    assert [line.split()[0] for line in lines[1:]] == files  # in dvc.yaml's order, the tables'
    assert max(map(len, lines)) <= 160  # was one line of 5,994 characters


def test_plots_show_renders_every_plot_offline(tmp_path, default):
    """Every plot of dvc.yaml on the page, with its data, and no script from the web."""
    _, document = default
    dvc_repo(tmp_path, {"plots": document["plots"]})
    names = [next(iter(p)) if isinstance(p, dict) else p for p in document["plots"]]
    for name in names:
        if name.startswith("results/"):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, tmp_path / name)  # the committed tables and figures
    (curves,) = [p["training_loss"]["y"] for p in document["plots"] if isinstance(p, dict) and "training_loss" in p]
    for k, steps in enumerate(curves):  # the runs' steps files, hand-built
        (tmp_path / steps).parent.mkdir(parents=True)
        (tmp_path / steps).write_text(
            "step,epoch,loss,lr\n" + "".join(f"{s},0,{9.5 - k - s / 10:.3f},0.1\n" for s in range(5))
        )
    shown = run([DVC, "plots", "show", "--html-template", str(TEMPLATE), "-o", "out"], tmp_path)
    assert "failed" not in shown
    page = (tmp_path / "out/index.html").read_text()
    assert not re.search(r"src=[\"']?(https?:)?//", page), "a script or image from the web"
    for name in names:
        if name.endswith(".png"):
            assert f'src="static/workspace_{name.replace("/", "_")}"' in page
        else:
            assert f"vegaEmbed('#{re.sub(r'[^a-zA-Z0-9]', '_', name)}'" in page
    assert '"loss": "8.100"' in page or '"loss": 8.1' in page  # the second run's last step
    for table in ("width_depth", "attributes"):
        with open(ROOT / f"results/tables/{table}.csv") as handle:
            first = handle.readlines()[1].split(",")
        assert json.dumps(first[2]) in page  # a training set's name, a bar's label


def test_exp_run_dry_as_documented_on_the_default_config(tmp_path):
    """`--dry` runs in a temporary copy of the git tree, without the data: `-f` skips DVC's run-cache
    lookup, which would hash the missing inputs (docs/pipeline.md § DVC)."""
    fresh_repo(tmp_path, "config/config.yaml")
    shutil.copy(ROOT / "dvc.yaml", tmp_path / "dvc.yaml")  # this tree's generator, not the venv's
    run(["git", "commit", "-qam", "this dvc.yaml", "--allow-empty"], tmp_path)
    command = re.search(r"^(dvc exp run --dry .*?)\s+#", (ROOT / "docs/pipeline.md").read_text(), re.MULTILINE)
    assert command, "docs/pipeline.md shows the dry run"
    out = run([DVC, *shlex.split(command[1])[1:]], tmp_path)
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    assert sorted(re.findall(r"Running stage .(\w+).", out)) == sorted(stages)
    status = subprocess.run(["git", "status", "--porcelain"], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert status.stdout == ""  # the config is as it was
    show = re.search(r"^(dvc exp show .*)$", (ROOT / "docs/pipeline.md").read_text(), re.MULTILINE)
    assert show, "docs/pipeline.md shows a readable dvc exp show"
    table = run([DVC, *shlex.split(show[1])[1:]], tmp_path).splitlines()
    kept = {"Experiment", "training.epochs", "results/summary/width_depth/Syn_10K_50_IM.json:lfw_accuracy"}
    columns = [c.strip() for c in table[0].split("|")[1:-1]]
    assert {"Experiment", "training.epochs"} <= set(columns) <= kept and max(map(len, table)) <= 120
