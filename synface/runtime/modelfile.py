"""Final model files (`synface train`'s model.pt) that load with `torch.load(path, weights_only=True)`.

A model file holds the backbone's weights and what rebuilds it (arch, input size, embedding);
everything stored is a tensor, dict, list, number, string or None. `save` and `load` serve
training checkpoints too (`synface.train.checkpoint`): written atomically, so a run killed
mid-write keeps the previous file, and loaded only with the format tag expected.
"""

from __future__ import annotations

import os
import pickle
import reprlib
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from synface.data.imagefiles import MAX_SIDE
from synface.errors import SynfaceError
from synface.io.atomic import atomic_path, write_failed
from synface.models.architectures import MAX_EMBEDDING, architecture_names

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
    if expected_format == MODEL_FORMAT:
        check_keys(path, payload, _model_checks())
    return payload


Check = tuple[Callable[[Any], bool], str]  # is the value valid, and what a valid one is (for the message)
A_DICT: Check = (lambda v: isinstance(v, dict)), "a dict"


def whole(low: int, high: int) -> Check:
    return (lambda v: type(v) is int and low <= v <= high), f"a whole number in [{low}, {high:,}]"


def check_keys(path: str | os.PathLike[str], payload: Mapping[str, Any], checks: Mapping[str, Check]) -> None:
    """Refuse, naming the file and the key, a payload whose entries are missing or not what our writers
    write (a crafted or damaged file): checked before any of it is used."""
    for key, (valid, expected) in checks.items():
        if key not in payload:
            raise SynfaceError(f"{path}: key {key!r} is missing (expected {expected})")
        if not valid(payload[key]):
            raise SynfaceError(f"{path}: key {key!r} is {reprlib.repr(payload[key])}, expected {expected}")


def _model_checks() -> dict[str, Check]:
    names, side = architecture_names(), whole(1, MAX_SIDE)[0]
    return {
        "arch": ((lambda v: isinstance(v, str) and v in names), f"one of {', '.join(names)}"),
        "input_hw": (
            lambda v: isinstance(v, (list, tuple)) and len(v) == 2 and all(side(x) for x in v),
            f"[height, width], each a whole number in [1, {MAX_SIDE}]",
        ),
        "embedding": whole(1, MAX_EMBEDDING),
        "state_dict": A_DICT,
        "config": A_DICT,
    }


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
