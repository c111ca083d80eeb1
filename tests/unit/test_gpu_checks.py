"""The GPU checks script: its card table and FLOP count, and the whole script at toy sizes (--smoke)."""

from __future__ import annotations

import json
import shlex

import pytest
import torch

from synface.cli import build_parser
from synface.train import gpu_checks


def test_dense_bf16_peaks_by_card_name():
    assert gpu_checks.peak_bf16("NVIDIA H200") == 989e12
    assert gpu_checks.peak_bf16("NVIDIA H100 80GB HBM3") == 989e12  # the SXM card's name
    assert gpu_checks.peak_bf16("NVIDIA A100-SXM4-80GB") == gpu_checks.peak_bf16("NVIDIA A100 80GB PCIe") == 312e12
    assert gpu_checks.peak_bf16("NVIDIA H100 PCIe") is None and gpu_checks.peak_bf16("cpu") is None


@pytest.mark.parametrize("smoke", [False, True])
def test_bench_arguments_are_what_the_cli_parses(smoke):
    """gpu_checks sits below the CLI: its arguments of `synface bench train` must stay the CLI's own."""
    args = vars(gpu_checks.bench_arguments(smoke))
    smoke_line = shlex.split("--arch lresnet10e_ir_tiny --input 56x48 --batch 8 --steps 2 --warmup 1 --rounds 1")
    parsed = vars(build_parser().parse_args(["bench", "train", *(smoke_line if smoke else ["--paper"])]))
    assert args == {key: parsed[key] for key in args}


def test_paper_model_costs_about_32_gflop_per_training_image():
    assert 32e9 < gpu_checks.train_flop_per_image("lresnet50e_ir", (112, 96)) < 33e9


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU smoke run (no peak: 'unknown card')")
def test_smoke_run_prints_figures_and_writes_its_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OUT", str(tmp_path / "out"))
    assert gpu_checks.main(["--smoke"]) == 0
    out, err = capsys.readouterr()
    result = json.loads((tmp_path / "out" / "gpu_checks.json").read_text())
    assert json.loads(out) == result and result["card"] == "cpu" and result["smoke"]
    assert result["one_epoch"]["images"] == 32 and result["one_epoch"]["images_per_s"] > 0
    assert result["bench"]["loop_bf16"]["images_per_s"] == result["bench"]["result"]["bf16"]["images_per_s"]
    assert err.count("unknown card") == 3 and "card: cpu" in err
    # with a known card's peak the same figures read as a share of it
    known = {**result, "bench": {k: {**v, "peak_fraction": 0.25} for k, v in result["bench"].items() if k != "result"}}
    known["one_epoch"] = {**result["one_epoch"], "peak_fraction": 0.125}
    lines = gpu_checks.report_lines(known)
    assert "25.0 % of the bf16 dense peak" in lines[1] and "12.5 % of the bf16 dense peak" in lines[3]


def test_paper_checks_refuse_without_cuda(capsys):
    if torch.cuda.is_available():
        pytest.skip("checks the refusal without CUDA")
    assert gpu_checks.main([]) == 2
    assert "needs a CUDA GPU" in capsys.readouterr().err
