"""The diagnostic studies: the config section, the stand-in LFW's pose scale, and each study's analysis."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from drawn import assert_titles_in_words, catch, words
from repo_copy import ROOT
from scipy.stats import ttest_ind

from synface.analysis.studies import study_frame, study_summaries, study_verdict, write_study
from synface.config import load_config
from synface.data.pairs import parse_pairs
from synface.errors import SynfaceError
from synface.experiments import Experiments
from synface.figures import studies as study_figures
from synface.figures.studies import study_figure
from synface.layout import study_metrics_path
from synface.naming import pose_test_set
from synface.realdomain import identities as ids
from synface.realdomain.lfw import lfw_protocol, write_standin_lfw
from synface.realdomain.photos import render_photos
from synface.realdomain.priors import RealPriors


def _experiments(**studies: object) -> Experiments:
    config = load_config(ROOT / "config/config.yaml", ROOT)
    if studies:
        config["studies"] = {**config["studies"], **copy.deepcopy(studies)}
    return Experiments(config)


# --- the config section -------------------------------------------------------------------------


def test_the_studies_training_sets_join_the_runs_with_every_seed():
    ex = _experiments()
    for n in ("1K", "2K", "5K", "10K"):
        for name in (f"Real_{n}_10", f"Mix_{n}_10"):
            assert [(name, seed) for seed in ex.seeds] == [run for run in ex.runs() if run[0] == name]
    assert ex.parse("Real_10K_10").real_subset == (200, 10)  # 200 of the stand-in CASIA's 211 people
    design = ex.studies["dm_real_identities"]
    assert design["levels"] == ["1K", "2K", "5K", "10K"] and design["reference"]["train"] == "Syn_10K_50_IM"
    assert [c["label"] for c in design["comparisons"][:2]] == ["Mix_1K_10 vs Syn_10K_50_IM", "Mix_1K_10 vs Real_1K_10"]
    pose = ex.studies["light_vs_pose"]
    assert pose["levels"] == ["1", "0.5", "0"] and ex.pose_variants == {"lfw_pose0.5": 0.5, "lfw_pose0": 0.0}
    assert [c["left"]["test"] for c in pose["comparisons"]] == [
        "lfw",
        "lfw_pose0.5",
        "lfw_pose0",
    ]  # k = 1: the test set
    # the studies' texts are the hypotheses written in docs/training.md before the runs
    training_md = " ".join((ROOT / "docs/training.md").read_text().split())
    for study in ex.studies.values():
        assert study["hypothesis"].replace("`", "") in training_md.replace("`", "")
        assert study["prediction"] in training_md


def test_no_studies_adds_nothing():
    config = load_config(ROOT / "config/smoke.yaml", ROOT)
    ex = Experiments(config)
    assert ex.studies == {} and ex.study_targets() == [] and ex.study_metrics_files() == []
    config.pop("studies")
    assert Experiments(config).studies == {}


@pytest.mark.parametrize(
    ("study", "at"),
    [
        (
            {"light_vs_pose": {"pose_scales": [1, -0.5]}},
            r"\(at config\['studies'\]\['light_vs_pose'\]\['pose_scales'\]\[1\]\)",
        ),
        ({"dm_real_identities": {"real_identity": ["1K"]}}, "'real_identity' was unexpected"),
        ({"light_vs_pose": {"claim": 8}}, r"\(at config\['studies'\]\['light_vs_pose'\]\['claim'\]\)"),
    ],
)
def test_a_malformed_study_is_refused_in_one_line_naming_the_key(tmp_path, study, at):
    overlay = yaml.safe_load((ROOT / "config/config.yaml").read_text())["studies"]
    for name, change in study.items():
        overlay[name].update(change)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"studies": overlay}))
    with pytest.raises(SynfaceError, match=at) as err:
        load_config(path, ROOT)
    assert "\n" not in str(err.value)


def test_the_reference_must_be_the_set_domain_mixup_mixes_with():
    config = load_config(ROOT / "config/config.yaml", ROOT)
    config["studies"]["dm_real_identities"]["reference"] = "Syn_10K_50"
    with pytest.raises(SynfaceError, match=r"^studies.dm_real_identities.reference: Syn_10K_50 is not domain_mixup"):
        Experiments(config)


# --- the pose scale of the stand-in LFW ---------------------------------------------------------


def _rng(k: int) -> np.random.Generator:
    return np.random.default_rng([2023, k])


def test_pose_scale_multiplies_every_drawn_angle():
    default, frontal, half = RealPriors(), RealPriors(pose_scale=0.0), RealPriors(pose_scale=0.5)
    draws = np.stack([default.pose(_rng(k)) for k in range(200)])
    assert np.abs(draws).max(axis=0).min() > 0.1  # every angle drawn away from 0
    assert np.array_equal(np.stack([frontal.pose(_rng(k)) for k in range(200)]), np.zeros_like(draws))
    assert np.array_equal(np.stack([half.pose(_rng(k)) for k in range(200)]), draws / 2)
    with pytest.raises(SynfaceError, match="pose_scale"):
        RealPriors(pose_scale=-1.0)


def test_at_scale_one_the_stand_in_lfw_photos_are_unchanged():
    """k = 1 must leave the committed test set's pixels alone: the same arrays as the default priors."""
    keys = [(0, 0), (5, 1), (17, 0), (42, 3)]
    default = ids.RealDomainSettings(seed=2023, dataset="lfw")
    scaled = ids.RealDomainSettings(seed=2023, dataset="lfw", priors=RealPriors(pose_scale=1.0))
    np.testing.assert_array_equal(render_photos(default, keys).images, render_photos(scaled, keys).images)
    frontal = ids.RealDomainSettings(seed=2023, dataset="lfw", priors=RealPriors(pose_scale=0.0))
    photos = render_photos(frontal, keys)
    assert (photos.info["yaw_deg"] == 0).all()
    assert not np.array_equal(photos.images, render_photos(default, keys).images)


