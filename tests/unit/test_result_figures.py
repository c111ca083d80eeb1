"""Result figures from planted metrics files and a planted feature distribution."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from drawn import assert_titles_in_words, catch, words
from matplotlib.colors import rgb_to_hsv, to_rgb
from matplotlib.container import BarContainer, ErrorbarContainer
from PIL import Image
from test_analysis import GRID, SEEDS, features_with, paper_minus, plant

from synface.analysis.metrics import summaries
from synface.errors import SynfaceError
from synface.figures import feature_distribution, generator_figures, results, training_curves
from synface.figures.feature_distribution import SHOWN_IDENTITIES, feature_distribution_figure
from synface.figures.results import attributes_figure, domain_mixup_figure, width_depth_figure
from synface.figures.training_curves import SMOOTH_STEPS, family, seed_band, training_curves_figure

RESULT_FIGURES = [
    (width_depth_figure, "width_depth"),
    (domain_mixup_figure, "domain_mixup"),
    (attributes_figure, "attributes"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[str]:
    return plant(tmp_path_factory.mktemp("run"), paper_minus(8.0))


@pytest.mark.parametrize(("figure", "table"), RESULT_FIGURES)
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


@pytest.mark.parametrize(("figure", "table"), RESULT_FIGURES)
def test_result_figure_draws_points_with_their_intervals_in_view(figure, table, files, tmp_path, monkeypatch):
    drawn = catch(monkeypatch, results)
    figure(GRID[table], SEEDS, files, tmp_path / "figure.png", "embedded")
    (fig,) = drawn
    assert "mean ± 95 % CI over 3 seeds" in words(fig)
    assert_titles_in_words(fig)
    ours = summaries(GRID[table], SEEDS, files)
    lows = {round(s.ci95[0], 6) for s in ours.values()}
    for ax in fig.axes:
        assert not any(isinstance(c, BarContainer) for c in ax.containers)  # points, never bars from a baseline
        bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        assert bars
        # each error bar spans our 95 % CI (Student t over the seeds), and the y axis shows all of it
        drawn_lows = {round(float(seg[0][1]), 6) for c in bars for seg in c.lines[2][0].get_segments()}
        assert drawn_lows <= lows
        bottom, top = ax.get_ylim()
        assert bottom <= min(drawn_lows) and top >= 90


def test_result_figure_with_one_seed_says_it_has_no_interval(tmp_path, monkeypatch):
    drawn = catch(monkeypatch, results)
    one = plant(tmp_path, paper_minus(8.0))
    attributes_figure(GRID["attributes"], [0], [f for f in one if "/seed0/" in f], tmp_path / "a.png", "embedded")
    assert "one seed, no interval" in words(drawn[0]) and "95 %" not in words(drawn[0])


def test_result_figure_names_a_missing_metrics_file(files, tmp_path):
    lacking = [f for f in files if "Mix_2K_20/seed0" not in f]
    with pytest.raises(SynfaceError, match=r"train Mix_2K_20, seed 0, test lfw"):
        domain_mixup_figure(GRID["domain_mixup"], SEEDS, lacking, tmp_path / "dm.png", "paper")
    assert not (tmp_path / "dm.png").exists()


@pytest.mark.parametrize("seeds", [1, 3])
def test_feature_distribution_figure(tmp_path, seeds, monkeypatch):
    drawn = catch(monkeypatch, feature_distribution)
    features = tmp_path / "feature_distribution.json"
    features.write_text(json.dumps(features_with([0.2, 0.3, 0.4], [3.0, 2.0, 1.0], seeds=seeds, noise=0.05)))
    out = tmp_path / "fd.png"
    feature_distribution_figure(features, out, "embedded")
    assert out.stat().st_size > 20_000
    (fig,) = drawn
    assert_titles_in_words(fig)  # the observer models' paths (models/Real/seed0/model.pt) stay in the JSON
    assert ("mean ± 95 % CI over 3 seeds" if seeds == 3 else "one seed, no interval") in words(fig)
    spread = fig.axes[-1]
    assert not any(isinstance(c, BarContainer) for c in spread.containers)
    with pytest.raises(SynfaceError, match="missing.json"):
        feature_distribution_figure(tmp_path / "missing.json", out, "embedded")


def test_feature_distribution_colours_a_handful_of_identities_around_their_centres(tmp_path, monkeypatch):
    """Ten identities of three images each: six drawn in distinct colours with a line from each image to
    its identity's centre, the other four grey."""
    drawn = catch(monkeypatch, feature_distribution)
    data = features_with([0.2, 0.3, 0.4], [3.0, 2.0, 1.0])
    people = np.repeat(np.arange(10), 3).tolist()
    data["sets"][1]["points"] = [[10.0 * p + k % 3, p] for k, p in enumerate(people)]
    data["sets"][1]["identity"] = people
    features = tmp_path / "feature_distribution.json"
    features.write_text(json.dumps(data))
    feature_distribution_figure(features, tmp_path / "fd.png", "embedded")
    panel = drawn[0].axes[1]
    spokes = [line for line in panel.lines if len(line.get_xdata()) == 2]
    assert len(spokes) == 3 * SHOWN_IDENTITIES  # one per coloured image
    assert len({to_rgb(line.get_color()) for line in spokes}) == SHOWN_IDENTITIES
    for line in spokes:  # each starts at its identity's centre
        (cx, _), (cy, y) = line.get_xdata(), line.get_ydata()
        assert cy == y and cx == 10.0 * y + 1.0


