"""The library's layers: no synface module imports from a layer above its own (issue 33).

Each layer lists units: a top-level package or module of synface (`data`, `errors`) or, where one
module sits apart from its package, that module (`train.gpu_checks`); a module belongs to the
longest unit its dotted name starts with. A module may import its own unit and any unit of a
lower layer; units of one layer are independent and import nothing from each other. Every import
counts, inside functions too, relative ones resolved. Imports by name at run time
(`importlib.import_module`) are the CLI's alone, at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from repo_copy import ROOT

PACKAGE = ROOT / "synface"

LAYERS: list[list[str]] = [  # lowest first
    ["__init__", "errors"],
    # codedeps, dvclock, workflow, snakemake_plan: pipeline tooling that needs nothing of the library but errors
    ["io", "codedeps", "dvclock", "workflow", "snakemake_plan"],
    # naming: the paper's names (tables, test sets, the training-set grammar); config: config/ read
    # and overlaid as Snakemake does; layout: where every file lives; experiments: the grid they make,
    # which analysis, evaluate and figures read
    ["protocol", "naming", "config"],
    ["layout"],
    ["experiments"],
    ["align"],
    ["data"],
    ["generator"],
    ["realdomain"],
    ["models"],
    ["runtime"],
    # analysis: summaries of metric files; evaluate writes its tables and feature distributions with it
    ["analysis"],
    # independent: evaluation reuses no training code (runtime holds what both run a backbone with)
    ["train", "evaluate"],
    # experiment_checks: checks the experiment design against the generator's, real domain's and training's limits
    ["figures", "experiment_checks"],
    ["bench"],
    # train.gpu_checks: a GPU benchmark on bench.train, kept where `python -m synface.train.gpu_checks` runs it
    ["train.gpu_checks"],
    # dvcgen, crosscheck: what `synface dvc-yaml` and `synface crosscheck` run
    ["dvcgen", "crosscheck"],
    ["cli"],
    ["__main__"],
]
LEVEL = {unit: level for level, units in enumerate(LAYERS) for unit in units}


def unit_of(module: str) -> str:
    """The unit of dotted name `module` (relative to synface: `train.loop`; `` for synface itself)."""
    parts = module.split(".") if module else ["__init__"]
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in LEVEL:
            return ".".join(parts[:end])
    raise AssertionError(f"synface.{module} is in no layer of tests/workflow/test_layers.py: add it to LAYERS")


def module_name(path: Path) -> str:
    """`train.loop` for synface/train/loop.py, `train` for synface/train/__init__.py, `` for synface/__init__.py."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """The synface modules (names relative to synface) that the file at `path` imports."""
    module = module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ["synface", *package[: len(package) - (node.level - 1)]]
                names.add(".".join([*base, *([node.module] if node.module else [])]))
                if node.module is None:  # from . import x: x is a module of the package
                    names.update(".".join([*base, alias.name]) for alias in node.names)
            else:
                names.add(node.module)
                if node.module == "synface":  # from synface import data: data is a unit
                    names.update(f"synface.{alias.name}" for alias in node.names)
    return {name.removeprefix("synface").removeprefix(".") for name in names if name.split(".")[0] == "synface"}


def upward_imports(paths: list[Path]) -> list[str]:
    problems = []
    for path in paths:
        own = unit_of(module_name(path))
        for target in sorted(imported(path)):
            unit = unit_of(target)
            if unit != own and LEVEL[unit] >= LEVEL[own]:
                problems.append(f"{path.relative_to(PACKAGE.parent)} ({own}) imports synface.{target} ({unit})")
    return problems


def test_every_unit_is_in_one_layer_and_exists():
    units = [unit for layer in LAYERS for unit in layer]
    assert len(units) == len(set(units))
    for unit in units:
        base = PACKAGE.joinpath(*unit.split("."))
        assert base.with_suffix(".py").is_file() or (base / "__init__.py").is_file(), unit


def test_no_module_imports_from_a_higher_layer():
    assert upward_imports(sorted(PACKAGE.rglob("*.py"))) == []


@pytest.mark.parametrize(
    ("where", "source"),
    [
        ("data/upward.py", "from synface.evaluate.embed import load_model\n"),  # a higher layer
        ("train/upward.py", "def f():\n    from synface.cli import main\n"),  # inside a function
        ("train/upward.py", "from synface import bench\n"),  # a unit imported from synface
        ("figures/upward.py", "import synface.experiment_checks\n"),  # a unit of the same layer
        ("evaluate/upward.py", "from ..train import loop\n"),  # relative, and evaluation apart from training
        ("runtime/upward.py", "from synface.train.gpu_checks import main\n"),  # a module apart from its package
    ],
)
def test_an_upward_import_is_named(tmp_path, monkeypatch, where, source):
    monkeypatch.setattr(f"{__name__}.PACKAGE", tmp_path / "synface")
    path = tmp_path / "synface" / where
    path.parent.mkdir(parents=True)
    path.write_text(source)
    (problem,) = upward_imports([path])
    assert problem.startswith(f"synface/{where} ({where.split('/')[0]}) imports synface.")
