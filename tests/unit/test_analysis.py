"""Tables, claims and feature statistics from planted metrics files with known answers."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from repo_copy import ROOT

from synface.analysis import claims
from synface.analysis.claims import (
    ALPHA,
    EQUIVALENCE_MARGIN,
    Comparison,
    claims_frame,
    gain,
    gt,
    judge,
    verdict,
    write_claims,
)
from synface.analysis.features import (
    feature_distribution,
    load_feature_distribution,
    observer_record,
    spread,
    subsample,
)
from synface.analysis.metrics import (
    PAPER_TEST_PAIRS,
    Summary,
    confidence_interval,
    load_metrics,
    paper_summaries,
    sampling_se,
    summaries,
)
from synface.analysis.summary import metrics_summary, write_metrics_summary
from synface.analysis.tables import table_frame, write_table
from synface.errors import SynfaceError
from synface.experiments import Experiments, grid_rows
from synface.layout import summary_files, summary_path
from synface.naming import TABLES

CONFIG = yaml.safe_load((ROOT / "config/config.yaml").read_text())
EXPERIMENTS = Experiments(CONFIG)
GRID, SEEDS, MIX = EXPERIMENTS.grid(), EXPERIMENTS.seeds, EXPERIMENTS.mix_synthetic  # what the jobs get
ROWS = grid_rows(GRID)
SEED_OFFSET = {0: -0.01, 1: 0.0, 2: 0.01}  # sample std over seeds = 1.00 point (ddof=1)
T_975_2 = 4.302652729911275  # t_{0.975} with 2 degrees of freedom (3 seeds), from a t table


def paper_minus(points: float) -> Callable[[str, int, str], float]:
    """Accuracy (fraction) of a run: the paper's number minus `points`, ± 1 point across seeds 0/1/2."""
    paper = {key: s.mean for key, s in paper_summaries(ROWS).items()}
    return lambda train, seed, test: (paper[(train, test)] - points) / 100 + SEED_OFFSET[seed]


def plant(root: Path, accuracy: Callable[[str, int, str], float], config=CONFIG) -> list[str]:
    """Write a metrics file for every evaluation the config needs; return their paths."""
    files = []
    for train, seed, test in Experiments(config).metrics_needed():
        acc = accuracy(train, seed, test)
        path = root / "results/metrics" / train / f"seed{seed}" / f"{test}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "train": train,
            "seed": seed,
            "test": test,
            "accuracy_mean": acc,
            "accuracy_std": 0.01,
            "fold_accuracy": [acc] * 10,
            "fold_threshold": [0.3] * 10,
            "auc": 0.95,
            "tar_at_far_1e-3": 0.5,
        }
        path.write_text(json.dumps(record))
        files.append(str(path))
    return files


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[str]:
    return plant(tmp_path_factory.mktemp("run"), paper_minus(10.0))


# --- metrics -------------------------------------------------------------------------------


def test_summaries_are_percent_means_with_sample_std(files):
    result = summaries(ROWS, SEEDS, files)
    s = result[("Syn_10K_50_IM", "lfw")]
    assert s.mean == pytest.approx(81.97)
    assert s.std == pytest.approx(1.0)  # ddof=1; ddof=0 would give 0.816
    assert s.n == 3
    assert result[("Real", "syn_lfw")].mean == pytest.approx(88.85)


def test_runs_of_seeds_outside_the_config_are_ignored(files, tmp_path):
    extra = tmp_path / "results/metrics/Syn_1K_50/seed9/lfw.json"
    extra.parent.mkdir(parents=True)
    extra.write_text(
        json.dumps({**json.loads(Path(files[0]).read_text()), "train": "Syn_1K_50", "seed": 9, "accuracy_mean": 0.0})
    )
    assert summaries(ROWS, SEEDS, [*files, str(extra)])[("Syn_1K_50", "lfw")].mean == pytest.approx(73.85)


