"""Identity mixup (eq. 1) and factor modes on λ, before any rendering."""

from __future__ import annotations

import numpy as np
import pytest

from synface.errors import SynfaceError
from synface.generator import lam
from synface.generator.sampling import (
    FACTOR_MODES,
    FACTORS,
    PHI_GRID,
    GenerationSettings,
    identity_coefficients,
    identity_lambdas,
)


def test_phi_grid_is_the_official_21_values():
    assert len(PHI_GRID) == 21 and PHI_GRID[0] == 0.0 and PHI_GRID[-1] == 1.0
    np.testing.assert_allclose(np.diff(PHI_GRID), 0.05)


def test_im_partners_are_distinct_and_never_self_and_phi_on_grid():
    settings = GenerationSettings(n_ids=12, per_id=11, identity_mixup=True, seed=3)
    seen_phi = set()
    for i in range(settings.n_ids):
        _, labels = identity_lambdas(settings, i)
        partners = labels["partner"].to_numpy()
        assert len(set(partners)) == settings.per_id
        assert i not in partners and partners.min() >= 0 and partners.max() < settings.n_ids
        assert np.isin(labels["phi"], PHI_GRID).all()
        seen_phi |= set(labels["phi"])
    assert len(seen_phi) > 10  # uniform over the grid, not a constant


def test_im_mixes_identity_coefficients_by_phi_only():
    settings = GenerationSettings(n_ids=6, per_id=5, identity_mixup=True, seed=1)
    lambdas, labels = identity_lambdas(settings, 2)
    own = identity_coefficients(settings, 2)
    for row, (k, phi) in enumerate(zip(labels["partner"], labels["phi"], strict=True)):
        expected = phi * own + (1 - phi) * identity_coefficients(settings, int(k))
        np.testing.assert_allclose(lambdas[row, lam.IDENTITY], expected, rtol=1e-6, atol=1e-6)
    # the other factors do not depend on IM: same draw with and without mixup
    plain, _ = identity_lambdas(GenerationSettings(6, 5, identity_mixup=False, seed=1), 2)
    np.testing.assert_array_equal(lambdas[:, lam.IDENTITY.stop :], plain[:, lam.IDENTITY.stop :])


def test_without_im_phi_is_one_and_identity_is_pure():
    settings = GenerationSettings(n_ids=3, per_id=20, identity_mixup=False, seed=0)
    lambdas, labels = identity_lambdas(settings, 1)
    assert (labels["phi"] == 1).all() and (labels["partner"] == -1).all()
    np.testing.assert_array_equal(
        lambdas[:, lam.IDENTITY], np.broadcast_to(identity_coefficients(settings, 1), (20, 160))
    )


@pytest.mark.parametrize("mode", list(FACTOR_MODES))
def test_factor_modes_vary_exactly_the_named_factors(mode):
    lambdas, _ = identity_lambdas(GenerationSettings(n_ids=4, per_id=6, identity_mixup=False, factor=mode, seed=5), 3)
    for factor in FACTORS:
        block = lambdas[:, lam.FACTOR_SLICES[factor]]
        constant = bool((block == block[0]).all())
        assert constant == (factor not in FACTOR_MODES[mode]), (mode, factor)


def test_draws_depend_on_seed_identity_and_image_only():
    a, _ = identity_lambdas(GenerationSettings(n_ids=50, per_id=4, seed=9), 7)
    b, _ = identity_lambdas(GenerationSettings(n_ids=50, per_id=4, seed=9), 7)
    c, _ = identity_lambdas(GenerationSettings(n_ids=50, per_id=4, seed=10), 7)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_priors_look_like_discofacegan_samples():
    lambdas = np.concatenate([identity_lambdas(GenerationSettings(400, 5, seed=2), i)[0] for i in range(400)])
    yaw = np.rad2deg(lambdas[:, lam.POSE][:, lam.YAW])
    assert np.abs(yaw).max() <= 40.0 + 1e-4 and np.mean(np.abs(yaw) < 20) > 0.6  # mostly frontal
    smile = lambdas[:, lam.EXPRESSION][:, lam.EXPRESSION_SMILE]
    assert 0.25 < np.mean(smile > 0.35) < 0.55  # a good share smiling


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_ids": 0, "per_id": 1}, "positive"),
        ({"n_ids": 5, "per_id": -2}, "positive"),
        ({"n_ids": 5, "per_id": 2, "factor": "hair"}, "unknown factor mode"),
        ({"n_ids": 5, "per_id": 5, "identity_mixup": True}, "distinct partner"),
    ],
)
def test_bad_settings_are_rejected(kwargs, message):
    with pytest.raises(SynfaceError, match=message):
        GenerationSettings(**kwargs)
