"""Measure the learning tests' margins, in standard errors, over seeds and CPU kernel capabilities.

    python -m tests.learning_margins [--seeds 10] [--capabilities default avx2 avx512]

Each capability runs in its own process, all at once (ATEN_CPU_CAPABILITY is read when torch
loads); the test data are built once per process, the training seed varies. Prints one JSON line per run
and a summary: the smallest margin per test and capability.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from tests.learning import auc_margin_in_se, margin_in_se


def worker(seeds: int) -> None:
    import torch

    from tests import test_standin_training as standin
    from tests import test_train as toy

    capability = torch.backends.cpu.get_cpu_capability()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        toy_data = toy.make_data(root / "toy")
        real, lfw = standin.standin_data(root / "standin")
        n_toy = len(toy.verification_pairs(20, 5))
        n_standin = 10 * standin.PAIRS_PER_FOLD * 2
        for seed in range(seeds):
            (root / f"toy{seed}").mkdir()
            after, cfg = toy.learning_run(root / f"toy{seed}", toy_data, seed)
            loss = pd.read_csv(cfg.out / "log.csv")["loss"]
            print(
                json.dumps(
                    {
                        "test": "toy",
                        "capability": capability,
                        "seed": seed,
                        "trained": after,
                        "loss_ratio": round(loss.iloc[-1] / loss.iloc[0], 3),
                        "margin_se": round(margin_in_se(after, toy.LEARNING_THRESHOLD, n_toy), 2),
                    }
                ),
                flush=True,
            )
            m = standin.standin_run(root / f"standin{seed}", real, lfw, seed)
            margin = min(
                margin_in_se(m["accuracy_mean"], standin.THRESHOLD, n_standin),
                auc_margin_in_se(m["auc"], standin.AUC_THRESHOLD, n_standin // 2, n_standin // 2),
            )
            print(
                json.dumps(
                    {
                        "test": "standin",
                        "capability": capability,
                        "seed": seed,
                        "trained": m["accuracy_mean"],
                        "auc": m["auc"],
                        "margin_se": round(margin, 2),
                    }
                ),
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--capabilities", nargs="+", default=["default", "avx2", "avx512"])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # one capability's runs
    args = parser.parse_args()
    if args.worker:
        worker(args.seeds)
        return
    cmd = [sys.executable, "-m", "tests.learning_margins", "--worker", "--seeds", str(args.seeds)]
    workers = [
        subprocess.Popen(
            cmd,
            env={**os.environ, "ATEN_CPU_CAPABILITY": capability},
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        for capability in args.capabilities
    ]
    rows = []
    for capability, worker_process in zip(args.capabilities, workers, strict=True):
        out, _ = worker_process.communicate()
        if worker_process.returncode == -signal.SIGILL:  # torch ran kernels this CPU lacks
            print(f"{capability}: not supported by this CPU (illegal instruction); not measured")
            continue
        if worker_process.returncode:
            raise SystemExit(f"the {capability} worker failed (exit {worker_process.returncode})")
        for line in out.splitlines():
            if line.startswith("{"):
                print(line, flush=True)
                rows.append(json.loads(line))
    for test in ("toy", "standin"):
        for capability in dict.fromkeys(r["capability"] for r in rows):
            runs = [r for r in rows if r["test"] == test and r["capability"] == capability]
            worst = min(runs, key=lambda r: r["margin_se"])
            print(
                f"{test:8s} {capability:8s} smallest margin {worst['margin_se']:5.2f} SE (seed {worst['seed']}, "
                f"trained {worst['trained']:.3f}); trained range "
                f"{min(r['trained'] for r in runs):.3f}-{max(r['trained'] for r in runs):.3f}"
            )


if __name__ == "__main__":
    main()