def test_bad_metrics_files_are_rejected_naming_the_file(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(SynfaceError, match="broken.json"):
        load_metrics([broken])
    outside = tmp_path / "percent.json"
    outside.write_text(
        json.dumps(
            {
                "train": "Real",
                "seed": 0,
                "test": "lfw",
                "accuracy_mean": 93.1,
                "accuracy_std": 0.1,
                "auc": 0.9,
                "tar_at_far_1e-3": 0.5,
            }
        )
    )
    with pytest.raises(SynfaceError, match="percent.json.*fraction"):
        load_metrics([outside])
    with pytest.raises(SynfaceError, match="nowhere.json"):
        load_metrics([tmp_path / "nowhere.json"])


def test_the_same_run_twice_is_rejected(files):
    with pytest.raises(SynfaceError, match="same run twice"):
        load_metrics([files[0], files[0]])


def test_t_interval_of_three_seeds_at_80_81_82():
    low, high = Summary("x", 81.0, 1.0, 3).ci95  # mean 81, sample std 1
    half = T_975_2 * 1.0 / math.sqrt(3)
    assert (low, high) == pytest.approx((81.0 - half, 81.0 + half))
    assert all(math.isnan(b) for b in Summary("x", 81.0, math.nan, 1).ci95)
    assert Summary("x", 81.0, 0.0, 3).ci95 == (81.0, 81.0)


# --- tables --------------------------------------------------------------------------------


def test_width_depth_table_holds_known_numbers_in_paper_order(files, tmp_path):
    out = tmp_path / "width_depth.csv"
    write_table("width_depth", GRID["width_depth"], SEEDS, files, out, "embedded")
    table = pd.read_csv(out)
    assert list(table.columns) == [
        "table",
        "row",
        "train",
        "im",
        "test",
        "accuracy",
        "std",
        "ci_low",
        "ci_high",
        "seeds",
        "paper",
        "delta",
        "profile",
    ]
    assert list(table["row"]) == [f"({label})" for label in "abcdefghi" for _ in (0, 1)]
    assert list(table["im"]) == [False, True] * 9
    assert (table["std"] == 1.0).all() and (table["seeds"] == 3).all()
    assert table["delta"].tolist() == pytest.approx([-10.0] * 18)
    assert (table["ci_high"] - table["ci_low"]).tolist() == pytest.approx([2 * T_975_2 / math.sqrt(3)] * 18, abs=0.011)
    first = table.iloc[1]
    assert (first["train"], first["accuracy"], first["paper"], first["profile"]) == (
        "Syn_1K_50_IM",
        77.53,
        87.53,
        "embedded",
    )
    assert (first["ci_low"], first["ci_high"]) == (75.05, 80.01)  # 77.53 ± 4.303 · 1/√3


def test_table_interval_is_empty_with_one_seed():
    one_seed = {key: Summary(s.label, s.mean, math.nan, 1) for key, s in paper_summaries(ROWS).items()}
    table = table_frame("width_depth", GRID["width_depth"], one_seed, "paper")
    assert table["ci_low"].isna().all() and table["ci_high"].isna().all()


def test_cross_domain_has_a_row_per_test_set_and_mix_counts_as_im(files, tmp_path):
    write_table("cross_domain", GRID["cross_domain"], SEEDS, files, tmp_path / "cd.csv", "paper")
    cross = pd.read_csv(tmp_path / "cd.csv")
    assert list(zip(cross["train"], cross["test"], strict=True)) == [
        ("Real", "lfw"),
        ("Real", "syn_lfw"),
        ("Syn_10K_50", "lfw"),
        ("Syn_10K_50", "syn_lfw"),
    ]
    assert cross.loc[3, "paper"] == 99.98 and cross.loc[3, "accuracy"] == 89.98
    write_table("domain_mixup", GRID["domain_mixup"], SEEDS, files, tmp_path / "dm.csv", "paper")
    dm = pd.read_csv(tmp_path / "dm.csv").set_index("train")
    assert dm.loc["Mix_1K_10", "im"] and dm.loc["Syn_10K_50_IM", "im"] and not dm.loc["Real_1K_10", "im"]


def test_a_table_needs_only_its_own_metrics(files, tmp_path):
    own = [
        f for f in files if "Syn_5K_50_" in f and any(a in f for a in ("none", "expression", "pose", "illumination"))
    ]
    write_table("attributes", GRID["attributes"], SEEDS, own, tmp_path / "attributes.csv", "embedded")
    assert len(pd.read_csv(tmp_path / "attributes.csv")) == 8


def test_missing_metrics_file_is_named(files, tmp_path):
    lacking = [f for f in files if not f.endswith("Syn_1K_50/seed2/lfw.json")]
    given = len(lacking)
    with pytest.raises(SynfaceError, match=rf"train Syn_1K_50, seed 2, test lfw is in none of the {given} files given"):
        write_table("width_depth", GRID["width_depth"], SEEDS, lacking, tmp_path / "t.csv", "embedded")
    assert not (tmp_path / "t.csv").exists()


def test_reruns_write_identical_bytes(files, tmp_path):
    for table in TABLES:
        write_table(table, GRID[table], SEEDS, files, tmp_path / "a.csv", "embedded")
        write_table(table, GRID[table], SEEDS, list(reversed(files)), tmp_path / "b.csv", "embedded")
        assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    write_claims(GRID, SEEDS, MIX, files, tmp_path / "c1.csv", "embedded")
    write_claims(GRID, SEEDS, MIX, files, tmp_path / "c2.csv", "embedded")
    assert (tmp_path / "c1.csv").read_bytes() == (tmp_path / "c2.csv").read_bytes()


# --- claims --------------------------------------------------------------------------------


def paper_like(std: float = 0.5, n: int = 3) -> dict[tuple[str, str], Summary]:
    """'Our' results equal to the paper's numbers, with a seed spread: every claim holds."""
    return {key: Summary(s.label, s.mean, std, n) for key, s in paper_summaries(ROWS).items()}


def verdicts(results, features=None) -> pd.DataFrame:
    return claims_frame(GRID, MIX, results, features, "embedded").set_index("claim")


def with_lfw(results, **means: float) -> dict[tuple[str, str], Summary]:
    out = dict(results)
    for train, mean in means.items():
        old = out[(train, "lfw")]
        out[(train, "lfw")] = Summary(old.label, mean, old.std, old.n)
    return out


def test_the_rules_say_yes_on_the_paper_numbers():
    table = verdicts(paper_like())
    assert (table["paper_holds"] == "yes").all()
    assert (table.drop(index=6)["holds"] == "yes").all()
    assert table.loc[6, "holds"] == table.loc[6, "verdict"] == "not tested"
    # std 0.5 over 3 seeds: Welch df 4, half-width 2.776 · √(2 · 0.25/3) = 1.13 for a one-row-each comparison
    assert table.loc[2, "evidence"].startswith("9/9 hold by mean, 6 supported, 3 inconclusive")
    assert table.loc[2, "verdict"] == "inconclusive"
    assert "(e): 88.32 vs 88.22 (Δ +0.10 [95% CI -1.03, +1.23], inconclusive)" in table.loc[2, "evidence"]
    assert table.loc[7, "verdict"] == "supported"  # incl. "none ≥ expression", Δ +0.83 within the margin


def test_single_seed_leaves_the_noise_verdict_open():
    table = verdicts(paper_like(std=math.nan, n=1))
    assert (table.drop(index=6)["verdict"] == "inconclusive (one seed)").all()
    assert "CI" not in table.loc[2, "evidence"]


def test_welch_df_and_interval_of_a_hand_example():
    a, b = Summary("a", 82.0, 2.0, 4), Summary("b", 80.0, 1.0, 3)  # s²/n: 1 and 1/3
    c = gt("a vs b", a, b)
    assert c.se == pytest.approx(math.sqrt(4 / 3))
    assert c.df == pytest.approx((4 / 3) ** 2 / (1 / 3 + (1 / 3) ** 2 / 2))  # = 32/7
    from scipy.stats import t

    half = t.ppf(0.975, 32 / 7) * math.sqrt(4 / 3)
    assert c.ci95 == pytest.approx((2.0 - half, 2.0 + half))
    # a row's sign in its side does not change its share of the variance
    drop = Comparison("gain", gain(a, b), ((1.0, Summary("z", 0.0, 0.0, 3)),))
    assert (drop.se, drop.df) == pytest.approx((c.se, c.df))


def seeds3(mean: float, std: float = 0.5) -> Summary:
    return Summary(f"{mean}", mean, std, 3)


@pytest.mark.parametrize(
    ("left", "right", "ties_hold", "expected"),
    [
        (seeds3(80.5), seeds3(80.0), False, "inconclusive"),  # Δ +0.5, CI ± 1.13 straddles 0
        (seeds3(83.0), seeds3(80.0), False, "supported"),
        (seeds3(80.0), seeds3(83.0), False, "contradicted"),
        (seeds3(80.0, 0.1), seeds3(80.2, 0.1), True, "supported"),  # Δ -0.2, CI [-0.43, +0.03] within the margin
        (seeds3(80.0, 2.0), seeds3(80.2, 2.0), True, "inconclusive"),  # CI reaches far past the margin
        (seeds3(80.0), seeds3(83.0), True, "contradicted"),
    ],
)
def test_comparison_outcome_follows_its_interval(left, right, ties_hold, expected):
    comparison = gt("x", left, right, ties_hold=ties_hold)
    [(outcome, holm)] = judge([comparison])
    assert outcome == expected
    assert f"{expected})" in comparison.text(outcome, holm)


def outcome(comparison: Comparison) -> str | None:
    return judge([comparison])[0][0]


def test_tie_margin_is_one_accuracy_point():
    assert EQUIVALENCE_MARGIN == 1.0
    assert outcome(gt("x", seeds3(80.0, 0.1), seeds3(81.0, 0.1), ties_hold=True)) == "contradicted"
    assert outcome(gt("x", seeds3(80.0, 0.3), seeds3(80.6, 0.3), ties_hold=True)) == "inconclusive"  # low -1.28


def seeds(*values: float) -> Summary:
    """A row from its per-seed accuracies, as `metrics.summaries` builds it."""
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return Summary("x", mean, std, len(values), values)


def summary_only(s: Summary) -> Summary:
    return Summary(s.label, s.mean, s.std, s.n)


@pytest.mark.parametrize("ties_hold", [False, True])
def test_scipys_welch_and_statsmodels_tost_agree_with_the_hand_formula(ties_hold):
    a, b = seeds(81.2, 79.9, 83.0, 80.4), seeds(80.1, 78.0, 79.5)
    with_values = gt("x", a, b, ties_hold=ties_hold)  # scipy's ttest_ind / statsmodels' ttost_ind
    by_hand = gt("x", summary_only(a), summary_only(b), ties_hold=ties_hold)  # the summed-rows formula
    assert with_values._samples is not None and by_hand._samples is None
    assert with_values.ci95 == pytest.approx(by_hand.ci95, rel=1e-9)
    assert with_values.p_support == pytest.approx(by_hand.p_support, rel=1e-9)
    assert with_values.p_contradict == pytest.approx(by_hand.p_contradict, rel=1e-9)
    assert 0 < with_values.p_support < 0.5 < with_values.p_contradict < 1  # Δ +1.28 > 0


def test_holm_keeps_one_of_nine_comparisons_from_contradicting_a_claim():
    # Δ -2.5, std 1 over 3 seeds a side: t = -3.06 on 4 df, one-sided p ≈ 0.019
    alone = gt("down", seeds(79.0, 80.0, 81.0), seeds(81.5, 82.5, 83.5))
    p = alone.p_contradict
    assert alone.ci95[1] < 0 and p < ALPHA < 9 * p
    assert judge([alone])[0][0] == "contradicted"
    nulls = [gt(f"flat {k}", seeds(80.0, 81.0, 79.0), seeds(80.5, 79.5, 80.0)) for k in range(8)]
    [(outcome_alone, holm), *_] = judge([alone, *nulls])  # Holm's first step is Bonferroni's α/9
    assert outcome_alone == "inconclusive" and holm == pytest.approx(9 * p)
    assert f"Holm p {9 * p:.3f}, inconclusive)" in alone.text(outcome_alone, holm)
    strong = gt("far down", seeds(70.0, 70.5, 69.5), seeds(80.0, 80.5, 79.5))
    assert judge([strong, *nulls])[0][0] == "contradicted"


def test_a_claim_is_supported_only_when_every_comparison_is():
    up = [gt(f"up {k}", seeds(82.0, 82.5, 81.5), seeds(80.0, 80.5, 79.5)) for k in range(9)]
    assert [o for o, _ in judge(up)] == ["supported"] * 9  # no correction: all nine must pass at α
    assert verdict([o for o, _ in judge(up)]) == "supported"


def test_the_paper_numbers_carry_the_sampling_error_of_6000_pairs():
    assert PAPER_TEST_PAIRS == 6000
    assert sampling_se(80.0) == pytest.approx(100 * math.sqrt(0.8 * 0.2 / 6000))  # 0.516 points
    paper = paper_summaries(ROWS)[("Syn_10K_5_IM", "lfw")]
    assert (paper.df, paper.values) == (math.inf, (88.32,))
    # IM at 10K_5: 88.32 vs 88.22, Δ +0.10 with se √(2)·0.415: the paper's own numbers cannot tell
    c = gt("(e)", paper, paper_summaries(ROWS)[("Syn_10K_5", "lfw")])
    half = 1.959964 * math.sqrt(sampling_se(88.32) ** 2 + sampling_se(88.22) ** 2)
    assert c.ci95 == pytest.approx((0.10 - half, 0.10 + half), abs=1e-4)
    assert outcome(c) == "inconclusive"


def test_the_paper_verdict_judges_the_papers_numbers_by_their_own_sampling_error():
    table = verdicts(paper_like())
    assert table.loc[1, "paper_verdict"] == "supported"  # Real 99.18 vs Syn 88.98: far beyond 0.4-point errors
    assert table.loc[2, "paper_verdict"] == "inconclusive"  # (e) 88.32 vs 88.22
    assert "(e): 88.32 vs 88.22 (Δ +0.10 [95% CI -1.05, +1.25], inconclusive)" in table.loc[2, "paper_evidence"]
    assert table.loc[6, "paper_verdict"] == "not tested"  # Fig. 4 carries no numbers with an error
    assert table.loc[2, "paper_holds"] == "yes"


def test_claim_verdict_from_its_comparisons():
    assert verdict(["supported", "supported"]) == "supported"
    assert verdict(["supported", "inconclusive"]) == "inconclusive"
    assert verdict(["supported", "inconclusive", "contradicted"]) == "contradicted"
    assert verdict(["supported", None]) == "inconclusive (one seed)"
    assert verdict([None, "contradicted"]) == "contradicted"


def test_a_claim_with_one_contradicted_comparison_is_contradicted():
    claim = verdicts(with_lfw(paper_like(std=0.1), Mix_1K_10=90.0)).loc[8]  # below the synthetic set alone
    assert (claim["holds"], claim["verdict"]) == ("partly", "contradicted")
    assert "Mix_1K_10 vs Syn: 90.00 vs 91.97 (Δ -1.97 [95% CI" in claim["evidence"]


@pytest.mark.parametrize(
    ("claim", "changes", "expected"),
    [
        (1, {"Syn_10K_50": 99.5}, "partly"),  # no gap on LFW (and the syn model's drop shrinks too)
        (2, {"Syn_10K_5_IM": 88.0}, "partly"),  # 8 of 9 rows
        (
            2,
            {
                f"Syn_{ns}_IM": 70.0
                for ns in ("1K_50", "2K_50", "5K_50", "10K_2", "10K_5", "10K_10", "10K_20", "10K_30", "10K_50")
            },
            "no",
        ),
        (3, {"Syn_10K_50": 88.0}, "partly"),  # 5K → 10K no longer helps without IM
        (3, {"Syn_1K_50": 95.0, "Syn_2K_50": 94.0, "Syn_1K_50_IM": 95.0, "Syn_2K_50_IM": 94.0}, "no"),
        (4, {"Syn_10K_50": 92.0}, "partly"),  # depth past 20 still helps without IM
        (5, {"Syn_10K_5": 80.0}, "partly"),  # w/o IM only
        (5, {"Syn_10K_5": 80.0, "Syn_10K_5_IM": 80.0}, "no"),
        (7, {"Syn_5K_50_expression": 80.0}, "partly"),  # expression now helps
        (8, {"Mix_1K_10": 91.0}, "partly"),  # below the synthetic set alone
        (8, {f"Mix_{ns}": 80.0 for ns in ("1K_10", "1K_20", "2K_10", "2K_20")}, "no"),
        (9, {"Mix_2K_10": 94.0}, "no"),
    ],
)
def test_each_claim_fails_when_its_evidence_is_reversed(claim, changes, expected):
    table = verdicts(with_lfw(paper_like(), **changes))
    assert table.loc[claim, "holds"] == expected
    assert table.loc[claim, "paper_holds"] == "yes"


def test_claim_9_verdict_needs_an_interval_clear_of_zero():
    close = with_lfw(paper_like(std=2.0), Mix_2K_10=95.06)  # Δ +0.01, CI ± 4.5
    far = with_lfw(paper_like(std=0.1), Mix_2K_10=96.0)  # Δ +0.95, CI ± 0.23
    reversed_ = with_lfw(paper_like(std=0.1), Mix_2K_10=94.0)
    assert verdicts(close).loc[9, ["holds", "verdict"]].tolist() == ["yes", "inconclusive"]
    assert verdicts(far).loc[9, ["holds", "verdict"]].tolist() == ["yes", "supported"]
    assert verdicts(reversed_).loc[9, ["holds", "verdict"]].tolist() == ["no", "contradicted"]


def features_with(spreads: list[float], offsets: list[float], seeds: int = 1, noise: float = 0.0) -> dict:
    """Real at the origin and three synthetic sets (LFW 0.80 < 0.85 < 0.90) with given spread and
    distance, seen by `seeds` observers; observer k adds k·noise to every spread and distance."""
    sets = [
        {
            "name": "Real",
            "label": "real",
            "lfw_accuracy": None,
            "points": [[0, 0], [0, 1]],
            "identity": [0, 0],
            "spread": 0.9,
        }
    ]
    for k, (s, d) in enumerate(zip(spreads, offsets, strict=True)):
        sets.append(
            {
                "name": f"Syn_{k}",
                "label": f"syn {k}",
                "lfw_accuracy": 0.80 + 0.05 * k,
                "points": [[d, 0.5], [d, 0.5]],
                "identity": [0, 1],
                "spread": s,
            }
        )
    observers = [
        {
            "model": f"models/Real/seed{seed}/model.pt",
            "spread": {x["name"]: x["spread"] + seed * noise * (1 + k) for k, x in enumerate(sets)},
            "centroid": {
                x["name"]: [x["points"][0][0] + seed * noise * k, 0.5 * (x["name"] != "Real")]
                for k, x in enumerate(sets)
            },
        }
        for seed in range(seeds)
    ]
    return {"sets": sets, "projection": "MDS", "model": "test", "observers": observers}


def test_claim_6_reads_spread_and_closeness_to_real():
    holds = verdicts(paper_like(), features_with([0.2, 0.3, 0.4], [3.0, 2.0, 1.0])).loc[6]
    assert (holds["holds"], holds["verdict"]) == ("yes", "inconclusive (one seed)")
    assert "spread Syn_1 (85.00%) vs Syn_0 (80.00%): 0.300 vs 0.200" in holds["evidence"]
    assert verdicts(paper_like(), features_with([0.4, 0.3, 0.2], [1.0, 2.0, 3.0])).loc[6, "holds"] == "no"
    assert verdicts(paper_like(), features_with([0.2, 0.3, 0.4], [1.0, 2.0, 3.0])).loc[6, "holds"] == "partly"


def test_claim_6_pairs_the_sets_seen_by_each_seeds_observer():
    # Observer k shifts every set's numbers, more the later the set: most of the spread over seeds is
    # common to the sets an observer sees, and pairing takes it out of the differences.
    features = features_with([0.2, 0.3, 0.4], [3.0, 2.0, 1.0], seeds=3, noise=0.05)
    comparisons = claims.claim_6(features)
    spread = comparisons[0]
    assert spread.paired and spread.left[0][1].values == pytest.approx((0.3, 0.45, 0.6))
    from scipy.stats import ttest_rel

    expected = ttest_rel([0.3, 0.45, 0.6], [0.2, 0.3, 0.4]).confidence_interval(0.95)
    assert spread.ci95 == pytest.approx((expected.low, expected.high))
    unpaired = gt("x", spread.left[0][1], spread.right[0][1])
    assert spread.ci95[0] > unpaired.ci95[0]  # narrower than Welch's here
    table = verdicts(paper_like(), features).loc[6]
    assert table["verdict"] == "supported" and "4 supported" in table["evidence"]


def test_a_claim_whose_rows_the_grid_lacks_is_reported_not_tested():
    tables = {**GRID, "domain_mixup": [r for r in GRID["domain_mixup"] if r["train"] != "Mix_1K_20"]}
    frame = claims_frame(tables, MIX, paper_like(), None, "embedded").set_index("claim")
    assert frame.loc[9, "holds"] == "not tested" and "Mix_1K_20" in frame.loc[9, "evidence"]
    assert frame.loc[8, "holds"] != "not tested"


# --- feature distribution ------------------------------------------------------------------


def test_spread_is_the_mean_distance_to_the_identity_centroid():
    t, u = 0.3, 0.6
    # identity 0: two unit vectors at ±t around e0 (centroid cos t·e0, distance sin t);
    # identity 1: ±u around e1, scaled by 5 (normalisation makes scale irrelevant).
    x = np.array(
        [
            [np.cos(t), np.sin(t), 0],
            [np.cos(t), -np.sin(t), 0],
            5 * np.array([0, np.cos(u), np.sin(u)]),
            5 * np.array([0, np.cos(u), -np.sin(u)]),
        ]
    )
    assert spread(x, np.array([0, 0, 7, 7])) == pytest.approx((np.sin(t) + np.sin(u)) / 2)
    assert spread(x[:2], np.array([3, 3])) == pytest.approx(np.sin(t))
    assert spread(np.eye(3), np.array([0, 1, 2])) == 0.0


def test_subsample_takes_whole_identities_up_to_the_cap():
    ids = np.repeat(np.arange(10), 7)
    picked = subsample(ids, 30, np.random.default_rng(0))
    assert len(picked) == 28
    assert all(np.sum(ids[picked] == i) in (0, 7) for i in range(10))
    assert len(subsample(np.zeros(50, int), 30, np.random.default_rng(0))) == 30


def test_feature_distribution_projects_all_sets_jointly(tmp_path):
    rng = np.random.default_rng(1)
    ids = np.repeat(np.arange(6), 8)
    centres = rng.normal(size=(6, 16))
    embeddings = {
        "Real": rng.normal(size=(48, 16)) + 4 * np.eye(16)[0],
        "Syn_tight": centres[ids] + 0.05 * rng.normal(size=(48, 16)),
        "Syn_loose": centres[ids] + 0.6 * rng.normal(size=(48, 16)),
    }
    identities = dict.fromkeys(embeddings, ids)
    accuracies = {"Real": None, "Syn_tight": 0.7, "Syn_loose": 0.8}
    result = feature_distribution(embeddings, identities, accuracies, {"Real": "real"}, seed=0, max_points=40)
    again = feature_distribution(embeddings, identities, accuracies, {"Real": "real"}, seed=0, max_points=40)
    assert result == again
    by_name = {s["name"]: s for s in result["sets"]}
    assert [s["label"] for s in result["sets"]] == ["real", "Syn_tight", "Syn_loose"]
    assert all(len(s["points"]) == len(s["identity"]) == 40 for s in result["sets"])
    assert by_name["Syn_tight"]["spread"] < by_name["Syn_loose"]["spread"] < by_name["Real"]["spread"]
    record = observer_record(result)
    assert record["spread"]["Syn_loose"] == by_name["Syn_loose"]["spread"]
    assert record["centroid"]["Real"] == pytest.approx(np.mean(by_name["Real"]["points"], axis=0), abs=1e-6)
    path = tmp_path / "fd.json"
    path.write_text(json.dumps({**result, "observers": [record]}))
    assert load_feature_distribution(path)["sets"][1]["lfw_accuracy"] == 0.7
    del record["centroid"]["Syn_tight"]
    path.write_text(json.dumps({**result, "observers": [record]}))
    with pytest.raises(SynfaceError, match=r"fd\.json: observers\[0\]\.centroid must map every set"):
        load_feature_distribution(path)
    path.write_text(json.dumps(result))
    with pytest.raises(SynfaceError, match=r"fd\.json: needs a non-empty list 'observers'"):
        load_feature_distribution(path)
    del result["sets"][0]["spread"]
    path.write_text(json.dumps({**result, "observers": [record]}))
    with pytest.raises(SynfaceError, match=r"fd\.json: sets\[0\] lacks key\(s\) spread"):
        load_feature_distribution(path)


def test_metrics_summary_is_one_flat_file_per_table_row_rounded_once(files, tmp_path):
    summary = metrics_summary(GRID, SEEDS, files)
    assert list(summary) == summary_files(GRID)
    assert {path.split("/")[2] for path in summary} == set(CONFIG["experiments"])
    real = summary["results/summary/cross_domain/Real.json"]
    assert set(real) == {f"{test}_{key}" for test in ("lfw", "syn_lfw") for key in ("accuracy", "ci_low", "ci_high")}
    assert real["lfw_accuracy"] == pytest.approx(89.18)
    frame = table_frame("width_depth", GRID["width_depth"], summaries(ROWS, SEEDS, files), "embedded")
    for row in frame.itertuples():  # the very numbers of the CSV
        values = summary[summary_path("width_depth", row.train)]
        assert (values[f"{row.test}_accuracy"], values[f"{row.test}_ci_high"]) == (row.accuracy, row.ci_high)
    out = [tmp_path / path for path in summary]
    write_metrics_summary(GRID, SEEDS, files, out)
    assert json.loads(out[0].read_text()) == summary[summary_files(GRID)[0]]
    with pytest.raises(SynfaceError, match="same run twice"):
        metrics_summary(GRID, SEEDS, [files[0], files[0]])
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(SynfaceError, match="list.json: metrics file must hold one JSON object"):
        metrics_summary(GRID, SEEDS, [tmp_path / "list.json"])


@pytest.mark.parametrize(("centre", "se", "df"), [(83.1, 1.2, 2.0), (-2.5, 0.4, 3.7), (91.0, 0.37, math.inf)])
def test_scipy_t_interval_agrees_with_the_hand_written_one(centre, se, df):
    from scipy.stats import t

    half = float(t.ppf(0.975, df)) * se  # the interval the library wrote by hand before
    low, high = confidence_interval(centre, se, df)
    assert low == pytest.approx(centre - half, abs=1e-12) and high == pytest.approx(centre + half, abs=1e-12)
