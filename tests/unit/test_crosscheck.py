"""`synface crosscheck`'s comparison of two runs' tables (on hand-built CSVs) and its bad arguments.
Running it costs two trainings of a grid: docs/training.md records a run."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from repo_copy import ROOT
from scipy.stats import ttest_ind_from_stats
from statsmodels.stats.multitest import multipletests

from synface.cli import main
from synface.crosscheck import KERNELS, compare
from synface.errors import SynfaceError

TABLES = ("width_depth",)


def results(folder: Path, rows: list[tuple], verdicts: list[tuple[str, str]], seeds: int = 3) -> Path:
    """A results/ folder: width_depth.csv rows (train, accuracy, std) on lfw, claims.csv (holds, verdict)."""
    tables = folder / "tables"
    tables.mkdir(parents=True)
    with open(tables / "width_depth.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "train", "test", "accuracy", "std", "seeds"])
        writer.writerows([("(a)", train, "lfw", accuracy, std, seeds) for train, accuracy, std in rows])
    with open(tables / "claims.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["claim", "holds", "verdict"])
        writer.writerows([(k + 1, holds, verdict) for k, (holds, verdict) in enumerate(verdicts)])
    return folder


def test_rows_within_their_seed_spread_and_the_same_verdicts_pass(tmp_path):
    a = results(tmp_path / "a", [("Syn_1K_50", 71.10, "1.20"), ("Syn_2K_50", 75.00, "0.80")], [("yes", "supported")])
    b = results(tmp_path / "b", [("Syn_1K_50", 72.20, "0.90"), ("Syn_2K_50", 74.30, "0.60")], [("no", "supported")])
    check = compare(a, b, TABLES)
    assert [round(r.delta, 2) for r in check.rows] == [1.10, -0.70]
    # Welch from the stats (t = 1.10 / sqrt((1.2² + 0.9²) / 3), df 3.7), then Holm over the 2 rows
    p = [ttest_ind_from_stats(71.10, 1.2, 3, 72.20, 0.9, 3, equal_var=False).pvalue]
    p.append(ttest_ind_from_stats(75.00, 0.8, 3, 74.30, 0.6, 3, equal_var=False).pvalue)
    assert [r.p_holm for r in check.rows] == pytest.approx(list(multipletests(p, method="holm")[1]))
    assert check.passed  # `holds` flipped by mean: only verdicts must match
    assert check.lines(("native", "baseline"))[-1] == (
        "2/2 rows within their seed spread (Welch, Holm at 5%; largest |Δ| 1.10 points); claim verdicts identical: PASS"
    )


def test_a_row_moved_past_its_spread_or_a_changed_verdict_fails(tmp_path):
    a = results(tmp_path / "a", [("Syn_1K_50", 71.10, "0.50")], [("yes", "supported"), ("no", "inconclusive")])
    b = results(tmp_path / "b", [("Syn_1K_50", 74.20, "0.40")], [("yes", "supported"), ("no", "contradicted")])
    check = compare(a, b, TABLES)
    assert check.rows[0].p_holm < 0.05  # 3.1 points against stds of 0.4-0.5 over 3 seeds
    assert (check.rows_within, check.claims_same, check.passed) == (0, False, False)
    lines = check.lines(("native", "baseline"))
    assert any(line.endswith("<- beyond the seed spread") for line in lines)
    assert "claim 2: native inconclusive (holds no), baseline contradicted (holds no)  <- differs" in lines
    assert lines[-1].endswith("FAIL")


def test_a_move_as_large_as_a_seed_std_is_within_the_seed_spread(tmp_path):
    # the old rule (|Δ| <= std) failed this; two 3-seed means of one training differ by that often
    a = results(tmp_path / "a", [("Syn_1K_50", 71.10, "1.00")], [("yes", "supported")])
    b = results(tmp_path / "b", [("Syn_1K_50", 72.40, "1.00")], [("yes", "supported")])
    assert compare(a, b, TABLES).passed


def test_one_seed_has_no_spread_to_be_within(tmp_path):
    a = results(tmp_path / "a", [("Syn_1K_50", 71.10, "")], [("yes", "inconclusive (one seed)")], seeds=1)
    b = results(tmp_path / "b", [("Syn_1K_50", 71.10, "")], [("yes", "inconclusive (one seed)")], seeds=1)
    [row] = compare(a, b, TABLES).rows
    assert math.isnan(row.p_holm) and not row.within


def test_different_grids_and_missing_tables_are_named(tmp_path):
    a = results(tmp_path / "a", [("Syn_1K_50", 71.10, "0.5")], [("yes", "supported")])
    b = results(tmp_path / "b", [("Syn_2K_50", 71.10, "0.5")], [("yes", "supported")])
    with pytest.raises(SynfaceError, match="width_depth.csv: the two runs hold different rows"):
        compare(a, b, TABLES)
    with pytest.raises(SynfaceError, match=r"c/tables/width_depth\.csv: missing"):
        compare(a, tmp_path / "c", TABLES)


def test_the_kernel_sets_force_atens_capability_and_onednns_isa():
    assert KERNELS["native"] == {}
    for name in ("baseline", "avx2", "avx512"):
        assert set(KERNELS[name]) == {"ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--kernels", "native,foo"], "--kernels 'native,foo': expected two different names"),
        (["--kernels", "avx2,avx2"], "expected two different names"),
        (["--kernels", "native"], "expected two different names"),
        (["--work", "README.md"], "--work README.md: exists and is not an empty folder"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(argv, message, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["crosscheck", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
