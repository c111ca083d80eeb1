"""Identity mixup (IM) soft labels and domain mixup (DM): the official training equations.

For a synthetic image with soft label (i, phi, k, 1 - phi), mixed pixel-wise with a
real image of label y_real at one ratio psi per batch (official `lib/core/functions.py`)::

    x      = psi * x_syn + (1 - psi) * x_real
    logits = psi * (phi * head(f, i) + (1 - phi) * head(f, k)) + (1 - psi) * head(f, y_real)
    loss   = psi * (mean(phi * CE(logits, i)) + mean((1 - phi) * CE(logits, k)))
             + (1 - psi) * mean(CE(logits, y_real))

with per-sample cross-entropy on the combined logits. `head(f, y)` is a margin head
(ArcFace/CosFace), so each term puts its margin on its own label column. Without DM,
psi = 1; without IM, phi = 1 (then k does not matter). The paper's eq. 2 mixes the
one-hot labels; the code instead mixes margin logits and weights the CE terms, which is
what is implemented here.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

# psi is uniform over {0, 0.05, ..., 1.0}, like the official np.linspace(0, 1.05, 21, endpoint=False).
PSI_STEPS = 21

Head = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def sample_psi(generator: torch.Generator) -> float:
    """One domain-mixup ratio for a batch."""
    step = int(torch.randint(PSI_STEPS, (1,), generator=generator))
    return step / (PSI_STEPS - 1)


def mix_images(x_syn: torch.Tensor, x_real: torch.Tensor | None, psi: float) -> torch.Tensor:
    """Pixel-wise domain mixup psi * x_syn + (1 - psi) * x_real (x_syn alone when there is no real batch)."""
    if x_real is None:
        return x_syn
    return psi * x_syn + (1 - psi) * x_real


def _check(psi: float, y_real: torch.Tensor | None) -> None:
    if y_real is None and psi != 1:
        raise ValueError(f"psi = {psi} needs real labels y_real")


def mixup_logits(
    head: Head,
    features: torch.Tensor,
    i: torch.Tensor,
    phi: torch.Tensor | None = None,
    k: torch.Tensor | None = None,
    psi: float = 1.0,
    y_real: torch.Tensor | None = None,
) -> torch.Tensor:
    """psi * (phi * head(f, i) + (1 - phi) * head(f, k)) + (1 - psi) * head(f, y_real).

    phi = None means no IM (phi = 1), y_real = None no DM (psi must be 1); the terms
    with weight exactly 0 are skipped as a shortcut, never changing the value.
    """
    _check(psi, y_real)
    logits = head(features, i)
    if phi is not None:
        w = phi[:, None].to(logits.dtype)
        logits = w * logits + (1 - w) * head(features, k)
    if y_real is not None and psi != 1:
        logits = psi * logits + (1 - psi) * head(features, y_real)
    return logits


def mixup_loss(
    logits: torch.Tensor,
    i: torch.Tensor,
    phi: torch.Tensor | None = None,
    k: torch.Tensor | None = None,
    psi: float = 1.0,
    y_real: torch.Tensor | None = None,
) -> torch.Tensor:
    """psi * (mean(phi * CE(i)) + mean((1 - phi) * CE(k))) + (1 - psi) * mean(CE(y_real))."""
    _check(psi, y_real)
    ce_i = F.cross_entropy(logits, i, reduction="none")
    if phi is None:
        syn = ce_i.mean()
    else:
        w = phi.to(ce_i.dtype)
        syn = (w * ce_i).mean() + ((1 - w) * F.cross_entropy(logits, k, reduction="none")).mean()
    if y_real is None or psi == 1:
        return syn
    return psi * syn + (1 - psi) * F.cross_entropy(logits, y_real)
