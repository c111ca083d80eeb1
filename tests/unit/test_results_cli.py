"""`synface results`: the result tables and the claims in the terminal, at most 100 columns wide."""

from __future__ import annotations

import csv
import importlib.metadata
import tomllib
from pathlib import Path

import pytest
from repo_copy import ROOT
from test_analysis import GRID, MIX, SEEDS, paper_minus, plant

from synface.analysis import claims, convergence, tables
from synface.cli import main
from synface.naming import TABLES

WIDTH = 100


def write_csv(path: Path, columns: list[str], rows: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def run(capsys, *args: object) -> tuple[int, list[str], list[str]]:
    code = main(["results", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def paper_row(train: str, test: str, accuracy: str, seeds: int, **kw: object) -> dict[str, object]:
    ci = {"ci_low": "", "ci_high": ""} if seeds == 1 else {"ci_low": "80.01", "ci_high": "100.66"}
    return {
        "table": "attributes",
        "row": "illumination and a long label",
        "train": train,
        "im": train.endswith("_IM"),
        "test": test,
        "accuracy": accuracy,
        "std": "" if seeds == 1 else "1.25",
        **ci,
        "seeds": seeds,
        "paper": "90.45",
        "delta": "-1.00",
        "profile": "embedded",
        **kw,
    }


def test_a_wide_table_fits_in_100_columns_with_every_value(tmp_path, capsys):
    rows = [
        paper_row("Syn_5K_50_illumination_with_a_much_longer_name_IM", "lfw", "89.45", 3),
        paper_row("Syn_5K_50_illumination", "syn_lfw_dev_and_more", "71.07", 1, profile="paper"),
    ]
    write_csv(tmp_path / "tables/attributes.csv", tables.COLUMNS, rows)
    code, out, err = run(capsys, "attributes", "--results", tmp_path)
    assert code == 0 and err == []
    assert max(len(line) for line in out) <= WIDTH
    text = "\n".join(out)
    for value in ("89.45", "71.07", "1.25", "80.01–100.66", "90.45", "-1.00", "yes", "embedded", "paper"):
        assert value in text
    assert "seeds" in out[1]  # a column with two values stays a column
    start, stop = out[1].index("train"), out[1].index("IM")
    train_column = "".join(line[start:stop].strip() for line in out[3:])
    assert "Syn_5K_50_illumination_with_a_much_longer_name_IM" in train_column  # wrapped, not cut


def test_constant_columns_move_into_the_title(tmp_path, capsys):
    write_csv(tmp_path / "tables/attributes.csv", tables.COLUMNS, [paper_row("Syn_1K_50", "lfw", "82.85", 3)])
    code, out, _ = run(capsys, "attributes", "--results", tmp_path)
    assert code == 0
    assert out[0].startswith("attributes, test lfw, seeds 3, profile embedded;")
    assert out[1].split() == ["row", "train", "IM", "ours", "std", "95%", "CI", "paper", "Δ"]


def test_claims_list_each_comparison_on_a_line(tmp_path, capsys):
    comparisons = [f"comparison {k} with a label long enough to matter: 1.00 vs 0.50 (Δ +0.50)" for k in range(3)]
    row = {
        "claim": 2,
        "statement": "Identity mixup improves accuracy " * 5,
        "evidence": "3/3 hold by mean, 3 supported: " + "; ".join(comparisons),
        "paper_evidence": "",
        "rule": "IM > no IM in each width/depth row; " * 4,
        "holds": "yes",
        "verdict": "supported",
        "paper_holds": "not tested",
        "paper_verdict": "not tested",
        "profile": "embedded",
    }
    write_csv(tmp_path / "tables/claims.csv", claims.COLUMNS, [row])
    code, out, _ = run(capsys, "claims", "--results", tmp_path)
    assert code == 0 and max(len(line) for line in out) <= WIDTH
    assert [line.strip() for line in out if line.strip().startswith("- ")] == [f"- {c}" for c in comparisons]
    assert "   verdict: supported; holds by mean: yes (paper: not tested; by its own sampling error: not tested)" in out
    assert not any(line.strip().startswith("paper:") for line in out)  # no paper evidence, no line


def test_every_table_the_pipeline_writes_fits(tmp_path, capsys):
    files = plant(tmp_path, paper_minus(1.0))
    for table in TABLES:
        tables.write_table(table, GRID[table], SEEDS, files, tmp_path / f"results/tables/{table}.csv", "embedded")
    claims.write_claims(GRID, SEEDS, MIX, files, tmp_path / "results/tables/claims.csv", "embedded")
    code, out, err = run(capsys, "--results", tmp_path / "results")
    assert code == 0 and err == []
    assert max(len(line) for line in out) <= WIDTH
    titles = [line.split(",")[0] for line in out if ", profile embedded" in line]
    assert titles == [*TABLES, "claims"]


def test_unknown_table_is_one_line_naming_the_valid_ones(tmp_path, capsys):
    code, out, err = run(capsys, "width-depth", "--results", tmp_path)
    assert code == 2 and out == [] and len(err) == 1
    assert all(name in err[0] for name in (*TABLES, "claims"))


def test_missing_results_say_how_to_build_them(tmp_path, capsys):
    code, _, err = run(capsys, "--results", tmp_path / "nowhere")
    assert code == 2 and len(err) == 1 and "make reproduce" in err[0]
    write_csv(tmp_path / "tables/claims.csv", claims.COLUMNS, [])
    code, _, err = run(capsys, "width_depth", "--results", tmp_path)
    assert code == 2 and len(err) == 1 and "snakemake results/tables/width_depth.csv" in err[0]


def test_final_loss_prints_as_written_and_only_when_asked(tmp_path, capsys):
    rows = [
        {"table": "width_depth", "train": "Syn_1K_50", "seeds": 3, "steps": 1505, "epochs": 215}
        | {"final_loss": "0.11", "end_fall_pct": "6.61", "flat": False},
        {"table": "domain_mixup", "train": "Mix_2K_20", "seeds": 3, "steps": 1800, "epochs": 24}
        | {"final_loss": "3.02", "end_fall_pct": "1.05", "flat": True},
    ]
    write_csv(tmp_path / "results/tables/final_loss.csv", convergence.FINAL_LOSS_COLUMNS, rows)
    code, out, err = run(capsys, "final_loss", "--results", tmp_path / "results")
    assert code == 0 and err == []
    assert max(len(line) for line in out) <= WIDTH
    grid = out[out.index(next(line for line in out if line.startswith("table"))) :]
    assert grid[0].split() == convergence.FINAL_LOSS_COLUMNS
    assert grid[2].split() == ["width_depth", "Syn_1K_50", "3", "1505", "215", "0.11", "6.61", "False"]
    assert grid[3].split() == ["domain_mixup", "Mix_2K_20", "3", "1800", "24", "3.02", "1.05", "True"]
    # the default view stays the paper tables and the claims
    code, _, err = run(capsys, "--results", tmp_path / "results")
    assert code == 2 and "cross_domain.csv" in err[0]


def test_version_names_the_installed_package(capsys):
    """The installed package's metadata, which is pyproject.toml's version (a stale install differs)."""
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert importlib.metadata.version("synface") == project["version"]
    assert capsys.readouterr().out.strip() == f"synface {project['version']}"


def test_seeds_prints_every_runs_accuracy_seed_by_seed(tmp_path, capsys):
    assert list(SEEDS) == [0, 1, 2]
    plant(tmp_path, lambda train, seed, test: 0.80 + 0.01 * seed if train == "Real" else 0.70)
    code, out, _ = run(capsys, "seeds", "--results", tmp_path / "results")
    assert code == 0 and max(len(line) for line in out) <= WIDTH
    header = next(k for k, line in enumerate(out) if line.startswith("train"))
    assert out[header].split() == ["train", "test", "seed", "0", "seed", "1", "seed", "2", "mean", "std"]
    assert ["Real", "lfw", "80.00", "81.00", "82.00", "81.00", "1.00"] in [line.split() for line in out]


def test_seeds_without_metrics_says_how_to_build_them(tmp_path, capsys):
    code, _, err = run(capsys, "seeds", "--results", tmp_path)
    assert code == 2 and "no per-seed metrics" in err[0] and "make reproduce" in err[0]
