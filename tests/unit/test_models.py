"""LResNet-E-IR family: official key layout, shapes, loading rules and `synface model summary`."""

from __future__ import annotations

import contextlib
import copy
import math
import re

import numpy as np
import pytest
import torch
from torch import nn

import synface.cli
from synface.errors import SynfaceError
from synface.models.architectures import ARCHITECTURES, architecture_names, feature_map_size, parse_input_hw
from synface.models.lresnet import BlockIR, build_backbone, load_backbone_checkpoint, load_backbone_state
from synface.models.summary import count_macs
from synface.runtime.device import backbone_autocast, backbone_bf16, prepare_input, prepare_model


def official_lresnet50e_ir_keys() -> list[tuple[str, tuple[int, ...]]]:
    """state_dict of LResNet50E_IR(input_size=[112, 96]) in github.com/haibo-qiu/SynFace
    lib/models/resnets.py, written out from that file's module definitions."""

    def bn(name: str, c: int) -> list[tuple[str, tuple[int, ...]]]:
        return [(f"{name}.{p}", (c,)) for p in ("weight", "bias", "running_mean", "running_var")] + [
            (f"{name}.num_batches_tracked", ())
        ]

    keys = [("conv1.weight", (64, 3, 3, 3)), *bn("bn1", 64), ("prelu1.weight", (64,))]
    filters = [64, 64, 128, 256, 512]
    for stage, n_blocks in enumerate([3, 4, 14, 3]):
        cin, cout = filters[stage], filters[stage + 1]
        for j in range(n_blocks):
            p = f"layer{stage + 1}.{j}"
            keys += [
                *bn(f"{p}.bn1", cin if j == 0 else cout),
                (f"{p}.conv1.weight", (cout, cin if j == 0 else cout, 3, 3)),
            ]
            keys += [
                *bn(f"{p}.bn2", cout),
                (f"{p}.prelu1.weight", (cout,)),
                (f"{p}.conv2.weight", (cout, cout, 3, 3)),
            ]
            keys += bn(f"{p}.bn3", cout)
            if j == 0:
                keys += [(f"{p}.downsample.0.weight", (cout, cin, 1, 1)), *bn(f"{p}.downsample.1", cout)]
    keys += [*bn("fc.0", 512), ("fc.3.weight", (512, 512 * 7 * 6)), ("fc.3.bias", (512,)), *bn("fc.4", 512)]
    return keys


@pytest.fixture(scope="module")
def paper_model() -> nn.Module:
    return build_backbone("lresnet50e_ir", (112, 96))


def test_lresnet50e_ir_state_dict_equals_the_official_layout(paper_model: nn.Module) -> None:
    got = [(k, tuple(v.shape)) for k, v in paper_model.state_dict().items()]
    assert got == official_lresnet50e_ir_keys()
    shapes = dict(got)
    assert shapes["conv1.weight"] == (64, 3, 3, 3)
    assert shapes["fc.3.weight"] == (512, 21504)
    assert shapes["layer3.13.conv2.weight"] == (256, 256, 3, 3)
    n_params = sum(p.numel() for p in paper_model.parameters())
    assert n_params == pytest.approx(41.8e6, rel=0.01)


def test_lresnet50e_ir_embeds_112x96_images(paper_model: nn.Module) -> None:
    with torch.no_grad():
        out = paper_model.train()(torch.randn(2, 3, 112, 96))
    assert out.shape == (2, 512) and torch.isfinite(out).all()


@pytest.mark.parametrize(
    ("arch", "hw", "embedding"),
    [
        ("lresnet18e_ir", (64, 48), 512),
        ("lresnet10e_ir", (56, 48), 256),
        ("lresnet10e_ir_tiny", (40, 32), 128),
        ("lresnet10e_ir_tiny", (37, 29), 64),
    ],
)
def test_small_members_embed_their_input_sizes(arch: str, hw: tuple[int, int], embedding: int) -> None:
    model = build_backbone(arch, hw, embedding)
    fh, fw = feature_map_size(hw)
    assert model.fc[3].in_features == ARCHITECTURES[arch].channels[-1] * fh * fw
    assert model(torch.randn(3, 3, *hw)).shape == (3, embedding)


def test_feature_map_size_follows_stride2_convs() -> None:
    assert feature_map_size((112, 96)) == (7, 6)
    assert feature_map_size((40, 32)) == (3, 2)  # 40 -> 20 -> 10 -> 5 -> 3
    assert feature_map_size((37, 29)) == (3, 2)  # 37 -> 19 -> 10 -> 5 -> 3; 29 -> 15 -> 8 -> 4 -> 2


def test_architecture_names_state_their_depth() -> None:
    assert architecture_names()[0] == "lresnet50e_ir"
    for name, arch in ARCHITECTURES.items():
        assert int(re.match(r"lresnet(\d+)e_ir", name)[1]) == arch.depth


