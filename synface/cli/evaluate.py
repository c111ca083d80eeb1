"""`synface evaluate`: the LFW verification protocol for a trained model on a pair dataset, or for a scores file.

    synface evaluate --model RUN/model.pt --dataset LFW_DS [--flip] [--scores-out S.csv] [--out M.json]
    synface evaluate --scores S.csv [--out M.json]

Prints ONE JSON line: accuracy_mean, accuracy_std, fold_accuracy, fold_threshold, auc,
tar_at_far_1e-3 (10-fold threshold selection on cosine similarity; see
synface.evaluate.protocol). The model reported is the one in the file given,
normally the final epoch's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from synface.data.storage import Dataset
from synface.errors import SynfaceError
from synface.evaluate.embed import load_model, pair_scores, protocol_folds
from synface.evaluate.protocol import evaluate_scores, evaluate_scores_csv
from synface.io.atomic import atomic_path, write_text
from synface.train.device import pick_device


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="verification accuracy of a model on a pair dataset (or of a scores CSV)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", type=Path, help="model file written by `synface train` (with --dataset)")
    source.add_argument("--scores", type=Path, help="CSV with columns score,same in pair order (10 contiguous folds)")
    p.add_argument("--dataset", type=Path, help="pair dataset (with pairs.csv), e.g. an imported LFW")
    p.add_argument(
        "--flip", action="store_true", help="flip test: add the mirrored image's embedding (not used by the paper)"
    )
    p.add_argument("--batch", type=int, default=256, help="embedding batch size (default %(default)s)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    p.add_argument("--scores-out", type=Path, help="also write per-pair scores (left,right,same,fold,score)")
    p.add_argument("--out", type=Path, help="also write the metrics JSON here (atomically)")
    p.set_defaults(func=_run)


def _model_metrics(args: argparse.Namespace) -> dict:
    if args.dataset is None:
        raise SynfaceError("synface evaluate --model needs --dataset (a pair dataset)")
    if args.scores_out is not None and args.scores_out.resolve() == args.model.resolve():
        raise SynfaceError(f"{args.scores_out}: --scores-out would overwrite the model")
    device = pick_device(args.threads)
    model, input_hw = load_model(args.model, device)
    ds = Dataset.open(args.dataset)
    scores = pair_scores(model, ds, input_hw, device, batch=args.batch, flip=args.flip)
    n_folds = protocol_folds(scores, str(args.dataset / "pairs.csv"))
    if args.scores_out is not None:
        with atomic_path(args.scores_out) as tmp:
            scores.to_csv(tmp, index=False)  # full precision: --scores reproduces the metrics exactly
    return evaluate_scores(scores["score"].to_numpy(), scores["same"].to_numpy(), n_folds)


def _run(args: argparse.Namespace) -> int:
    if args.scores is not None:
        if args.dataset is not None or args.scores_out is not None or args.flip:
            raise SynfaceError("synface evaluate --scores takes no --dataset, --scores-out or --flip")
        metrics = evaluate_scores_csv(args.scores)
    else:
        metrics = _model_metrics(args)
    line = json.dumps(metrics)
    if args.out is not None:
        write_text(args.out, line + "\n")
    print(line)
    return 0
