"""`synface bench train --ceiling`: the loop against the fp32 peak and against its own convolutions."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from synface.bench.train import convolution_ceiling
from synface.cli import main
from synface.models.lresnet import build_backbone
from synface.models.summary import TRAIN_FLOP_PER_MAC, count_macs, train_flop_per_image

CPU = torch.device("cpu")


def test_the_convolutions_flop_is_the_backbones_less_its_linear_layer_and_the_stems_input_gradient():
    arch, hw = "lresnet10e_ir_tiny", (28, 24)
    model = build_backbone(arch, hw)
    stem = model.conv1
    stem_macs = stem.out_channels * hw[0] * hw[1] * stem.in_channels * 9  # stride 1, padding 1
    linear_macs = sum(m.in_features * m.out_features for m in model.modules() if isinstance(m, nn.Linear))
    conv_macs = count_macs(model, hw) - linear_macs
    measured = convolution_ceiling(arch, hw, batch=4, device=CPU)
    assert measured["flop_per_image"] == TRAIN_FLOP_PER_MAC * conv_macs - 2 * stem_macs
    assert measured["flop_per_image"] < train_flop_per_image(arch, hw)
    assert measured["gflop_per_s"] > 0
    assert measured["ceiling_images_per_s"] == pytest.approx(measured["gflop_per_s"] * 1e9 / measured["flop_per_image"])


def test_bench_train_ceiling_prints_the_shares(capsys):
    args = ["bench", "train", "--arch", "lresnet10e_ir_tiny", "--input", "28x24", "--batch", "8"]
    assert main([*args, "--steps", "2", "--warmup", "1", "--rounds", "1", "--threads", "1", "--ceiling"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["train_flop_per_image"] == train_flop_per_image("lresnet10e_ir_tiny", (28, 24))
    assert result["gflop_per_s"] == pytest.approx(result["images_per_s"] * result["train_flop_per_image"] / 1e9)
    assert result["peak_fraction"] == pytest.approx(result["gflop_per_s"] / result["fp32_peak_gflop_per_s"])
    conv = result["convolutions"]
    assert conv["peak_fraction"] == pytest.approx(conv["gflop_per_s"] / result["fp32_peak_gflop_per_s"])
    assert 0 < result["peak_fraction"] and 0 < conv["ceiling_images_per_s"]