def test_unknown_architecture_lists_the_known_ones() -> None:
    with pytest.raises(SynfaceError, match="lresnet50e_ir.*lresnet10e_ir_tiny"):
        build_backbone("resnet50")


def test_loads_official_checkpoint_wrapping_and_dataparallel_prefix(tmp_path) -> None:
    source = build_backbone("lresnet10e_ir_tiny", (40, 32)).eval()
    target = build_backbone("lresnet10e_ir_tiny", (40, 32)).eval()
    x = torch.randn(2, 3, 40, 32)
    assert not torch.equal(source(x), target(x))
    wrapped = {"state_dict": {f"module.{k}": v for k, v in source.state_dict().items()}, "classifier": {}}
    load_backbone_state(target, wrapped)
    assert torch.equal(source(x), target(x))
    # The official train.py file layout: epoch, cfg name, weights, LFW accuracy, optimizer, head.
    path = tmp_path / "model_best.pth.tar"
    torch.save(
        {
            "epoch": 40,
            "model": "x.yaml",
            "state_dict": source.state_dict(),
            "perf": np.float64(0.9),
            "optimizer": {},
            "classifier": {"weight": torch.zeros(3, 512)},
        },
        path,
    )
    fresh = build_backbone("lresnet10e_ir_tiny", (40, 32)).eval()
    load_backbone_checkpoint(fresh, path)
    assert torch.equal(source(x), fresh(x))


def test_checkpoint_of_another_architecture_is_rejected_naming_keys() -> None:
    small = build_backbone("lresnet10e_ir", (56, 48))
    with pytest.raises(SynfaceError, match=r"unexpected: layer1\.1\..*"):
        load_backbone_state(small, build_backbone("lresnet18e_ir", (56, 48)).state_dict(), source="r18.pt")
    with pytest.raises(SynfaceError, match=r"shape mismatch: conv1\.weight \(8, 3, 3, 3\) vs model \(16, 3, 3, 3\)"):
        load_backbone_state(small, build_backbone("lresnet10e_ir_tiny", (56, 48)).state_dict())
    with pytest.raises(SynfaceError, match=r"missing: .*fc\.3\.weight"):
        state = small.state_dict()
        del state["fc.3.weight"]
        load_backbone_state(small, state)


def test_unreadable_checkpoint_file_is_a_clean_error(tmp_path) -> None:
    path = tmp_path / "broken.pt"
    path.write_bytes(b"not a torch file")
    with pytest.raises(SynfaceError, match="broken.pt"):
        load_backbone_checkpoint(build_backbone("lresnet10e_ir_tiny", (40, 32)), path)


def test_count_macs_on_a_hand_computed_model() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.PReLU(), nn.Flatten(), nn.Linear(4 * 5 * 6, 7))
    assert count_macs(model, (5, 6)) == 4 * 5 * 6 * 3 * 9 + 120 * 7


@pytest.mark.parametrize("text", ["112x96", "112X96", " 40 x 32 "])
def test_parse_input_hw_accepts(text: str) -> None:
    assert parse_input_hw(text) in {(112, 96), (40, 32)}


@pytest.mark.parametrize("text", ["112", "112x", "0x96", "ax b", "112x96x3", "-4x4"])
def test_parse_input_hw_rejects(text: str) -> None:
    with pytest.raises(SynfaceError, match="HxW"):
        parse_input_hw(text)


def test_model_summary_cli_prints_keys_params_and_macs(capsys) -> None:
    assert synface.cli.main(["model", "summary", "--arch", "lresnet50e_ir", "--input", "112x96"]) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = official_lresnet50e_ir_keys()
    assert len(lines) == len(expected) + 2
    assert lines[0] == "conv1.weight (64, 3, 3, 3)"
    assert "fc.3.weight (512, 21504)" in lines
    learnable = [math.prod(shape) for key, shape in expected if not re.search(r"running_|num_batches", key)]
    assert lines[-2].startswith(f"parameters: {sum(learnable):,} ")
    macs = int(re.search(r"([\d,]+) \(", lines[-1])[1].replace(",", ""))
    assert macs == pytest.approx(5.4e9, rel=0.01)


def test_model_summary_cli_bad_input_is_a_clean_error(capsys) -> None:
    assert synface.cli.main(["model", "summary", "--arch", "lresnet10e_ir", "--input", "112by96"]) == 2
    assert "112by96" in capsys.readouterr().err


