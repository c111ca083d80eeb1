"""Training checkpoints: all a run needs to continue, loadable with `torch.load(path, weights_only=True)`.

Everything stored is a tensor, dict, list, number, string or None: RNG states are
tensors and lists, the scheduler's Counter becomes a dict, the config a dict of plain
values. They are saved and loaded as the final model files are (`synface.runtime.modelfile`):
atomically, so a run killed mid-write keeps the previous one.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from synface.runtime import modelfile
from synface.runtime.modelfile import A_DICT, cpu_state, whole
from synface.train.config import MAX_RUN_EPOCHS

CHECKPOINT_FORMAT = "synface-checkpoint/1"


def rng_state() -> dict[str, Any]:
    """The global RNG states (torch CPU and CUDA, numpy, Python) as weights_only-safe values."""
    np_kind, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    py_version, py_state, py_gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {
            "kind": np_kind,
            "keys": torch.from_numpy(np_keys.astype(np.int64)),
            "pos": int(np_pos),
            "has_gauss": int(np_has_gauss),
            "gauss": float(np_gauss),
        },
        "python": {"version": py_version, "state": torch.tensor(py_state, dtype=torch.int64), "gauss": py_gauss},
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what `rng_state` captured."""
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    p = state["python"]
    random.setstate((p["version"], tuple(int(v) for v in p["state"].tolist()), p["gauss"]))


def scheduler_state(scheduler: torch.optim.lr_scheduler.LRScheduler) -> dict[str, Any]:
    """The scheduler's state_dict (LambdaLR's: plain values, as `weights_only` loading needs; the
    LR function itself is rebuilt from the config)."""
    return dict(scheduler.state_dict())


def load_scheduler_state(scheduler: torch.optim.lr_scheduler.LRScheduler, state: dict[str, Any]) -> None:
    scheduler.load_state_dict(dict(state))


def checkpoint_payload(
    *,
    epoch: int,
    backbone: torch.nn.Module,
    head: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    config: dict[str, Any],
    log: list[dict[str, Any]],
    processes: int = 1,
) -> dict[str, Any]:
    """Everything a run needs to continue after `epoch` completed epochs exactly as if never stopped.

    A run of several `processes` (`synface.train.distributed`) records their number: it continues only
    with as many. A single-process checkpoint has no such entry, as before multi-process training."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "epoch": epoch,
        "backbone": cpu_state(backbone.state_dict()),
        "head": cpu_state(head.state_dict()),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler_state(scheduler),
        "rng": rng_state(),
        "config": config,
        "log": log,
    }
    if processes > 1:
        payload["processes"] = processes
    return payload


def checkpoint_processes(payload: dict[str, Any]) -> int:
    """The number of processes that wrote a checkpoint."""
    return int(payload.get("processes", 1))


def checkpoint_path(out: Path) -> Path:
    return out / "checkpoint.pt"


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A checkpoint (`modelfile.load`), its entries checked before a resumed run uses any of them
    (so a crafted epoch cannot rewrite log.csv and steps.csv first)."""
    payload = modelfile.load(path, CHECKPOINT_FORMAT)
    epoch = payload.get("epoch")
    checks = {
        "epoch": whole(0, MAX_RUN_EPOCHS),
        "log": (
            lambda v: isinstance(v, list) and len(v) == epoch and all(isinstance(row, dict) for row in v),
            f"a list of {epoch!r} per-epoch rows (dicts), one per finished epoch",
        ),
        **dict.fromkeys(("backbone", "head", "optimizer", "scheduler", "rng", "config"), A_DICT),
    }
    if "processes" in payload:
        checks["processes"] = whole(1, 2**16)
    modelfile.check_keys(path, payload, checks)
    return payload
