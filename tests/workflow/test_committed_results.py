"""The committed results cannot silently go stale: dvc.lock's hashes of code, config and results match the tree."""

from __future__ import annotations

import hashlib

import pytest
import yaml
from repo_copy import ROOT

from synface.dvclock import LOCK, lock_mismatches


def test_committed_results_match_the_tree():
    if not (ROOT / LOCK).exists():
        pytest.skip(f"no committed results yet ({LOCK} absent)")
    assert lock_mismatches(ROOT) == []


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def test_each_kind_of_drift_is_named(tmp_path):
    (tmp_path / "code.py").write_text("x = 1\n")
    (tmp_path / "table.csv").write_text("a\n1\n")
    (tmp_path / "config.yaml").write_text("training: {epochs: 24, lr: 0.1}\n")
    stage = {"cmd": "make table", "deps": ["code.py"], "params": [{"config.yaml": ["training.epochs"]}], "outs": []}
    # a cached file (a model) a clone lacks, and a committed one (its training log) it must have
    train = {"cmd": "make models", "deps": [], "outs": [{"m.pt": {"persist": True}}, {"log.csv": {"cache": False}}]}
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"table": stage, "train": train}}))
    (tmp_path / "log.csv").write_text("epoch\n1\n")
    lock = {
        "schema": "2.0",
        "stages": {
            "table": {
                "cmd": "make table",
                "deps": [
                    {"path": "code.py", "hash": "md5", "md5": _md5("x = 1\n")},
                    {"path": "models", "hash": "md5", "md5": "0" * 32 + ".dir"},  # cached: not checked here
                ],
                "params": {"config.yaml": {"training.epochs": 24}},
                "outs": [{"path": "table.csv", "hash": "md5", "md5": _md5("a\n1\n")}],
            },
            "train": {
                "cmd": "make models",
                "outs": [
                    {"path": "m.pt", "hash": "md5", "md5": "1" * 32},  # cached: not checked here
                    {"path": "log.csv", "hash": "md5", "md5": _md5("epoch\n1\n")},
                ],
            },
        },
    }
    (tmp_path / LOCK).write_text(yaml.safe_dump(lock))
    assert lock_mismatches(tmp_path) == []

    (tmp_path / "code.py").write_text("x = 2\n")
    (tmp_path / "config.yaml").write_text("training: {epochs: 48, lr: 0.1}\n")
    (tmp_path / "table.csv").unlink()
    (tmp_path / "log.csv").unlink()
    stage["cmd"] = "make table --fast"
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"table": stage, "figure": stage, "train": train}}))
    assert lock_mismatches(tmp_path) == [
        "figure: in dvc.yaml, not in dvc.lock",
        "table: command changed",
        "table: code.py changed",
        "table: table.csv is missing",
        "table: param config.yaml:training.epochs changed",
        "train: log.csv is missing",
    ]