def test_a_pose_variant_keeps_the_test_sets_people_images_and_pairs(tmp_path):
    protocol = {"folds": 2, "pairs_per_fold": 2, "seed": 2023}
    write_standin_lfw(tmp_path / "k1", 12, **protocol, progress=False)
    write_standin_lfw(tmp_path / "k0", 12, **protocol, pose_scale=0.0, progress=False)
    pairs = [parse_pairs(tmp_path / k / "pairs.txt") for k in ("k1", "k0")]
    assert pairs[0] == pairs[1] == lfw_protocol(12, **protocol)

    def files(k: str) -> list[str]:
        return sorted(str(p.relative_to(tmp_path / k / "lfw")) for p in (tmp_path / k / "lfw").rglob("*.jpg"))

    assert files("k1") == files("k0") and files("k1")
    first = files("k1")[0]
    assert (tmp_path / "k1/lfw" / first).read_bytes() != (tmp_path / "k0/lfw" / first).read_bytes()
    assert pose_test_set(1) == "lfw" and pose_test_set(0.5) == "lfw_pose0.5" and pose_test_set(0) == "lfw_pose0"


# --- the analysis on hand-built metrics ---------------------------------------------------------

SEED_OFFSETS = (-0.6, 0.1, 0.5)  # per seed, times 1 to 3 by set, added to a set's mean accuracy (%)
OTHER_METRICS = {"accuracy_std": 0.01, "auc": 0.9, "tar_at_far_1e-3": 0.5}  # a metrics file's other keys


def _write_metrics(root: Path, ex: Experiments, study: str, means: dict[tuple[str, str], float]) -> list[str]:
    """Hand-built metrics files of every (set, test) the study reads: mean + SEED_OFFSETS[seed]."""
    files = []
    for train, test in dict.fromkeys((f.split("/")[-3], Path(f).stem) for f in ex.study_metrics_files(study)):
        for seed in ex.seeds:
            path = root / study_metrics_path(train, seed, test)
            path.parent.mkdir(parents=True, exist_ok=True)
            (accuracy,) = _per_seed(train, means[(train, test)], [seed])
            record = {"train": train, "seed": seed, "test": test, "accuracy_mean": accuracy / 100, **OTHER_METRICS}
            path.write_text(json.dumps(record))
            files.append(str(path))
    return files


