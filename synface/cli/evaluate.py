"""`synface evaluate`: the LFW verification protocol for a trained model on a pair dataset, or for a scores file.

    synface evaluate --model RUN/model.pt --dataset LFW_DS [--flip] [--scores-out S.csv] [--out M.json]
    synface evaluate --model CKPT.pth.tar --arch lresnet50e_ir --input 112x96 --dataset LFW_DS ...
    synface evaluate --scores S.csv [--out M.json]

With --arch and --input, --model is an external checkpoint such as the official SynFace
releases (model_10k_50_idmix_9197.pth.tar): a torch.save file of a state_dict, or of a dict
holding it under `state_dict` (other entries, e.g. epoch or optimizer, are ignored), keys with
or without DataParallel's `module.` prefix. It is loaded weights-only with strict keys: every
missing, unexpected or mis-shaped key is an error, never silently skipped.

Prints ONE JSON line: accuracy_mean, accuracy_std, fold_accuracy, fold_threshold, auc,
tar_at_far_1e-3 (10-fold threshold selection on cosine similarity; see
synface.protocol). The model reported is the one in the file given,
normally the final epoch's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from synface.cli.args import byte_size, files, input_hw, integer, output_file
from synface.errors import SynfaceError
from synface.experiments import OFFICIAL_EMBEDDING
from synface.io.atomic import write_text
from synface.io.csvfile import MAX_CSV_BYTES
from synface.models.architectures import architecture_names
from synface.protocol import evaluate_scores_csv


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="verification accuracy of a model on a pair dataset (or of a scores CSV)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--model",
        type=Path,
        help="model file written by `synface train`, or with --arch/--input an external checkpoint (with --dataset)",
    )
    source.add_argument(
        "--scores",
        type=Path,
        help="CSV with columns score,same in pair order, and fold as --scores-out writes them "
        f"(without fold: 10 contiguous folds); a regular file, at most {byte_size(MAX_CSV_BYTES)}",
    )
    p.add_argument("--dataset", type=Path, help="pair dataset (with pairs.csv), e.g. an imported LFW")
    p.add_argument(
        "--arch", help=f"--model is an external checkpoint of this architecture ({', '.join(architecture_names())})"
    )
    p.add_argument("--input", type=input_hw("--input"), metavar="HxW", help="its input size, e.g. 112x96 (with --arch)")
    p.add_argument(
        "--embedding",
        type=integer("--embedding", low=2),
        help=f"its embedding size (with --arch; default {OFFICIAL_EMBEDDING})",
    )
    p.add_argument(
        "--flip", action="store_true", help="flip test: add the mirrored image's embedding (not used by the paper)"
    )
    p.add_argument(
        "--batch", type=integer("--batch", low=1), default=256, help="embedding batch size (default %(default)s)"
    )
    p.add_argument("--threads", type=integer("--threads", low=1), help="CPU threads (default: all cores)")
    p.add_argument(
        "--scores-out", type=output_file("--scores-out"), help="also write per-pair scores (left,right,same,fold,score)"
    )
    p.add_argument("--out", type=output_file("--out"), help="also write the metrics JSON here (atomically)")
    files(p, reads=("--model", "--scores", "--dataset"), writes=("--out", "--scores-out"))
    p.set_defaults(func=_run)


def _model_metrics(args: argparse.Namespace) -> dict:
    from synface.evaluate.embed import Backbone  # torch: imported only when needed
    from synface.evaluate.verify import evaluate_model

    if args.dataset is None:
        raise SynfaceError("synface evaluate --model needs --dataset (a pair dataset)")
    if (args.arch is None) != (args.input is None):
        raise SynfaceError("synface evaluate: --arch and --input go together (an external checkpoint's backbone)")
    if args.arch is None and args.embedding is not None:
        raise SynfaceError("synface evaluate: --embedding goes with --arch and --input (a model file knows its own)")
    backbone = None if args.arch is None else Backbone(args.arch, args.input, args.embedding or OFFICIAL_EMBEDDING)
    return evaluate_model(
        args.model,
        args.dataset,
        threads=args.threads,
        batch=args.batch,
        flip=args.flip,
        scores_out=args.scores_out,
        backbone=backbone,
    )


def _run(args: argparse.Namespace) -> int:
    if args.scores is not None:
        model_flags = (args.dataset, args.scores_out, args.arch, args.input, args.embedding)
        if args.flip or any(flag is not None for flag in model_flags):
            raise SynfaceError(
                "synface evaluate --scores takes no --dataset, --scores-out, --flip, --arch, --input or --embedding"
            )
        metrics = evaluate_scores_csv(args.scores)
    else:
        metrics = _model_metrics(args)
    line = json.dumps(metrics)
    if args.out is not None:
        write_text(args.out, line + "\n")
    print(line)
    return 0
