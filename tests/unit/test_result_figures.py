"""Result figures from planted metrics files and a planted feature distribution."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from test_analysis import GRID, SEEDS, features_with, paper_minus, plant

from synface.errors import SynfaceError
from synface.figures.feature_distribution import feature_distribution_figure
from synface.figures.results import attributes_figure, domain_mixup_figure, width_depth_figure
from synface.figures.training_curves import seed_band, training_curves_figure


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[str]:
    return plant(tmp_path_factory.mktemp("run"), paper_minus(8.0))


@pytest.mark.parametrize(
    ("figure", "table"),
    [(width_depth_figure, "width_depth"), (domain_mixup_figure, "domain_mixup"), (attributes_figure, "attributes")],
)
def test_result_figure_is_written_and_stable(figure, table, files, tmp_path):
    out = tmp_path / "figure.png"
    figure(GRID[table], SEEDS, files, out, "embedded")
    assert out.stat().st_size > 20_000
    with Image.open(out) as image:
        width, height = image.size
    assert width > 600 and height > 400
    again = tmp_path / "again.png"
    figure(GRID[table], SEEDS, files, again, "embedded")
    assert out.read_bytes() == again.read_bytes()


def test_result_figure_names_a_missing_metrics_file(files, tmp_path):
    lacking = [f for f in files if "Mix_2K_20/seed0" not in f]
    with pytest.raises(SynfaceError, match=r"Mix_2K_20/seed0/lfw\.json"):
        domain_mixup_figure(GRID["domain_mixup"], SEEDS, lacking, tmp_path / "dm.png", "paper")
    assert not (tmp_path / "dm.png").exists()


@pytest.mark.parametrize("seeds", [1, 3])
def test_feature_distribution_figure(tmp_path, seeds):
    features = tmp_path / "feature_distribution.json"
    features.write_text(json.dumps(features_with([0.2, 0.3, 0.4], [3.0, 2.0, 1.0], seeds=seeds, noise=0.05)))
    out = tmp_path / "fd.png"
    feature_distribution_figure(features, out, "embedded")
    assert out.stat().st_size > 20_000
    with pytest.raises(SynfaceError, match="missing.json"):
        feature_distribution_figure(tmp_path / "missing.json", out, "embedded")


def _steps_file(path, losses) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("step,epoch,loss,lr\n" + "".join(f"{k + 1},1,{loss},0.1\n" for k, loss in enumerate(losses)))
    return str(path)


def test_seed_band_is_median_and_range_per_step(tmp_path):
    seeds = [[3.0, 2.0, 1.0], [5.0, 1.0, 2.0], [4.0, 6.0, 0.5]]
    steps, median, low, high = seed_band([_steps_file(tmp_path / f"{k}.csv", s) for k, s in enumerate(seeds)])
    assert steps.tolist() == [1, 2, 3]
    assert (median.tolist(), low.tolist(), high.tolist()) == ([4.0, 2.0, 1.0], [3.0, 1.0, 0.5], [5.0, 6.0, 2.0])


def test_training_curves_figure(tmp_path):
    rng = np.random.default_rng(0)

    def run(table: str, train: str, seed: int, steps: int) -> str:
        losses = 20 * np.exp(-np.arange(steps) / steps) + rng.uniform(0, 1, steps)
        return _steps_file(tmp_path / table / train / f"seed{seed}.csv", losses)

    # a small table, and one with more training sets than one legend column holds
    runs = {
        table: {f"Syn_{k}K_50": [run(table, f"Syn_{k}K_50", seed, 40 * (k + 1)) for seed in range(3)] for k in range(n)}
        for table, n in (("cross_domain", 2), ("width_depth", 12))
    }
    out = tmp_path / "curves.png"
    training_curves_figure(runs, out, "embedded")
    assert out.stat().st_size > 20_000
    again = tmp_path / "again.png"
    training_curves_figure(runs, again, "embedded")
    assert out.read_bytes() == again.read_bytes()
    broken = {"cross_domain": {"Real": [runs["cross_domain"]["Syn_0K_50"][0], str(tmp_path / "gone.csv")]}}
    with pytest.raises(SynfaceError, match="gone.csv: steps file not found"):
        training_curves_figure(broken, tmp_path / "broken.png", "embedded")
    unequal = {"cross_domain": {"Real": [runs["cross_domain"]["Syn_0K_50"][0], runs["cross_domain"]["Syn_1K_50"][0]]}}
    with pytest.raises(SynfaceError, match="Syn_1K_50/seed0.csv: steps differ"):
        training_curves_figure(unequal, tmp_path / "unequal.png", "embedded")
    assert not (tmp_path / "broken.png").exists() and not (tmp_path / "unequal.png").exists()