def _steps_file(path, losses) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("step,epoch,loss,lr\n" + "".join(f"{k + 1},1,{loss},0.1\n" for k, loss in enumerate(losses)))
    return str(path)


def test_seed_band_is_median_and_range_per_step(tmp_path):
    seeds = [[3.0, 2.0, 1.0], [5.0, 1.0, 2.0], [4.0, 6.0, 0.5]]
    files = [_steps_file(tmp_path / f"{k}.csv", s) for k, s in enumerate(seeds)]
    steps, median, low, high = seed_band(files, window=1)
    assert steps.tolist() == [1, 2, 3]
    assert (median.tolist(), low.tolist(), high.tolist()) == ([4.0, 2.0, 1.0], [3.0, 1.0, 0.5], [5.0, 6.0, 2.0])
    # a centred running mean over 3 steps (2 at the ends) per seed, then the median over seeds
    _, median, low, high = seed_band(files, window=3)
    assert median.tolist() == pytest.approx([3.0, 8 / 3, 1.5]) and low.tolist() == pytest.approx([2.5, 2.0, 1.5])
    assert high.tolist() == pytest.approx([5.0, 3.5, 3.25])


@pytest.mark.parametrize(
    ("train", "kind"),
    [
        ("Syn_10K_50", "Syn"),
        ("Syn_10K_50_IM", "Syn_IM"),
        ("Syn_5K_50_pose_IM", "Syn_IM"),
        ("Real", "Real"),
        ("Real_1K_10", "Real"),
        ("Mix_1K_10", "Mix"),
    ],
)
def test_family_of_a_training_set(train, kind):
    assert family(train) == kind


def _hue(colour) -> float:
    return float(rgb_to_hsv(to_rgb(colour))[0])


def test_training_curves_figure(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)

    def run(table: str, train: str, seed: int, steps: int) -> str:
        losses = 20 * np.exp(-np.arange(steps) / steps) + rng.uniform(0, 1, steps)
        return _steps_file(tmp_path / table / train / f"seed{seed}.csv", losses)

    # a small table, and one with more training sets than one legend column holds, half of them with IM
    names = {"cross_domain": ["Syn_0K_50", "Syn_1K_50"]}
    names["width_depth"] = [f"Syn_{k}K_50{im}" for k in range(6) for im in ("", "_IM")]
    runs = {
        table: {name: [run(table, name, seed, 40 * (k + 1)) for seed in range(3)] for k, name in enumerate(sets)}
        for table, sets in names.items()
    }
    out = tmp_path / "curves.png"
    drawn = catch(monkeypatch, training_curves)
    training_curves_figure(runs, out, "embedded")
    assert out.stat().st_size > 20_000
    fig = drawn[0]
    assert_titles_in_words(fig)
    assert f"running mean over {SMOOTH_STEPS} steps; median over 3 seeds" in fig.get_suptitle()
    curves = fig.axes[1]
    assert curves.get_title().startswith("Width and depth of the synthetic set")
    lines = {line.get_label(): line for line in curves.lines}
    assert len(lines) == 12  # one line per training set, the median over its seeds
    plain = [line for name, line in lines.items() if not name.endswith("_IM")]
    mixed = [line for name, line in lines.items() if name.endswith("_IM")]
    # IM and no-IM apart at a glance: dashed oranges against solid blues
    assert {line.get_linestyle() for line in plain} == {"-"} and {line.get_linestyle() for line in mixed} == {"--"}
    assert all(0.5 < _hue(line.get_color()) < 0.7 for line in plain)  # blue
    assert all(0.0 < _hue(line.get_color()) < 0.15 for line in mixed)  # orange
    assert curves.get_xscale() == "linear" and curves.get_yscale() == "log"
    fig.canvas.draw()
    ticks = [t.get_text() for t in curves.get_yticklabels() if t.get_text()]
    assert ticks and all(math.isfinite(float(t)) for t in ticks)  # plain numbers: no 1e-01, no 10^{-1}
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


def test_factor_variation_figure_names_its_rows_in_words(tmp_path, monkeypatch):
    drawn = catch(monkeypatch, generator_figures)
    generator_figures.factor_variation_figure(tmp_path / "fv.png", images=2)
    (fig,) = drawn
    assert_titles_in_words(fig)
    rows = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert rows == ["every factor", "none", "expression", "illumination", "pose"]
