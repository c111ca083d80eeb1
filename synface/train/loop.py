"""The trainer: SGD over IM/DM batches, a checkpoint and a log row per epoch, exact resumption.

`train(config)` writes into `config.out`:

    checkpoint.pt  at the first epoch end after every CHECKPOINT_EVERY_STEPS steps, and at the
                   end (model, head, optimizer, scheduler, RNG states, log)
    log.csv        epoch, loss, lr, images_per_s, seconds (one row per finished epoch, written with
                   the checkpoint)
    steps.csv      step, epoch, loss, lr (one row per SGD step of the finished epochs)
    model.pt       at the end: backbone weights + config (what `synface evaluate` loads)

Under torchrun with several processes the run is data-parallel (`synface.train.distributed`):
rank 0 writes every file above, and a checkpoint resumes only with as many processes as wrote it.

Started again on the same folder, a run continues from its last checkpoint and ends
with the same weights, log.csv and steps.csv as an uninterrupted run (the epoch's batches
depend only on (seed, epoch), and the global RNG that drives dropout is restored). Optimiser settings
follow the official code: one SGD group for backbone and head alike (momentum 0.9,
weight decay 5e-4 on every parameter, BN and head included), LR x0.1 at 60/75/90 % of
the epochs (paper: 24, 30, 36 of 40), optionally after a linear warm-up; a run has at least
`min_steps` steps (`TrainConfig.run_epochs`).

Where the official code differs from the paper or from this trainer:
- its configs use LR 0.05 (experiments/WebFace.yaml) and 0.2 at batch 4 x 64 (run.sh),
  the paper reports 0.1 at batch 512; the defaults here are the paper's;
- it always builds the real loader, so even without DM its classifier has N_real extra
  classes that no label uses; here the classifier has only the classes in use;
- it steps MultiStepLR per iteration at epoch multiples, the same schedule as per epoch;
- it evaluates LFW after every epoch and keeps the best one (test-set selection); the
  model file here is always the final epoch's.
"""

from __future__ import annotations

import contextlib
import csv
import io
import sys
import time
from pathlib import Path
from typing import Any

import torch

from synface.errors import SynfaceError
from synface.io.atomic import output_lock, write_text
from synface.io.progress import progress_bar
from synface.models.heads import ArcMarginProduct, CosMarginProduct
from synface.models.lresnet import build_backbone
from synface.runtime import modelfile
from synface.runtime.device import (
    backbone_autocast,
    compiled,
    deterministic_mode,
    prepare_input,
    prepare_model,
    synchronize,
)
from synface.train import checkpoint as ckpt
from synface.train.config import TrainConfig
from synface.train.distributed import SINGLE_PROCESS, World, data_parallel, global_mean, joined, world_from_env
from synface.train.loader import DROPOUT_STREAM, Batch, TrainData, mixed_seed
from synface.train.mixup import mixup_logits, mixup_loss

LOG_COLUMNS = ["epoch", "loss", "lr", "images_per_s", "seconds"]
STEP_COLUMNS = ["step", "epoch", "loss", "lr"]
HEAD_CLASSES = {"arcface": ArcMarginProduct, "cosface": CosMarginProduct}
# On CUDA, reading the loss every step would stall the pipeline; check finiteness this often.
CUDA_CHECK_EVERY = 25
# Checkpoint (and logs) at the first epoch end after this many steps, and at the run's end: a
# small set's one-step epochs would otherwise spend most of their time saving.
CHECKPOINT_EVERY_STEPS = 100


class MixupModel(torch.nn.Module):
    """Backbone and margin head as one module whose forward is a batch's IM/DM loss: the module DDP
    wraps, called once per step however many head terms the loss has."""

    def __init__(self, backbone: torch.nn.Module, head: torch.nn.Module, device: torch.device) -> None:
        super().__init__()
        self.backbone, self.head, self.device = backbone, head, device

    def forward(self, batch: Batch) -> torch.Tensor:
        with backbone_autocast(self.device):
            features = self.backbone(prepare_input(batch.x))
        logits = mixup_logits(self.head, features.float(), batch.i, batch.phi, batch.k, batch.psi, batch.y_real)
        return mixup_loss(logits, batch.i, batch.phi, batch.k, batch.psi, batch.y_real)