def test_a_checkpoint_saved_with_the_official_key_names_loads_into_lresnet50e_ir(tmp_path) -> None:
    """A state dict built from the official LResNet50E_IR names and shapes, saved as the official
    train.py does (DataParallel's `module.` prefix, epoch, optimizer, LFW accuracy), loads strictly
    and every tensor lands under its own name."""
    generator = torch.Generator().manual_seed(0)
    official = {key: torch.rand(shape, generator=generator) for key, shape in official_lresnet50e_ir_keys()}
    official = {k: v.long() if k.endswith("num_batches_tracked") else v for k, v in official.items()}
    path = tmp_path / "model_10k_50_idmix_9197.pth.tar"
    state = {f"module.{k}": v for k, v in official.items()}
    torch.save({"epoch": 40, "state_dict": state, "perf": np.float64(0.9197), "optimizer": {"state": {}}}, path)
    model = build_backbone("lresnet50e_ir", (112, 96))
    load_backbone_checkpoint(model, path)
    loaded = model.state_dict()
    assert loaded.keys() == official.keys()
    assert all(torch.equal(loaded[k], v) for k, v in official.items())


def _train_step_grads(model: nn.Module, x: torch.Tensor, *, as_trained: bool) -> dict[str, torch.Tensor]:
    """Parameter gradients of one forward/backward: in the layout and precision training uses on this
    machine (`as_trained`), else in float64 and the default layout, where torch's own kernels run."""
    device = torch.device("cpu")
    model = prepare_model(copy.deepcopy(model), device) if as_trained else copy.deepcopy(model).double()
    model.train()
    model.fc[1].eval()  # no dropout: both passes must see the same function
    x = prepare_input(x) if as_trained else x.double()
    with backbone_autocast(device) if as_trained else contextlib.nullcontext():
        out = model(x)
    # weights per sample and feature: a per-feature sum alone would vanish through the batch norms
    weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(1))
    (out.float() * weights).sum().backward()
    return {k: p.grad.double() for k, p in model.named_parameters()}


def _assert_grads_match(model: nn.Module, x: torch.Tensor, tolerance: float) -> None:
    got = _train_step_grads(model, x, as_trained=True)
    want = _train_step_grads(model, x, as_trained=False)
    # A bias just before a batch norm has a gradient of zero up to rounding: scale by the whole gradient too.
    floor = 0.01 * torch.cat([g.flatten() for g in want.values()]).norm()
    for name, g in want.items():
        assert torch.isfinite(got[name]).all(), name
        error = (got[name] - g).norm() / torch.maximum(g.norm(), floor)
        assert error < tolerance, f"{name}: relative gradient error {error:.3g}"


def _tolerance() -> float:
    return 0.5 if backbone_bf16(torch.device("cpu")) else 0.01  # bf16: 0.22 at most on the first layers


@pytest.mark.parametrize(
    "arch, hw",
    [
        ("lresnet10e_ir_tiny", (28, 24)),  # the embedded pipeline
        ("lresnet10e_ir_tiny", (56, 48)),
        ("lresnet10e_ir_tiny", (112, 96)),
        ("lresnet10e_ir", (56, 48)),  # `synface bench train`'s default
        ("lresnet10e_ir", (112, 96)),
        ("lresnet18e_ir", (112, 96)),
        ("lresnet50e_ir", (112, 96)),  # the paper's
    ],
)
def test_each_architecture_trains_with_right_gradients_in_the_training_layout(arch, hw) -> None:
    """Forward and backward as training runs them on this CPU (channels_last; bf16 autocast where
    native) give finite gradients equal to a float64 reference. On the AMD EPYC with AVX-512 the tiny
    model's strided 1x1 shortcut used to crash here (oneDNN#6035, issue 30)."""
    torch.manual_seed(0)
    model = build_backbone(arch, hw, embedding=32)
    _assert_grads_match(model, torch.randn(4, 3, *hw), _tolerance())


@pytest.mark.parametrize("hw", [(16, 16), (32, 32), (64, 64)])
def test_the_strided_shortcut_is_right_with_fewer_channels_than_a_simd_block(hw) -> None:
    """4 input channels are below oneDNN's block on every x86 CPU (8 on AVX2, 16 on AVX-512): the case
    where its strided 1x1 weight gradient in channels_last writes past its workspace. Its output and
    gradients must equal the float64 reference, and it must equal the official strided 1x1 convolution."""
    torch.manual_seed(0)
    block = BlockIR(4, 8, stride=2)
    model = nn.Sequential(block)
    model.fc = nn.Sequential(nn.Identity(), nn.Dropout(0.5))  # the interface _train_step_grads expects
    _assert_grads_match(model, torch.randn(8, 4, *hw), _tolerance())

    x = torch.randn(2, 4, *hw, dtype=torch.float64)
    conv = block.downsample[0].double()
    official = nn.functional.conv2d(x, conv.weight, stride=2)
    assert torch.allclose(conv(x[:, :, ::2, ::2]), official)
