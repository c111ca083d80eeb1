"""ArcFace and CosFace heads against their formulas on hand-built geometry."""

from __future__ import annotations

import math

import pytest
import torch

from synface.models.heads import ArcMarginProduct, CosMarginProduct

S, ARC_M, COS_M = 30.0, 0.5, 0.4
CLASS_ANGLES = [0.0, math.pi / 2, math.pi]  # class centres on the unit circle


def planar_head(head_type: type, **kwargs) -> torch.nn.Module:
    """A 2-d head with class centres at known angles and deliberately non-unit norms."""
    head = head_type(2, 3, **kwargs)
    norms = [2.0, 3.0, 0.5]
    with torch.no_grad():
        head.weight.copy_(torch.tensor([[n * math.cos(a), n * math.sin(a)] for n, a in zip(norms, CLASS_ANGLES)]))
    return head


def features_at(angle: float, n: int, norm: float = 4.0) -> torch.Tensor:
    return torch.tensor([[norm * math.cos(angle), norm * math.sin(angle)]] * n)


def test_arcface_adds_angular_margin_at_the_label_column_only() -> None:
    head = planar_head(ArcMarginProduct, s=S, m=ARC_M)
    angle = 0.3
    labels = torch.tensor([0, 1, 2])
    logits = head(features_at(angle, 3), labels)
    thetas = [abs(angle - a) for a in CLASS_ANGLES]  # 0.3, pi/2 - 0.3, pi - 0.3
    expected = torch.tensor([[math.cos(t) for t in thetas]] * 3)
    expected[0, 0] = math.cos(thetas[0] + ARC_M)
    expected[1, 1] = math.cos(thetas[1] + ARC_M)
    # theta + m = pi + 0.2 > pi: the official fallback cos(theta) - sin(pi - m) * m.
    expected[2, 2] = math.cos(thetas[2]) - math.sin(math.pi - ARC_M) * ARC_M
    torch.testing.assert_close(logits, S * expected, atol=1e-4, rtol=0)
    assert logits.dtype == torch.float32


def test_arcface_easy_margin_keeps_non_positive_cosines() -> None:
    head = planar_head(ArcMarginProduct, s=S, m=ARC_M, easy_margin=True)
    angle = 0.3
    logits = head(features_at(angle, 2), torch.tensor([0, 2]))
    assert logits[0, 0].item() == pytest.approx(S * math.cos(angle + ARC_M), abs=1e-4)
    assert logits[1, 2].item() == pytest.approx(S * -math.cos(angle), abs=1e-4)  # cos <= 0: unchanged


def test_cosface_subtracts_margin_at_the_label_column_only() -> None:
    head = planar_head(CosMarginProduct, s=S, m=COS_M)
    angle = 1.0
    logits = head(features_at(angle, 3), torch.tensor([2, 0, 1]))
    cosines = torch.tensor([math.cos(angle - a) for a in CLASS_ANGLES])
    expected = cosines.repeat(3, 1)
    for row, col in enumerate([2, 0, 1]):
        expected[row, col] -= COS_M
    torch.testing.assert_close(logits, S * expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize("head_type", [ArcMarginProduct, CosMarginProduct])
def test_equals_the_dense_one_hot_form_bit_for_bit(head_type: type) -> None:
    """The official code computes the margin everywhere and mixes with a one-hot mask."""
    torch.manual_seed(0)
    head = head_type(16, 50)
    features, labels = torch.randn(32, 16), torch.randint(0, 50, (32,))
    one_hot = torch.nn.functional.one_hot(labels, 50).float()
    if head_type is ArcMarginProduct:
        cosine = torch.nn.functional.linear(
            torch.nn.functional.normalize(features), torch.nn.functional.normalize(head.weight)
        )
        sine = torch.sqrt((1.0 - cosine**2).clamp(0, 1))
        phi = cosine * head.cos_m - sine * head.sin_m
        phi = torch.where(cosine > head.th, phi, cosine - head.mm)
        dense = (one_hot * phi + (1.0 - one_hot) * cosine) * head.s
    else:
        norms = torch.outer(features.norm(dim=1), head.weight.norm(dim=1)).clamp(min=1e-8)
        dense = head.s * (features @ head.weight.t() / norms - one_hot * head.m)
    assert torch.equal(head(features, labels), dense)


@pytest.mark.parametrize("head_type", [ArcMarginProduct, CosMarginProduct])
def test_official_parameter_layout_fp32_under_autocast_and_gradients(head_type: type) -> None:
    head = head_type(8, 5)
    assert list(head.state_dict()) == ["weight"] and head.weight.shape == (5, 8)
    features = torch.randn(4, 8, requires_grad=True)
    labels = torch.tensor([0, 1, 2, 4])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = head(features.bfloat16(), labels)
    assert logits.dtype == torch.float32
    torch.testing.assert_close(logits, head(features.bfloat16().float(), labels))
    torch.nn.functional.cross_entropy(head(features, labels), labels).backward()
    assert head.weight.grad is not None and features.grad is not None
    assert torch.isfinite(head.weight.grad).all()
