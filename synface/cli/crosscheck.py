"""`synface crosscheck`: the grid of a config trained under two forced kernel sets, tables compared
(`synface.crosscheck`: what is forced, and the tolerance)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from synface.cli.args import integer
from synface.errors import SynfaceError

TARGETS = [f"results/tables/{t}.csv" for t in ("cross_domain", "width_depth", "domain_mixup", "attributes", "claims")]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "crosscheck", help="train a config's grid under two forced kernel sets and compare the tables"
    )
    p.add_argument("--config", default="config/smoke.yaml", help="workflow config (default %(default)s)")
    p.add_argument(
        "--kernels",
        default="native,baseline",
        help="two kernel sets, comma-separated: native, baseline, avx2, avx512 (default %(default)s)",
    )
    p.add_argument("--work", default="crosscheck", help="a new folder for the two runs (default %(default)s)")
    p.add_argument("--cores", type=integer("--cores", 1), default=os.cpu_count(), help="cores per run")
    p.set_defaults(func=_run)


def _kernels(text: str) -> tuple[str, str]:
    from synface.crosscheck import KERNELS

    names = tuple(name.strip() for name in text.split(","))
    unknown = [name for name in names if name not in KERNELS]
    if unknown or len(names) != 2 or names[0] == names[1]:
        raise SynfaceError(f"--kernels {text!r}: expected two different names of {', '.join(KERNELS)}")
    return names[0], names[1]


def _copy_tree(root: Path, to: Path) -> None:
    """The working tree's tracked files but the committed results (no data, no DVC cache) into `to`."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=False)
    if listed.returncode != 0:
        raise SynfaceError(f"{root}: not a git checkout of synface (git ls-files failed)")
    for name in listed.stdout.decode().split("\0"):
        if name and not name.startswith("results/") and (root / name).is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, to / name)


def _run(args: argparse.Namespace) -> int:
    from synface.crosscheck import KERNELS, compare

    names = _kernels(args.kernels)
    root = Path.cwd()
    if not (root / "Snakefile").is_file() or not (root / args.config).is_file():
        raise SynfaceError(f"{root}: run crosscheck from a synface checkout holding {args.config}")
    work = Path(args.work).resolve()
    if work.exists() and (not work.is_dir() or any(work.iterdir())):
        raise SynfaceError(f"--work {args.work}: exists and is not an empty folder (a new folder keeps both runs)")
    snakemake = shutil.which("snakemake") or str(Path(sys.executable).parent / "snakemake")
    for name in names:
        tree = work / name
        tree.mkdir(parents=True)
        _copy_tree(root, tree)
        log = work / f"{name}.log"
        forced = " ".join(f"{k}={v}" for k, v in KERNELS[name].items()) or "nothing forced"
        print(f"crosscheck: {name} ({forced}): the grid of {args.config} in {tree}, log {log}", file=sys.stderr)
        command = [snakemake, "--cores", str(args.cores), *TARGETS, "--configfile", args.config]
        with open(log, "w", encoding="utf-8") as out:
            env = {**os.environ, **KERNELS[name]}
            done = subprocess.run(command, cwd=tree, env=env, stdout=out, stderr=out, check=False)
        if done.returncode != 0:
            raise SynfaceError(f"crosscheck: the {name} run failed (exit {done.returncode}); see {log}")
    result = compare(work / names[0] / "results", work / names[1] / "results")
    print("\n".join(result.lines(names)))
    return 0 if result.passed else 1
