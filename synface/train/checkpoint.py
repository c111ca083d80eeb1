"""Checkpoints and final model files that load with `torch.load(path, weights_only=True)`.

Everything stored is a tensor, dict, list, number, string or None: RNG states are
tensors and lists, the scheduler's Counter becomes a dict, the config a dict of plain
values. Files are written atomically, so a run killed mid-write keeps the previous one.
"""

from __future__ import annotations

import os
import pickle
import random
import reprlib
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from synface.data.imagefiles import MAX_SIDE
from synface.errors import SynfaceError
from synface.io.atomic import atomic_path, write_failed
from synface.models.architectures import architecture_names
from synface.train.config import MAX_EMBEDDING, MAX_EPOCHS

MODEL_FORMAT = "synface-model/1"
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


def _cpu(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu() for k, v in state.items()}


def save(path: str | os.PathLike[str], payload: dict[str, Any]) -> None:
    """torch.save under a temporary name, renamed when complete."""
    with atomic_path(path) as tmp:
        try:
            torch.save(payload, tmp)
        except RuntimeError as err:  # torch's writer reports a full disk as "[enforce fail ...] unexpected pos"
            raise write_failed(path, err) from err


def load(path: str | os.PathLike[str], expected_format: str) -> dict[str, Any]:
    """torch.load(weights_only=True) of one of our files, checking its format tag."""
    if os.path.isfile(path) and not zipfile.is_zipfile(path):  # torch.save writes a zip archive
        raise SynfaceError(f"{path}: not a synface model or checkpoint (not a torch.save file)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # objects beyond tensors and containers: never loaded unsafely
        raise SynfaceError(f"{path}: refused as unsafe (it holds objects a weights-only load does not allow)") from None
    except (OSError, RuntimeError, EOFError) as err:
        raise SynfaceError(f"{path}: cannot read ({err})") from err
    if not isinstance(payload, dict) or payload.get("format") != expected_format:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise SynfaceError(f"{path}: expected a {expected_format} file, found {found!r}")
    check_payload(path, payload)
    return payload


def check_payload(path: str | os.PathLike[str], payload: dict[str, Any]) -> None:
    """Refuse, naming the file and the key, a model or checkpoint whose entries are missing or not what
    `model_payload` and `checkpoint_payload` write (a crafted or damaged file): everything the loaders
    and the resumed run's logs use is checked here, before any of it is used."""

    def whole(low: int, high: int) -> tuple[Callable[[Any], bool], str]:
        return (lambda v: type(v) is int and low <= v <= high), f"a whole number in [{low}, {high:,}]"

    table = (lambda v: isinstance(v, dict)), "a dict"
    if payload["format"] == MODEL_FORMAT:
        names = architecture_names()
        side = whole(1, MAX_SIDE)[0]
        checks = {
            "arch": ((lambda v: isinstance(v, str) and v in names), f"one of {', '.join(names)}"),
            "input_hw": (
                lambda v: isinstance(v, (list, tuple)) and len(v) == 2 and all(side(x) for x in v),
                f"[height, width], each a whole number in [1, {MAX_SIDE}]",
            ),
            "embedding": whole(1, MAX_EMBEDDING),
            "state_dict": table,
            "config": table,
        }
    else:
        epoch = payload.get("epoch")
        checks = {
            "epoch": whole(0, MAX_EPOCHS),
            "log": (
                lambda v: isinstance(v, list) and len(v) == epoch and all(isinstance(row, dict) for row in v),
                f"a list of {epoch!r} per-epoch rows (dicts), one per finished epoch",
            ),
            **dict.fromkeys(("backbone", "head", "optimizer", "scheduler", "rng", "config"), table),
        }
        if "processes" in payload:
            checks["processes"] = whole(1, 2**16)
    for key, (valid, expected) in checks.items():
        if key not in payload:
            raise SynfaceError(f"{path}: key {key!r} is missing (expected {expected})")
        if not valid(payload[key]):
            raise SynfaceError(f"{path}: key {key!r} is {reprlib.repr(payload[key])}, expected {expected}")


def model_payload(backbone: torch.nn.Module, config: dict[str, Any]) -> dict[str, Any]:
    """The final model file: backbone weights plus what rebuilds it (arch, input size, embedding)."""
    return {
        "format": MODEL_FORMAT,
        "arch": config["arch"],
        "input_hw": list(config["input_hw"]),
        "embedding": int(config["embedding"]),
        "state_dict": _cpu(backbone.state_dict()),
        "config": config,
    }


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
        "backbone": _cpu(backbone.state_dict()),
        "head": _cpu(head.state_dict()),
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


def model_path(out: Path) -> Path:
    return out / "model.pt"


def checkpoint_path(out: Path) -> Path:
    return out / "checkpoint.pt"
