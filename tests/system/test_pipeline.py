"""The whole DAG at toy size (config/smoke.yaml) through DVC, and a DVC remote round trip.

`dvc repro` runs every stage (each a Snakemake call), so this is also the end-to-end
smoke run of the DAG: every manifest target must appear. Then: push to a local remote,
clone, pull, and neither `dvc repro` nor Snakemake has anything left to do.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from repo_copy import BIN, SMOKE, fresh_repo, run, share_compiled_renderer

from synface.dvclock import lock_mismatches
from synface.layout import REPORT, TUNING_RESULTS, table_view_path

# about 10 minutes on 2 cores of an AMD EPYC without AVX-512, beside the rest of the suite
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline"), pytest.mark.timeout(1800)]


def _jobs(dry_run: str) -> list[str]:
    """The rule names of a Snakemake dry run's job table."""
    table = dry_run.split("Job stats:", 1)[1].split("total", 1)[0]
    return [line.split()[0] for line in table.splitlines()[3:] if line.strip()]


def test_smoke_dag_through_dvc_and_remote_round_trip(tmp_path):
    repo, clone, remote = tmp_path / "repo", tmp_path / "clone", tmp_path / "remote"
    repo.mkdir()
    fresh_repo(repo, renders=True)
    dvc = str(BIN / "dvc")
    run([dvc, "repro", "--quiet"], repo)
    manifest = yaml.safe_load((repo / SMOKE).read_text())["manifest"]
    for target in manifest:
        assert (repo / target).stat().st_size > 0, target
    assert "lfw" in run([dvc, "metrics", "show"], repo)
    assert "up to date" in run([dvc, "status"], repo)
    assert lock_mismatches(repo) == []  # the check the committed results face, on the tree alone
    _check_tuning_study(repo)
    # the report: every table also as an HTML view, under the workflow's description
    report = (repo / REPORT).read_text()
    for table in [t for t in manifest if t.endswith(".csv")]:
        assert "<td" in (repo / table_view_path(table)).read_text(), table
    assert "domain mixup" in report and "width_depth" in report

    # a library edit makes exactly the jobs and stages whose code it is stale, in both tools
    style = repo / "synface/figures/style.py"
    original, stat = style.read_text(), style.stat()
    style.write_text(original + "# an edit\n")
    stale = set(json.loads(run([dvc, "status", "--json"], repo)))
    figure_stages = {
        name for name in yaml.safe_load((repo / "dvc.yaml").read_text())["stages"] if name.startswith("figure_")
    }
    assert stale == figure_stages | {"tuning"}  # the tuning study draws a figure too
    snakemake = [str(BIN / "snakemake"), "--cores", "2", "paper", "--configfile", SMOKE]
    assert set(_jobs(run([*snakemake, "--dry-run"], repo))) - {"paper"} == {
        "figure_samples",
        "figure_identity_mixup",
        "figure_factor_variation",
        "figure_results",
        "figure_feature_distribution",
        "figure_training_curves",
    }
    style.write_text(original)
    os.utime(style, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the edit undone, time included
    # after a Snakemake run of what an edit made stale, DVC only records hashes
    curves = repo / "synface/figures/training_curves.py"
    curves.write_text(curves.read_text() + "# an edit\n")
    assert set(json.loads(run([dvc, "status", "--json"], repo))) == {"figure_training_curves"}
    assert "figure_training_curves" in run(snakemake, repo)
    figures = {t: (repo / t).stat().st_mtime_ns for t in manifest}
    log = run([dvc, "repro"], repo)
    assert figures == {t: (repo / t).stat().st_mtime_ns for t in manifest}, log
    assert "up to date" in run([dvc, "status"], repo)

    run([dvc, "remote", "add", "-d", "store", str(remote)], repo)
    run([dvc, "push", "--quiet"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "results"], repo)

    run(["git", "clone", "-q", str(repo), str(clone)], tmp_path)
    run([dvc, "pull", "--quiet"], clone)
    assert "up to date" in run([dvc, "status"], clone)
    run([*snakemake, "--touch"], clone)  # fresh checkout mtimes; see docs/pipeline.md
    assert "Nothing to be done" in run([*snakemake, "--dry-run"], clone)
    assert "up to date" in run([dvc, "status"], clone)

    # docs/pipeline.md's DVC commands, as written there, on the smoke config
    plots = run([dvc, "plots", "show", "--html-template", "workflow/plots/offline.html", "-o", "dvc_plots"], clone)
    page = (clone / "dvc_plots/index.html").read_text()
    assert "training_loss" in page and "width_depth" in page and "failed" not in plots, plots
    assert not re.search(r"src=[\"']?(https?:)?//", page) and "dvc_plots" not in run(
        ["git", "status", "--porcelain"], clone
    )
    samples = (clone / "results/figures/samples.png").read_bytes()
    share_compiled_renderer(clone)  # the figure renders faces
    run([dvc, "exp", "run", "-S", f"{SMOKE}:figures.samples.seed=8"], clone)
    assert (clone / "results/figures/samples.png").read_bytes() != samples
    diff = run([dvc, "params", "diff"], clone)
    assert "figures.samples.seed" in diff and "experiments" not in diff, diff


def _check_tuning_study(repo: Path) -> None:
    """The tuning study (a DVC stage) reuses the grid's chosen-settings runs and never reads a test set."""
    tuning = pd.read_csv(repo / TUNING_RESULTS["table"])
    # the overlay's candidates replace the default's (`REPLACED_BY_OVERLAYS`)
    assert set(tuning["candidate"]) == {"chosen", "chosen_x2", "arcface"}
    assert set(tuning["test"]) == {"lfw", "syn_lfw"} and tuning["accuracy"].between(0, 100).all()
    doubled = tuning[tuning["candidate"] == "chosen_x2"].set_index(["train", "test"])["steps"]
    chosen = tuning[tuning["candidate"] == "chosen"].set_index(["train", "test"])["steps"]
    assert (doubled >= 1.5 * chosen.loc[doubled.index]).all()  # twice the epochs and the floor; ceil() rounding
    convergence = pd.read_csv(repo / TUNING_RESULTS["convergence"])
    assert set(convergence["role"]) == {"smallest", "largest"}
    plan = run([str(BIN / "snakemake"), "tuning", "--forceall", "--dry-run", "--configfile", SMOKE], repo)
    assert "data/test/" not in plan and "data/dev/lfw" in plan
