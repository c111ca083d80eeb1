"""Result figures from planted metrics files and a planted feature distribution."""

from __future__ import annotations

import json

import pytest
from PIL import Image
from test_analysis import CONFIG, features_with, paper_minus, plant

from synface.errors import SynfaceError
from synface.figures.feature_distribution import feature_distribution_figure
from synface.figures.results import attributes_figure, domain_mixup_figure, width_depth_figure


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[str]:
    return plant(tmp_path_factory.mktemp("run"), paper_minus(8.0))


@pytest.mark.parametrize("figure", [width_depth_figure, domain_mixup_figure, attributes_figure])
def test_result_figure_is_written_and_stable(figure, files, tmp_path):
    out = tmp_path / "figure.png"
    figure(CONFIG, files, out, "embedded")
    assert out.stat().st_size > 20_000
    with Image.open(out) as image:
        width, height = image.size
    assert width > 600 and height > 400
    again = tmp_path / "again.png"
    figure(CONFIG, files, again, "embedded")
    assert out.read_bytes() == again.read_bytes()


def test_result_figure_names_a_missing_metrics_file(files, tmp_path):
    lacking = [f for f in files if "Mix_2K_20/seed0" not in f]
    with pytest.raises(SynfaceError, match=r"Mix_2K_20/seed0/lfw\.json"):
        domain_mixup_figure(CONFIG, lacking, tmp_path / "dm.png", "paper")
    assert not (tmp_path / "dm.png").exists()


def test_feature_distribution_figure(tmp_path):
    features = tmp_path / "feature_distribution.json"
    features.write_text(json.dumps(features_with([0.2, 0.3, 0.4], [3.0, 2.0, 1.0])))
    out = tmp_path / "fd.png"
    feature_distribution_figure(features, out, "embedded")
    assert out.stat().st_size > 20_000
    with pytest.raises(SynfaceError, match="missing.json"):
        feature_distribution_figure(tmp_path / "missing.json", out, "embedded")
