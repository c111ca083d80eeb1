"""The official IM/DM equations on hand-built batches, against direct computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from synface.data.storage import Dataset, DatasetWriter, empty_metadata
from synface.errors import SynfaceError
from synface.train.loader import soft_labels
from synface.train.mixup import PSI_STEPS, mix_images, mixup_logits, mixup_loss, sample_psi

B, D, C = 6, 5, 7


class MarginHead(torch.nn.Module):
    """A stand-in margin head: linear logits with a margin subtracted at the label column only."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(C, D, generator=torch.Generator().manual_seed(1)))

    def forward(self, f: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return f @ self.weight.T - 0.7 * F.one_hot(y, C)


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(0)
    f = torch.randn(B, D, generator=g)
    i = torch.tensor([0, 1, 2, 3, 4, 5])
    k = torch.tensor([1, 2, 3, 4, 5, 6])
    y = torch.tensor([6, 5, 4, 3, 2, 1])
    phi = torch.tensor([1.0, 0.0, 0.25, 0.5, 0.95, 0.6])
    return MarginHead(), f, i, phi, k, y


def direct(head, f, i, phi, k, psi, y):
    """The equations written out sample by sample."""
    logits, terms_i, terms_k, terms_r = [], [], [], []
    for n in range(B):
        fn = f[n : n + 1]
        syn = phi[n] * head(fn, i[n : n + 1]) + (1 - phi[n]) * head(fn, k[n : n + 1])
        logits.append(psi * syn + (1 - psi) * head(fn, y[n : n + 1]))
    logits = torch.cat(logits)
    for n in range(B):
        ln = logits[n : n + 1]
        terms_i.append(phi[n] * F.cross_entropy(ln, i[n : n + 1]))
        terms_k.append((1 - phi[n]) * F.cross_entropy(ln, k[n : n + 1]))
        terms_r.append(F.cross_entropy(ln, y[n : n + 1]))
    loss = psi * (torch.stack(terms_i).mean() + torch.stack(terms_k).mean()) + (1 - psi) * torch.stack(terms_r).mean()
    return logits, loss


@pytest.mark.parametrize("psi", [0.0, 0.35, 1.0])
def test_equations_match_direct_computation(batch, psi):
    head, f, i, phi, k, y = batch
    logits = mixup_logits(head, f, i, phi, k, psi, y)
    want_logits, want_loss = direct(head, f, i, phi, k, psi, y)
    torch.testing.assert_close(logits, want_logits)
    torch.testing.assert_close(mixup_loss(logits, i, phi, k, psi, y), want_loss)


def test_phi_and_psi_at_the_ends(batch):
    head, f, i, phi, k, y = batch
    ones, zeros = torch.ones(B), torch.zeros(B)
    # phi = 1: plain margin softmax on i (k irrelevant); phi = None means the same
    plain = mixup_logits(head, f, i, ones, k)
    torch.testing.assert_close(plain, head(f, i))
    torch.testing.assert_close(mixup_logits(head, f, i), head(f, i))
    torch.testing.assert_close(mixup_loss(plain, i, ones, k), F.cross_entropy(head(f, i), i))
    torch.testing.assert_close(mixup_loss(plain, i), F.cross_entropy(head(f, i), i))
    # phi = 0: all label weight on the partner k
    swapped = mixup_logits(head, f, i, zeros, k)
    torch.testing.assert_close(swapped, head(f, k))
    torch.testing.assert_close(mixup_loss(swapped, i, zeros, k), F.cross_entropy(head(f, k), k))
    # psi = 0: the real batch alone
    real = mixup_logits(head, f, i, phi, k, 0.0, y)
    torch.testing.assert_close(real, head(f, y))
    torch.testing.assert_close(mixup_loss(real, i, phi, k, 0.0, y), F.cross_entropy(head(f, y), y))
    # psi = 1 with real labels present: the synthetic terms alone
    torch.testing.assert_close(mixup_logits(head, f, i, phi, k, 1.0, y), mixup_logits(head, f, i, phi, k))


def test_psi_without_real_labels_is_refused(batch):
    head, f, i, phi, k, _ = batch
    with pytest.raises(ValueError):
        mixup_logits(head, f, i, phi, k, 0.5)


def test_psi_grid_is_uniform_over_21_values_and_seeded():
    g = torch.Generator().manual_seed(3)
    draws = [sample_psi(g) for _ in range(4000)]
    values, counts = np.unique(draws, return_counts=True)
    np.testing.assert_allclose(values, np.linspace(0, 1, PSI_STEPS))
    assert counts.min() > 4000 / PSI_STEPS * 0.7
    again = torch.Generator().manual_seed(3)
    assert [sample_psi(again) for _ in range(50)] == draws[:50]


def test_mix_images_is_pixelwise():
    xs, xr = torch.full((1, 3, 2, 2), 1.0), torch.full((1, 3, 2, 2), -1.0)
    torch.testing.assert_close(mix_images(xs, xr, 0.25), torch.full((1, 3, 2, 2), -0.5))
    assert mix_images(xs, None, 1.0) is xs


def _view(tmp_path, identity, partner, phi) -> Dataset:
    meta = empty_metadata(len(identity))
    meta["identity"], meta["partner"], meta["phi"] = identity, partner, phi
    meta["image"] = pd.Series(identity).groupby(identity).cumcount().to_numpy()
    with DatasetWriter(tmp_path / "ds", 8, 8) as w:
        w.append(np.zeros((len(identity), 8, 8, 3), np.uint8), meta)
    return Dataset.open(tmp_path / "ds")


def test_soft_labels_number_classes_over_identities_and_weighted_partners(tmp_path):
    # identities 3 and 7 in the view; partner 9 lies outside it; partner 5 has weight 0 (phi = 1)
    ds = _view(tmp_path, [3, 3, 7, 7], [7, 9, 3, 5], [0.5, 0.25, 0.0, 1.0])
    i, phi, k, n = soft_labels(ds, offset=10, where="test")
    assert n == 3  # classes {3, 7, 9}
    assert i.tolist() == [10, 10, 11, 11]
    assert k.tolist() == [11, 12, 10, 11]  # phi = 1: k = i
    np.testing.assert_allclose(phi, [0.5, 0.25, 0.0, 1.0])


def test_soft_labels_without_identity_mixup(tmp_path):
    ds = _view(tmp_path, [4, 4, 8], [-1, -1, -1], [1.0, 1.0, 1.0])
    i, phi, k, n = soft_labels(ds, offset=0, where="test")
    assert (i.tolist(), phi, k, n) == ([0, 0, 1], None, None, 2)


def test_soft_labels_reject_phi_without_partner(tmp_path):
    ds = _view(tmp_path, [0, 1], [-1, 0], [0.5, 0.5])
    with pytest.raises(SynfaceError, match="row 0 has phi < 1 but no partner"):
        soft_labels(ds, offset=0, where="test")