def _dm_means(mix: list[float]) -> dict[tuple[str, str], float]:
    means = {("Syn_10K_50_IM", "lfw"): 81.0}
    for n, value in zip(("1K", "2K", "5K", "10K"), mix, strict=True):
        means[(f"Mix_{n}_10", "lfw")] = value
        means[(f"Real_{n}_10", "lfw")] = value - 3.0
    return means


def _per_seed(train: str, mean: float, seeds: list[int]) -> list[float]:
    return [mean + SEED_OFFSETS[seed] * (1 + len(train) % 3) for seed in seeds]


def test_a_study_that_turns(tmp_path, monkeypatch):
    ex = _experiments()
    design = ex.studies["dm_real_identities"]
    means = _dm_means([74.0, 77.0, 81.5, 86.0])
    files = _write_metrics(tmp_path, ex, "dm_real_identities", means)
    out = tmp_path / "results/studies"
    results = write_study(design, ex.seeds, files, out / "dm.csv", out / "dm.json")
    frame = pd.read_csv(out / "dm.csv")
    assert list(frame["level"]) == ["N = 1K", "N = 1K", "N = 2K", "N = 2K", "N = 5K", "N = 5K", "N = 10K", "N = 10K"]
    predicted = frame[frame["predicted"]]
    assert list(predicted["delta"].round(1)) == [-7.0, -4.0, 0.5, 5.0]
    # each interval is Welch's t on the same per-seed numbers (scipy's, as the claims use)
    for row in frame.itertuples():
        left = _per_seed(row.left, means[(row.left, "lfw")], ex.seeds)
        right = _per_seed(row.right, means[(row.right, "lfw")], ex.seeds)
        ci = ttest_ind(left, right, equal_var=False).confidence_interval(0.95)
        assert (row.ci_low, row.ci_high) == pytest.approx((ci.low, ci.high), abs=0.006)  # the CSV's 2 decimals
    verdict = json.loads((out / "dm.json").read_text())
    assert verdict["turn"] == "turns at N = 5K" and verdict["prediction_held"] == "yes"
    assert verdict["hypothesis"] == design["hypothesis"] and verdict["claim"] == 8
    assert verdict["at_end"].startswith("N = 10K: Mix_10K_10 vs Syn_10K_50_IM Δ +5.00")
    drawn = catch(monkeypatch, study_figures)
    study_figure(design, results, out / "dm.png", "embedded")
    assert (out / "dm.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "mean ± 95 % CI over 3 seeds" in words(drawn[0])
    assert_titles_in_words(drawn[0])


def test_a_study_that_does_not_turn(tmp_path):
    ex = _experiments()
    design = ex.studies["light_vs_pose"]
    means = {}
    for k, gap in zip(("lfw", "lfw_pose0.5", "lfw_pose0"), (-2.5, -2.0, -1.5), strict=True):
        means[("Syn_5K_50_pose", k)] = 61.0
        means[("Syn_5K_50_illumination", k)] = 61.0 + gap
    files = _write_metrics(tmp_path, ex, "light_vs_pose", means)
    results = study_summaries(design, ex.seeds, files)
    frame = study_frame(design, results)
    assert list(frame["level"]) == ["k = 1", "k = 0.5", "k = 0"]
    assert list(frame["delta"]) == pytest.approx([-2.5, -2.0, -1.5], abs=0.01)
    verdict = study_verdict(design, frame)
    assert verdict["turn"] == "does not turn" and verdict["prediction_held"] == "no"  # rises, but stays below 0
    study_figure(design, results, tmp_path / "pose.png", "embedded")
    # a missing metrics file is named
    with pytest.raises(SynfaceError, match=r"metrics file missing: train Syn_5K_50_\w+, seed 2, test lfw_pose0 "):
        study_summaries(design, ex.seeds, [f for f in files if not f.endswith("seed2/lfw_pose0.json")])