class Trainer:
    """Backbone, margin head, optimiser and scheduler for a config and its data."""

    def __init__(
        self, config: TrainConfig, data: TrainData, device: torch.device, world: World = SINGLE_PROCESS
    ) -> None:
        self.config, self.data, self.device, self.world = config, data, device, world
        torch.manual_seed(config.seed)  # identical initial weights for a given seed
        self.backbone = prepare_model(build_backbone(config.arch, config.input_hw, config.embedding), device)
        head_args = {k: v for k, v in (("s", config.scale), ("m", config.margin)) if v is not None}
        self.head = HEAD_CLASSES[config.head](config.embedding, data.num_classes, **head_args).to(device)
        # the compiled backbone shares self.backbone's parameters; checkpoints save the plain module
        self.model = data_parallel(MixupModel(compiled(self.backbone, device), self.head, device), world)
        self.optimizer = torch.optim.SGD(
            [*self.backbone.parameters(), *self.head.parameters()],
            lr=config.lr,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
        )
        self.epochs = config.run_epochs(data.steps_per_epoch)
        self._warmup_steps = round(config.warmup * self.epochs * data.steps_per_epoch)
        self._drop_steps = [m * data.steps_per_epoch for m in config.lr_milestones(self.epochs)]
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self.lr_factor)

    def lr_factor(self, step: int) -> float:
        """LR / base LR before SGD step `step` (from 0): a linear warm-up over the first `warmup` of
        the steps, then x0.1 at each milestone epoch's end (`TrainConfig.lr_milestones`)."""
        warm = min(1.0, (step + 1) / self._warmup_steps) if self._warmup_steps else 1.0
        return warm * 0.1 ** sum(step >= s for s in self._drop_steps)

    def step(self, batch: Batch) -> torch.Tensor:
        """One SGD step on a batch; returns the (detached) loss, of the global batch in a multi-process run."""
        loss = self.model(batch)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return global_mean(loss.detach(), self.world)

    def train_epoch(self, epoch: int, max_steps: int | None = None) -> dict[str, Any]:
        """One pass over the primary set (or `max_steps` of it); the LR schedule advances per step.

        The log row carries the epoch's per-step losses and LRs: the checkpoint holds them, so a
        resumed run rebuilds steps.csv exactly."""
        self.backbone.train()
        self.head.train()
        if self.world.distributed:
            # each process its own dropout masks, the same again in a resumed run (a checkpoint holds rank 0's RNG)
            torch.manual_seed(mixed_seed(self.config.seed, DROPOUT_STREAM, epoch, self.world.rank))
        lr = self.optimizer.param_groups[0]["lr"]
        check_every = CUDA_CHECK_EVERY if self.device.type == "cuda" else 1
        steps = self.data.steps_per_epoch if max_steps is None else min(max_steps, self.data.steps_per_epoch)
        losses: list[torch.Tensor] = []
        step_lrs: list[float] = []
        checked = 0
        start = time.perf_counter()
        bar = progress_bar(steps, f"epoch {epoch + 1}/{self.epochs}", "step", leave=False, disable=not self.world.main)
        with bar, contextlib.closing(self.data.batches(epoch, steps)) as batches:
            for s, batch in enumerate(batches):
                step_lrs.append(self.optimizer.param_groups[0]["lr"])
                losses.append(self.step(batch))
                self.scheduler.step()
                if (s + 1) % check_every == 0 or s + 1 == steps:
                    recent = torch.stack(losses[checked:]).cpu()
                    bad = (~torch.isfinite(recent)).nonzero()
                    if len(bad):
                        raise SynfaceError(
                            f"training diverged: loss {recent[bad[0, 0]].item()} at epoch {epoch + 1}, "
                            f"step {checked + int(bad[0, 0]) + 1} of {steps}; "
                            f"lower the learning rate ({self.config.lr})"
                        )
                    bar.set_postfix(loss=f"{recent[-1].item():.3f}", refresh=False)
                    bar.update(len(recent))
                    checked = len(losses)
        synchronize(self.device)
        seconds = time.perf_counter() - start
        stacked = torch.stack(losses)
        return {
            "epoch": epoch + 1,
            "loss": float(stacked.mean()),
            "lr": lr,
            "images_per_s": steps * self.config.batch / seconds,
            "seconds": seconds,
            "step_losses": stacked.tolist(),
            "step_lrs": step_lrs,
        }

    def checkpoint(self, epoch: int, log: list[dict[str, Any]]) -> dict:
        return ckpt.checkpoint_payload(
            epoch=epoch,
            backbone=self.backbone,
            head=self.head,
            optimizer=self.optimizer,
            scheduler=self.scheduler,
            config=self.config.to_dict(),
            log=log,
            processes=self.world.size,
        )

    def restore(self, payload: dict) -> None:
        self.backbone.load_state_dict(payload["backbone"])
        self.head.load_state_dict(payload["head"])
        self.optimizer.load_state_dict(payload["optimizer"])
        ckpt.load_scheduler_state(self.scheduler, payload["scheduler"])
        ckpt.set_rng_state(payload["rng"])


