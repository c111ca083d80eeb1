"""Backbone precision: native CPU bf16 detection, the SYNFACE_CPU_BF16 override, the fp32 head, determinism."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import torch

from synface.bench.train import write_random_dataset
from synface.cli import main
from synface.errors import SynfaceError
from synface.runtime import device
from synface.train.config import TrainConfig
from synface.train.loader import TrainData
from synface.train.loop import Trainer

CPU = torch.device("cpu")
AVX2 = "flags\t\t: fpu sse sse2 avx avx2 fma\n"
SAPPHIRE_RAPIDS = "flags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16 amx_tile amx_int8\n"
COOPER_LAKE = "flags\t\t: fpu avx2 avx512f avx512_bf16\n"


def cpuinfo(flags: str, processors: int = 2) -> str:
    return "".join(f"processor\t: {i}\nmodel name\t: planted\n{flags}\n" for i in range(processors))


@pytest.fixture
def planted(tmp_path, monkeypatch):
    """Write /proc/cpuinfo text to a file the detection reads instead; the cache is cleared around it."""

    def plant(text: str) -> None:
        path = tmp_path / "cpuinfo"
        path.write_text(text)
        monkeypatch.setattr(device, "CPUINFO", path)
        device.cpu_has_native_bf16.cache_clear()

    monkeypatch.delenv(device.CPU_BF16_VARIABLE, raising=False)
    yield plant
    device.cpu_has_native_bf16.cache_clear()


def autocast_dtype(context) -> torch.dtype:
    with context:
        return torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else torch.float32


def test_native_bf16_flags_in_cpuinfo_text():
    assert device.cpuinfo_has_native_bf16(cpuinfo(SAPPHIRE_RAPIDS))
    assert device.cpuinfo_has_native_bf16(cpuinfo(COOPER_LAKE))
    assert not device.cpuinfo_has_native_bf16(cpuinfo(AVX2))
    assert not device.cpuinfo_has_native_bf16("")
    assert not device.cpuinfo_has_native_bf16(cpuinfo(SAPPHIRE_RAPIDS) + cpuinfo(AVX2, 1))  # every core must have it


def test_the_cpu_trains_in_fp32_by_default_even_with_native_bf16(planted):
    planted(cpuinfo(SAPPHIRE_RAPIDS))
    assert not device.backbone_bf16(CPU) and autocast_dtype(device.backbone_autocast(CPU)) == torch.float32


def test_auto_picks_bf16_only_with_native_support(planted, monkeypatch):
    monkeypatch.setenv(device.CPU_BF16_VARIABLE, "auto")
    planted(cpuinfo(SAPPHIRE_RAPIDS))
    assert device.backbone_bf16(CPU) and autocast_dtype(device.backbone_autocast(CPU)) == torch.bfloat16
    planted(cpuinfo(AVX2))
    assert not device.backbone_bf16(CPU) and autocast_dtype(device.backbone_autocast(CPU)) == torch.float32


def test_missing_cpuinfo_means_fp32(planted, monkeypatch, tmp_path):
    monkeypatch.setenv(device.CPU_BF16_VARIABLE, "auto")
    planted(cpuinfo(SAPPHIRE_RAPIDS))
    monkeypatch.setattr(device, "CPUINFO", tmp_path / "absent")
    device.cpu_has_native_bf16.cache_clear()
    assert not device.backbone_bf16(CPU)


@pytest.mark.parametrize(
    ("flags", "setting", "bf16"),
    [(SAPPHIRE_RAPIDS, "0", False), (AVX2, "1", True), (AVX2, "auto", False), (SAPPHIRE_RAPIDS, "auto", True)],
)
def test_environment_overrides_the_detection(planted, monkeypatch, flags, setting, bf16):
    planted(cpuinfo(flags))
    monkeypatch.setenv(device.CPU_BF16_VARIABLE, setting)
    assert device.backbone_bf16(CPU) is bf16


@pytest.mark.parametrize("setting", ["yes", "", "bf16", "2"])
def test_unknown_setting_is_a_one_line_error_naming_the_variable(planted, monkeypatch, setting):
    planted(cpuinfo(AVX2))
    monkeypatch.setenv(device.CPU_BF16_VARIABLE, setting)
    with pytest.raises(SynfaceError, match="SYNFACE_CPU_BF16") as error:
        device.backbone_autocast(CPU)
    assert "\n" not in str(error.value)


def test_forced_precision_wins_and_is_restored(planted, monkeypatch):
    planted(cpuinfo(AVX2))
    monkeypatch.setenv(device.CPU_BF16_VARIABLE, "0")
    with device.backbone_precision(True):
        assert device.backbone_bf16(CPU)
        with device.backbone_precision(False):
            assert not device.backbone_bf16(CPU)
        assert device.backbone_bf16(CPU)
    assert not device.backbone_bf16(CPU)


@pytest.fixture(scope="module")
def random_set(tmp_path_factory):
    path = tmp_path_factory.mktemp("device") / "random"
    write_random_dataset(path, 64, (28, 24))
    return path


def trainer(random_set, out) -> Trainer:
    config = TrainConfig(
        out=out,
        syn=random_set,
        arch="lresnet10e_ir_tiny",
        input_hw=(28, 24),
        embedding=32,
        batch=16,
        epochs=1,
        threads=2,
        lr=0.05,
    )
    return Trainer(config, TrainData(config, CPU), CPU)


def test_bf16_backbone_feeds_an_fp32_head_and_fp32_weights(random_set, tmp_path):
    t = trainer(random_set, tmp_path / "run")
    dtypes: dict[str, torch.dtype] = {}

    def record(name: str):
        def hook(module, inputs, output) -> None:  # returning None keeps the output
            dtypes[name] = output.dtype

        return hook

    t.backbone.register_forward_hook(record("features"))
    t.head.register_forward_hook(record("logits"))
    with device.backbone_precision(True):
        t.train_epoch(0, max_steps=1)
    assert dtypes == {"features": torch.bfloat16, "logits": torch.float32}
    assert {p.dtype for p in [*t.backbone.parameters(), *t.head.parameters()]} == {torch.float32}
    assert all(p.grad is None or p.grad.dtype == torch.float32 for p in t.backbone.parameters())


def test_bf16_training_repeats_exactly_and_differs_from_fp32(random_set, tmp_path):
    def weights(bf16: bool, name: str) -> tuple[float, list[torch.Tensor]]:
        t = trainer(random_set, tmp_path / name)
        with device.backbone_precision(bf16):
            loss = t.train_epoch(0, max_steps=2)["loss"]
        return loss, [p.detach().clone() for p in t.backbone.parameters()]

    (loss_a, a), (loss_b, b), (_, c) = weights(True, "a"), weights(True, "b"), weights(False, "c")
    assert loss_a == loss_b and all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(a, c, strict=True))


@pytest.mark.skipif(torch.cuda.is_available(), reason="the variable is read for the CPU only")
def test_bench_refuses_an_unknown_setting_before_measuring(monkeypatch, capsys):
    monkeypatch.setenv(device.CPU_BF16_VARIABLE, "fast")
    assert main(["bench", "train", "--arch", "lresnet10e_ir_tiny", "--input", "28x24", "--threads", "2"]) == 2
    assert "SYNFACE_CPU_BF16='fast'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("setting", "compiler", "compiles"),
    [("auto", "/usr/bin/g++", True), ("auto", None, False), ("0", "/usr/bin/g++", False), ("1", None, True)],
)
def test_compilation_needs_a_cxx_compiler_on_the_cpu_unless_forced(monkeypatch, setting, compiler, compiles):
    monkeypatch.setenv(device.COMPILE_VARIABLE, setting)
    monkeypatch.setattr(device.shutil, "which", lambda name: compiler)
    monkeypatch.setattr(device, "_inductor_has_vector_isa", lambda: True)
    assert device.compiles(CPU) is compiles
    model = torch.nn.Linear(2, 2)
    assert (device.compiled(model, CPU) is model) is not compiles


@pytest.mark.skipif(shutil.which("g++") is None, reason="auto compiles only with a C++ compiler")
@pytest.mark.parametrize(("capability", "compiles"), [("default", False), (None, True)])
def test_auto_trains_eager_where_inductor_has_no_vector_isa(capability, compiles):
    # Under ATEN_CPU_CAPABILITY=default inductor's scalar kernels fail to compile (torch 2.13): such a
    # CPU must train eager, not crash in its first step. A fresh process: torch reads the variable once.
    env = {**os.environ, device.COMPILE_VARIABLE: "auto"}
    env.pop("ATEN_CPU_CAPABILITY", None)
    env.update({} if capability is None else {"ATEN_CPU_CAPABILITY": capability})
    code = "import torch; from synface.runtime.device import compiles; print(compiles(torch.device('cpu')))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(compiles)


@pytest.mark.parametrize("setting", ["yes", "", "true"])
def test_unknown_compile_setting_is_a_one_line_error_naming_the_variable(monkeypatch, setting):
    monkeypatch.setenv(device.COMPILE_VARIABLE, setting)
    with pytest.raises(SynfaceError, match="SYNFACE_COMPILE") as error:
        device.compiles(CPU)
    assert "\n" not in str(error.value)
