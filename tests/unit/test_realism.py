"""`synface bench realism` (dlib's view of the faces) and `synface render --domain real`."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from synface.bench.realism import (
    goals_met,
    identity_bootstrap,
    mixup_sweep,
    realism_metrics,
    render_sets,
    weighted_auc,
)
from synface.cli import main
from synface.data.storage import Dataset
from synface.generator import lam
from synface.generator.sampling import PHI_GRID, GenerationSettings, identity_coefficients, identity_lambdas
from synface.protocol import roc_auc
from synface.realdomain.casia import real_train_settings, render_keys
from synface.realdomain.identities import RealDomainSettings


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


# --- the metrics on planted descriptors ---------------------------------------------------------------------------
def test_detection_rate_and_auc_of_planted_descriptors():
    identities = np.array([0, 0, 1, 1, 2, 2])
    apart = np.repeat(np.eye(3) * 10, 2, axis=0) + np.random.default_rng(0).normal(0, 0.1, (6, 3))
    found = np.array([True, True, False, True, True, True])
    yaw = np.array([0.0, 5.0, 10.0, -25.0, 30.0, 0.0])
    occluded = np.array([False, True, False, False, False, False])
    metrics = realism_metrics(found, apart, identities, yaw, occluded, None)
    assert metrics == {
        "detection_rate": pytest.approx(5 / 6),
        "detection_rate_frontal": pytest.approx(3 / 4),
        "detection_rate_frontal_clear": pytest.approx(2 / 3),  # the occluded frontal crop left out
        "frontal_share": pytest.approx(4 / 6),
        # |yaw| 0, 5 | 10 | 25 | 30 (a band's lower edge belongs to it) | 0
        "detection_by_yaw": {
            "0-10": {"rate": 1.0, "crops": 3},
            "10-20": {"rate": 0.0, "crops": 1},
            "20-30": {"rate": 1.0, "crops": 1},
            "30-45": {"rate": 1.0, "crops": 1},
        },
        "identity_auc": 1.0,
        "mixup_rho": None,
    }
    # 1-D descriptors 0, 0, 10, 10 of identities 0, 1, 0, 1: both genuine pairs lie 10 apart, the four
    # impostor pairs 0, 10, 10, 0 apart; a genuine pair beats none and ties two of four: AUC 1/4
    tied = realism_metrics(
        found[:4], np.array([[0.0], [0.0], [10.0], [10.0]]), np.array([0, 1, 0, 1]), yaw[:4], occluded[:4], None
    )
    assert tied["identity_auc"] == pytest.approx(0.25)


def test_weighted_auc_counts_a_pair_of_weight_k_as_k_pairs():
    rng = np.random.default_rng(1)
    scores, same = rng.normal(size=40), rng.random(40) < 0.3
    assert weighted_auc(scores, same, np.ones(40)) == pytest.approx(roc_auc(scores, same))
    weights = rng.integers(1, 4, 40)
    assert weighted_auc(scores, same, weights.astype(float)) == pytest.approx(
        roc_auc(np.repeat(scores, weights), np.repeat(same, weights))
    )


def test_identity_bootstrap_intervals():
    identities = np.repeat(np.arange(8), 4)
    found = np.ones(32, bool)
    found[:4] = False  # one person never detected: the rate is 7/8 when all are drawn once
    descriptors = np.repeat(np.eye(8) * 10, 4, axis=0) + np.random.default_rng(0).normal(0, 0.1, (32, 8))
    ci = identity_bootstrap(found, descriptors, identities)
    low, high = ci["detection_rate"]
    assert low < 7 / 8 < high and high == 1.0  # resamples without that person detect every crop
    assert ci["identity_auc"] == [1.0, 1.0]  # every genuine pair is closer than every impostor pair
    assert identity_bootstrap(found, descriptors, identities) == ci  # seeded: the same intervals every run


def test_mixup_rho_of_planted_sweeps():
    e = np.eye(128)[0]
    away = (1 - PHI_GRID)[:, None] ** 2 * e  # distance to φ = 1 falls monotonically with φ: ρ = -1
    # distance rising with φ but 0 at φ = 1 itself: ranks off by one but the top's by 20,
    # ρ = 1 - 6·(20·1 + 20²) / (21·(21² - 1)) = 8/11
    towards = np.r_[np.arange(1.0, 21.0), 0.0][:, None] * e
    metrics = realism_metrics(
        np.ones(4, bool), np.eye(4), np.array([0, 0, 1, 1]), np.zeros(4), np.zeros(4, bool), np.stack([away, towards])
    )
    assert metrics["mixup_rho"] == pytest.approx((-1 + 8 / 11) / 2)


def test_goals():
    assert goals_met({"detection_rate": 0.95, "identity_auc": 0.89, "mixup_rho": None}) == {
        "detection_rate": True,
        "identity_auc": False,
        "mixup_rho": None,
    }
    assert goals_met({"detection_rate": 0.5, "identity_auc": 0.95, "mixup_rho": -0.6})["mixup_rho"] is True


def test_mixup_sweep_moves_only_the_identity_towards_one_partner():
    settings = GenerationSettings(5, 3, identity_mixup=False, seed=2)
    sweep = mixup_sweep(settings, 1)
    assert sweep.shape == (len(PHI_GRID), lam.LAMBDA_DIM)
    rest = np.ones(lam.LAMBDA_DIM, bool)
    rest[lam.IDENTITY] = False
    assert (sweep[:, rest] == sweep[0, rest]).all()
    own_image, _ = identity_lambdas(GenerationSettings(5, 1, identity_mixup=False, seed=2), 1)
    np.testing.assert_array_equal(sweep[-1], own_image[0])  # φ = 1: the identity itself
    partner = sweep[0, lam.IDENTITY]  # φ = 0: all partner
    assert any(np.allclose(partner, identity_coefficients(settings, k)) for k in (0, 2, 3, 4))


def test_factor_mode_none_renders_each_identity_alike():
    sets = render_sets("synthetic", 2, 2, seed=3, factor="none")
    assert (sets.images[0] == sets.images[1]).all() and (sets.images[0] != sets.images[2]).any()


def test_only_real_photos_have_occluders_and_glasses_alone_do_not_count():
    assert not render_sets("synthetic", 2, 2, seed=3, factor="none").occluded.any()
    keys = [(i, j) for i in range(12) for j in range(6)]
    _, meta = render_keys(real_train_settings(1), keys)  # the photos the benchmark judges
    sets = render_sets("real", 12, 6, seed=1)
    covered = (meta["sunglasses"] | meta["hat"] | meta["hand"]).to_numpy()
    assert covered.any() and (meta["glasses"] & ~meta["sunglasses"]).any()
    np.testing.assert_array_equal(sets.occluded, covered)


# --- the benchmark end to end --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("domain", "factor"), [("synthetic", "pose"), ("real", None)])
def test_bench_realism_prints_one_json_line(tmp_path, capsys, domain, factor):
    pytest.importorskip("dlib", reason="dlib-bin not installed (pinned in requirements.lock)")
    pytest.importorskip("face_recognition_models", reason="face-recognition-models (with setuptools<81) not installed")
    sheet = tmp_path / "sheet.png"
    factor_option = [] if factor is None else ["--factor", factor]
    command = ["bench", "realism", "--domain", domain, "--ids", "2", "--per-id", "3", *factor_option]
    assert main([*command, "--sheet", str(sheet)]) == 0
    assert np.asarray(Image.open(sheet)).shape == (2 * 112, 3 * 96, 3)  # a row per identity
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert (result["domain"], result["ids"], result["per_id"], result["factor"]) == (domain, 2, 3, factor or "all")
    assert 0 <= result["detection_rate"] <= 1 and 0 <= result["identity_auc"] <= 1
    assert "detection_rate_frontal_clear" in result
    for name in ("detection_rate", "identity_auc"):
        low, high = result["ci95"][name]
        assert 0 <= low <= high <= 1
    assert set(result["goals"]) == set(result["met"]) == {"detection_rate", "identity_auc", "mixup_rho"}
    if domain == "real":
        assert result["mixup_rho"] is None and result["met"]["mixup_rho"] is None
    else:
        assert -1 <= result["mixup_rho"] <= 1


def test_bench_realism_without_dlib_says_how_to_install(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "dlib", None)  # None in sys.modules: `import dlib` raises ImportError
    assert main(["bench", "realism"]) == 2
    errors = _error_lines(capsys.readouterr().err)
    assert len(errors) == 1 and "pip install dlib-bin face-recognition-models" in errors[0]


# --- render --domain -----------------------------------------------------------------------------------------------
def test_render_real_writes_the_browsable_layout_and_reads_back(tmp_path, capsys):
    out = tmp_path / "browse"
    assert main(["render", "--domain", "real", "--ids", "2", "--per-id", "3", "--seed", "4", "--out", str(out)]) == 0
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.jpg"))
    assert names[0] == "00001/001_00001x1.000_(00001)x0.000.jpg" and len(names) == 6
    listing = pd.read_csv(out / "metadata.csv")
    assert list(listing["identity"]) == [1, 1, 1, 2, 2, 2] and list(listing["image"]) == [1, 2, 3] * 2
    assert (listing["partner"] == listing["identity"]).all()  # as the names write it: each its own partner
    assert main(["import", "synface", str(out), "--out", str(tmp_path / "ds")]) == 0
    ds = Dataset.open(tmp_path / "ds")
    assert list(ds.meta["identity"]) == [0, 0, 0, 1, 1, 1] and (ds.meta["phi"] == 1).all()
    expected, _ = render_keys(RealDomainSettings(seed=4), [(i, j) for i in range(2) for j in range(3)])
    assert np.abs(ds.images().astype(int) - expected).mean() < 3  # the same photos, through JPEG at quality 95


@pytest.mark.parametrize(
    "command", [["render", "--ids", "2", "--per-id", "1", "--out", "unused"], ["bench", "realism"]]
)
def test_unknown_domain_is_a_one_line_error(capsys, command):
    assert main([*command, "--domain", "painted"]) == 2
    errors = _error_lines(capsys.readouterr().err)
    assert errors == ["synface: error: unknown domain 'painted'; choose one of synthetic, real"]


@pytest.mark.parametrize("option", [["--no-im"], ["--im"], ["--factor", "pose"]])
def test_render_real_refuses_synthetic_only_options(tmp_path, capsys, option):
    out = tmp_path / "out"
    assert main(["render", "--domain", "real", "--ids", "2", "--per-id", "1", *option, "--out", str(out)]) == 2
    errors = _error_lines(capsys.readouterr().err)
    assert len(errors) == 1 and "synthetic-only" in errors[0]
    assert not out.exists()
