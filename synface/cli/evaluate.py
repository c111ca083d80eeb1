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

from synface.errors import SynfaceError
from synface.evaluate.protocol import evaluate_scores_csv
from synface.io.atomic import write_text


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
    from synface.evaluate.verify import evaluate_model  # torch: imported only when needed

    if args.dataset is None:
        raise SynfaceError("synface evaluate --model needs --dataset (a pair dataset)")
    if args.scores_out is not None and args.scores_out.resolve() == args.model.resolve():
        raise SynfaceError(f"{args.scores_out}: --scores-out would overwrite the model")
    return evaluate_model(
        args.model, args.dataset, threads=args.threads, batch=args.batch, flip=args.flip, scores_out=args.scores_out
    )


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