def log_csv(rows: list[dict[str, Any]]) -> str:
    """The per-epoch log as CSV text with a fixed float format."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(LOG_COLUMNS)
    for row in rows:
        writer.writerow([row["epoch"], *(f"{row[c]:.6g}" for c in LOG_COLUMNS[1:])])
    return buf.getvalue()


def steps_csv(rows: list[dict[str, Any]]) -> str:
    """Every SGD step of the per-epoch log as CSV text, steps counted from 1 over the run;
    9 significant digits write a float32 loss exactly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(STEP_COLUMNS)
    step = 0
    for row in rows:
        for loss, lr in zip(row["step_losses"], row["step_lrs"], strict=True):
            step += 1
            writer.writerow([step, row["epoch"], f"{loss:.9g}", f"{lr:.6g}"])
    return buf.getvalue()


def run_summary(log: list[dict[str, Any]]) -> str:
    """The run in one line, the last of its log: length, training time (the epochs' seconds, summed
    over the sessions of a resumed run) and where the loss ended."""
    steps = sum(len(row["step_losses"]) for row in log)
    seconds = sum(row["seconds"] for row in log)
    last = log[-1]
    return (
        f"trained: epochs {len(log)}, steps {steps}, {seconds:.0f} s; "
        f"final loss {last['loss']:.4f} (mean of epoch {last['epoch']})"
    )


def _write_logs(out: Path, log: list[dict[str, Any]]) -> None:
    write_text(out / "log.csv", log_csv(log))
    write_text(out / "steps.csv", steps_csv(log))


def _resume_point(config: TrainConfig, world: World, *, discard_stale: bool) -> dict | None:
    """The run's last checkpoint, if any; one written for different settings or by another number of
    processes is refused (or, with `discard_stale`, ignored: the pipeline reruns a job whose settings
    changed)."""
    path = ckpt.checkpoint_path(config.out)
    if not path.exists():
        return None
    payload = ckpt.load_checkpoint(path)
    saved = TrainConfig.from_dict(payload["config"]).result_settings()
    changed = sorted(k for k, v in config.result_settings().items() if saved.get(k) != v)
    # a checkpoint from before steps were logged cannot rebuild steps.csv
    if any(not {"step_losses", "step_lrs"} <= row.keys() for row in payload["log"]):
        changed.append("no per-step losses")
    if ckpt.checkpoint_processes(payload) != world.size:
        changed.append(f"{ckpt.checkpoint_processes(payload)} training processes, now {world.size}")
    if changed and discard_stale:
        return None
    if changed:
        raise SynfaceError(
            f"{path}: checkpoint of a run with different settings ({', '.join(changed)}); "
            "use another output folder or delete it"
        )
    return payload


def train(config: TrainConfig, *, discard_stale: bool = False) -> Path:
    """Train (or resume) the run described by `config`; return the path of the final model file.

    The run folder is locked throughout (`output_lock`): a second run on it fails at once, a rerun
    after this one ended or died resumes it. The last line on stderr is the `run_summary`. Under
    torchrun every process trains its share and rank 0 alone locks and writes (`world_from_env`)."""
    world = world_from_env()
    world.check_batch(config.batch)  # before the processes wait for each other
    lock = output_lock(config.out) if world.main else contextlib.nullcontext()
    with lock, deterministic_mode(config.deterministic), joined(world, config.threads) as device:
        data = TrainData(config, device, world)  # every input check happens here, before any training
        trainer = Trainer(config, data, device, world)
        resumed = _resume_point(config, world, discard_stale=discard_stale)
        log: list[dict[str, Any]] = []
        start = 0
        if resumed is not None:
            trainer.restore(resumed)
            start, log = int(resumed["epoch"]), list(resumed["log"])
            if world.main:
                _write_logs(config.out, log)  # a kill may have come between checkpoint and logs
        unsaved = 0
        for epoch in range(start, trainer.epochs):
            log.append(trainer.train_epoch(epoch))
            unsaved += data.steps_per_epoch
            if unsaved >= CHECKPOINT_EVERY_STEPS or epoch + 1 == trainer.epochs:
                if world.main:
                    modelfile.save(ckpt.checkpoint_path(config.out), trainer.checkpoint(epoch + 1, log))
                    _write_logs(config.out, log)
                unsaved = 0
        model_file = modelfile.model_path(config.out)
        if world.main:
            modelfile.save(model_file, modelfile.model_payload(trainer.backbone, config.to_dict()))
            print(run_summary(log), file=sys.stderr)
        return model_file
