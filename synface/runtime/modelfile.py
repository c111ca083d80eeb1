"""Final model files (`synface train`'s model.pt) that load with `torch.load(path, weights_only=True)`.

A model file holds the backbone's weights and what rebuilds it (arch, input size, embedding);
everything stored is a tensor, dict, list, number, string or None. `save` and `load` serve
training checkpoints too (`synface.train.checkpoint`): written atomically, so a run killed
mid-write keeps the previous file, and loaded only with the format tag expected.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from synface.errors import SynfaceError
from synface.io.atomic import atomic_path, write_failed

MODEL_FORMAT = "synface-model/1"


def cpu_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state_dict's tensors detached, on the CPU (as model files and checkpoints store them)."""
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
    return payload


def model_payload(backbone: torch.nn.Module, config: dict[str, Any]) -> dict[str, Any]:
    """The final model file: backbone weights plus what rebuilds it (arch, input size, embedding)."""
    return {
        "format": MODEL_FORMAT,
        "arch": config["arch"],
        "input_hw": list(config["input_hw"]),
        "embedding": int(config["embedding"]),
        "state_dict": cpu_state(backbone.state_dict()),
        "config": config,
    }


def model_path(out: Path) -> Path:
    return out / "model.pt"
