"""`synface variance`: how much of each row's seed-to-seed spread the finite test set causes.

    synface variance --models models --dataset data/test/lfw [--sets Real,Syn_10K_50]

Every `MODELS/{training set}/seed*/model.pt` with at least two seeds is scored on the pair
dataset; per training set it prints the seeds' accuracy std, the part of it that comes from which
pairs the test set happens to hold (see synface.analysis.variance), and the std expected on a test
set 10 times larger; then the medians and the pooled share. The models and datasets are outputs of
`make reproduce` (not in a fresh clone).
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from synface.cli.args import files
from synface.errors import SynfaceError

PAIR_FACTORS = (3, 10)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "variance",
        help="how much of the seed-to-seed spread comes from the finite test set",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--models", type=Path, default=Path("models"), help="training runs (default %(default)s)")
    p.add_argument("--dataset", type=Path, required=True, help="pair dataset, e.g. data/test/lfw")
    p.add_argument("--sets", help="comma-separated training sets (default: every one with two or more seeds)")
    files(p, reads=("--models", "--dataset"), writes=())
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import torch

    from synface.analysis.variance import pooled_pair_share, protocol_correct, seed_spread
    from synface.data.storage import Dataset
    from synface.evaluate.embed import load_model, pair_scores

    runs = _runs(args.models, None if args.sets is None else args.sets.split(","))
    dataset, device = Dataset.open(args.dataset), torch.device("cpu")
    spreads = {}
    for name, models in runs.items():
        rows = []
        for path in models:
            model, input_hw = load_model(path, device)
            scores = pair_scores(model, dataset, input_hw, device)
            rows.append(protocol_correct(scores["score"].to_numpy(), scores["same"].to_numpy()))
        spreads[name] = spread = seed_spread(rows)
        print(
            f"{name:28s} seeds {spread.seeds}  accuracy {spread.accuracy:6.2f}  seed std {spread.seed_var**0.5:5.2f}"
            f"  pair part {spread.pair_var**0.5:5.2f} ({spread.pair_share:4.0%})"
            f"  std at 10x pairs {spread.std_with(10):5.2f}"
        )
    rows = list(spreads.values())
    expected = ", ".join(f"{k}x pairs {statistics.median(s.std_with(k) for s in rows):.2f}" for k in PAIR_FACTORS)
    seed_std = statistics.median(s.seed_var**0.5 for s in rows)
    print(
        f"{len(rows)} sets, {rows[0].pairs} pairs: median seed std {seed_std:.2f}, "
        f"median pair part {statistics.median(s.pair_var**0.5 for s in rows):.2f}, "
        f"pooled pair share {pooled_pair_share(spreads):.0%}; median seed std expected at {expected}"
    )
    return 0


def _runs(models: Path, sets: list[str] | None) -> dict[str, list[Path]]:
    found = {d.name: sorted(d.glob("seed*/model.pt")) for d in sorted(models.iterdir()) if d.is_dir()}
    if sets is not None:
        unknown = [name for name in sets if name not in found]
        if unknown:
            raise SynfaceError(f"{models}: no runs of {', '.join(unknown)}")
        found = {name: found[name] for name in sets}
    runs = {name: paths for name, paths in found.items() if len(paths) >= 2}
    if not runs:
        raise SynfaceError(f"{models}: no training set with two or more seeds (MODELS/SET/seed*/model.pt)")
    return runs
