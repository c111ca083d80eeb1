"""Training batches from memory-mapped uint8 storage: labels, epoch order, augmentation, domain mixup.

Labels. Within the chosen view, identities are numbered 0..C-1 in sorted order. With
identity mixup the partner identities k get classes too: a view of the first N
identities of a generated set can hold partners >= N (the official generator picks
partners across the whole set), and the official loader would then index past its
N-class classifier. Here the classes are the sorted union of the view's identities
and the partners that carry label weight (phi < 1), so no label weight is dropped
and no class exists that no label ever names. Real identities are numbered after the
synthetic classes (the classifier has C_syn + C_real classes).

Order. An epoch is one pass over the primary set (synthetic, or real when training on
real data only) in a random order, dropping the last partial batch as the official
DataLoader does. Under domain mixup the real rows are repeated to the synthetic set's
length and topped up once, at setup, with distinct randomly chosen real rows (the
official loader draws the top-up with replacement; distinct rows keep every real
image's share within one repeat); each epoch shuffles that pool. All draws come from
torch.Generators seeded by (seed, epoch), so an epoch's batches are a pure function of the
config: resuming needs no loader state. A process of a multi-process run (`synface.train.distributed`)
makes the same draws and keeps its share of each batch, so the global batches do not depend on the
number of processes.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from synface.data.storage import Dataset
from synface.errors import SynfaceError
from synface.runtime.model_input import check_input_size, to_model_input
from synface.train.augment import augment
from synface.train.config import TrainConfig
from synface.train.distributed import SINGLE_PROCESS, World
from synface.train.mixup import mix_images, sample_psi

# Independent random streams of a run, each seeded by (seed, stream, ...); the dropout stream
# only in a multi-process run (`synface.train.loop`).
EPOCH_STREAM, REAL_POOL_STREAM, DROPOUT_STREAM = 0, 1, 2
RESIDENT_GPU_FRACTION = 0.3  # keep a whole set on the GPU when it takes at most this share of free memory
PRESCALED_MAX_BYTES = 2**31  # downscale a whole view once when its float32 model inputs fit in this (`ImageSource`)
PRESCALE_CHUNK = 1024  # images downscaled at a time while prescaling
T = TypeVar("T")


def mixed_seed(*key: int) -> int:
    """A 64-bit seed from non-negative ints (run seed, stream, epoch, ...), well mixed."""
    state = np.random.SeedSequence([int(v) for v in key]).generate_state(2, dtype=np.uint32)
    return int(state[0]) << 32 | int(state[1])


def seeded_generator(*key: int) -> torch.Generator:
    """A CPU generator seeded with `mixed_seed(*key)`."""
    return torch.Generator().manual_seed(mixed_seed(*key))


class ImageSource:
    """The images of a dataset view, gathered per batch onto the training device at the model's input size.

    A store larger than the model input is area-downscaled once, for the whole view, when that
    fits in PRESCALED_MAX_BYTES: the embedded model's 28x24 input would otherwise shrink every
    112x96 batch again each step (about a sixth of a CPU step). Area downscaling acts on each
    image alone, so the values are those of per-batch downscaling, bit for bit. On CUDA a set
    that fits is uploaded once and indexed there (no host round trip per step); otherwise rows
    are read from memory (or the memory map) and copied via pinned memory.
    """

    def __init__(self, ds: Dataset, device: torch.device, input_hw: tuple[int, int]) -> None:
        self.ds, self.device, self.input_hw = ds, device, input_hw
        self.prescaled = _prescaled(ds, input_hw)
        self.resident: torch.Tensor | None = None
        if device.type == "cuda":
            nbytes = len(ds) * ds.height * ds.width * 3 if self.prescaled is None else self.prescaled.nbytes
            if nbytes < RESIDENT_GPU_FRACTION * torch.cuda.mem_get_info()[0]:
                host = ds.images() if self.prescaled is None else self.prescaled
                self.resident = torch.from_numpy(host).to(device)

    def gather(self, rows: np.ndarray) -> torch.Tensor:
        """The rows as stored (uint8) or prescaled; `model_input` finishes them. Plain numpy indexing
        on the host: this runs in the prefetch thread (`TrainData.batches`)."""
        if self.resident is not None:
            return self.resident[torch.from_numpy(rows).to(self.device)]
        batch = torch.from_numpy(self.ds.images(rows) if self.prescaled is None else self.prescaled[rows])
        if self.device.type == "cuda":
            return batch.pin_memory().to(self.device, non_blocking=True)
        return batch

    def model_input(self, batch: torch.Tensor) -> torch.Tensor:
        """A gathered batch as float (B, 3, H, W) in [-1, 1] at the model's input size."""
        return batch if batch.is_floating_point() else to_model_input(batch, self.input_hw)


def _prescaled(ds: Dataset, input_hw: tuple[int, int]) -> np.ndarray | None:
    """The whole view as float32 model inputs (`to_model_input`), or None when the store already is at
    the input size or the result would exceed PRESCALED_MAX_BYTES."""
    h, w = input_hw
    if (ds.height, ds.width) == (h, w) or len(ds) * 3 * h * w * 4 > PRESCALED_MAX_BYTES:
        return None
    chunks = [np.arange(a, min(a + PRESCALE_CHUNK, len(ds))) for a in range(0, len(ds), PRESCALE_CHUNK)]
    return np.concatenate([to_model_input(torch.from_numpy(ds.images(rows)), input_hw).numpy() for rows in chunks])


@dataclass
class LabelledSet:
    """A dataset view with its class labels: i per image, and the IM soft label (phi, k) when used."""

    name: str
    images: ImageSource
    i: torch.Tensor  # int64 (n,)
    phi: torch.Tensor | None  # float32 (n,); None when every phi is 1 (no identity mixup)
    k: torch.Tensor | None  # int64 (n,)
    num_classes: int

    def __len__(self) -> int:
        return len(self.i)


def soft_labels(ds: Dataset, offset: int, where: str) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, int]:
    """(i, phi, k, number of classes) for a view; classes numbered from `offset` (see module doc)."""
    ids = ds.meta["identity"].to_numpy()
    phi = ds.meta["phi"].to_numpy()
    partner = ds.meta["partner"].to_numpy()
    if ((phi < 0) | (phi > 1)).any():
        raise SynfaceError(f"{where}: phi outside [0, 1] in metadata row {int(np.argmax((phi < 0) | (phi > 1)))}")
    mixed = phi < 1
    if (mixed & (partner < 0)).any():
        raise SynfaceError(f"{where}: metadata row {int(np.argmax(mixed & (partner < 0)))} has phi < 1 but no partner")
    classes = np.unique(np.concatenate([ids, partner[mixed]]))
    i = np.searchsorted(classes, ids) + offset
    if not mixed.any():
        return i, None, None, len(classes)
    k = np.where(mixed, np.searchsorted(classes, partner) + offset, i)
    return i, phi.astype(np.float32), k, len(classes)


def _open_view(path: Path, subset: tuple[int, int] | None, strict: bool) -> Dataset:
    ds = Dataset.open(path)
    if subset is not None:
        ds = ds.subset(*subset, strict=strict)
    return ds


def _labelled(ds: Dataset, name: str, offset: int, config: TrainConfig, device: torch.device) -> LabelledSet:
    where = f"{name} set {ds.path}"
    if len(ds) == 0:
        raise SynfaceError(f"{where}: no images")
    check_input_size((ds.height, ds.width), config.input_hw, where)
    i, phi, k, n = soft_labels(ds, offset, where)
    return LabelledSet(
        name, ImageSource(ds, device, config.input_hw), _on(i, device), _on(phi, device), _on(k, device), n
    )


def _on(a: np.ndarray | None, device: torch.device) -> torch.Tensor | None:
    return None if a is None else torch.from_numpy(a).to(device)


@dataclass
class Batch:
    """One training step's inputs: mixed images and every label the loss needs, on the device."""

    x: torch.Tensor  # float (B, 3, H, W) in [-1, 1]
    i: torch.Tensor
    phi: torch.Tensor | None
    k: torch.Tensor | None
    psi: float
    y_real: torch.Tensor | None


class TrainData:
    """The training sets of a config, checked before any training, and their per-epoch batches
    (this process's share of them in a multi-process `world`)."""

    def __init__(self, config: TrainConfig, device: torch.device, world: World = SINGLE_PROCESS) -> None:
        self.config = config
        self.device = device
        self.share = world.share(config.batch)
        primary_is_syn = config.syn is not None
        path, subset = (config.syn, config.syn_subset) if primary_is_syn else (config.real, config.real_subset)
        # Synthetic sets are regular (strict N x S); real data is long-tailed, so an
        # identity with fewer than S images contributes what it has, as in the official loader.
        self.primary = _labelled(
            _open_view(path, subset, strict=primary_is_syn),
            "synthetic" if primary_is_syn else "real",
            0,
            config,
            device,
        )
        self.real: LabelledSet | None = None
        self.real_pool: np.ndarray | None = None
        if config.domain_mixup:
            real_view = _open_view(config.real, config.real_subset, strict=False)
            self.real = _labelled(real_view, "real", self.primary.num_classes, config, device)
            self.real_pool = self._repeat_to(len(self.real), len(self.primary))
        self.num_classes = self.primary.num_classes + (self.real.num_classes if self.real else 0)
        if self.num_classes < 2:
            raise SynfaceError(f"{self.primary.images.ds.path}: a single class cannot train a classifier")
        self.steps_per_epoch = len(self.primary) // config.batch
        if self.steps_per_epoch == 0:
            raise SynfaceError(
                f"{self.primary.images.ds.path}: {len(self.primary)} training images, "
                f"fewer than one batch of {config.batch}"
            )

    def _repeat_to(self, n_real: int, length: int) -> np.ndarray:
        """Real rows repeated to `length`, topped up with distinct random rows (fixed for the run)."""
        reps, rest = divmod(length, n_real)
        topup = torch.randperm(n_real, generator=seeded_generator(self.config.seed, REAL_POOL_STREAM))[:rest].numpy()
        return np.concatenate([np.tile(np.arange(n_real), reps), topup])

    def batches(self, epoch: int, max_steps: int | None = None) -> Iterator[Batch]:
        """The epoch's batches (all of them, or the first `max_steps`).

        A background thread reads the uint8 images ahead from the memory map; the
        conversion, augmentation and mixing (torch ops) stay in this thread, because
        torch ops from a second thread would oversubscribe the CPU's intra-op threads.
        """
        g = seeded_generator(self.config.seed, EPOCH_STREAM, epoch)
        b = self.config.batch
        order = torch.randperm(len(self.primary), generator=g).numpy()
        real_order = None
        if self.real is not None:
            real_order = self.real_pool[torch.randperm(len(self.real_pool), generator=g).numpy()]
        steps = self.steps_per_epoch if max_steps is None else min(max_steps, self.steps_per_epoch)
        share = self.share
        plan = [
            (order[s * b : (s + 1) * b][share], None if real_order is None else real_order[s * b : (s + 1) * b][share])
            for s in range(steps)
        ]
        raw = prefetch(self._gather(rows, real_rows) for rows, real_rows in plan)
        with contextlib.closing(raw):
            for (rows, real_rows), (images, real_images) in zip(plan, raw):
                yield self._batch(rows, images, real_rows, real_images, g)

    def _gather(self, rows: np.ndarray, real_rows: np.ndarray | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        real = None if real_rows is None else self.real.images.gather(real_rows)
        return self.primary.images.gather(rows), real

    def _batch(
        self,
        rows: np.ndarray,
        images: torch.Tensor,
        real_rows: np.ndarray | None,
        real_images: torch.Tensor | None,
        g: torch.Generator,
    ) -> Batch:
        p = self.primary
        idx = torch.from_numpy(rows).to(self.device)
        b, share = self.config.batch, self.share
        x = augment(p.images.model_input(images), g, share, b)
        labels = dict(i=p.i[idx], phi=None if p.phi is None else p.phi[idx], k=None if p.k is None else p.k[idx])
        if real_images is None:
            return Batch(x=x, psi=1.0, y_real=None, **labels)
        psi = sample_psi(g)
        x_real = augment(self.real.images.model_input(real_images), g, share, b)
        y_real = self.real.i[torch.from_numpy(real_rows).to(self.device)]
        return Batch(x=mix_images(x, x_real, psi), psi=psi, y_real=y_real, **labels)


_END = object()


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Iterate `items` with a background thread producing up to `depth` ahead.

    An exception in the producer is re-raised here; closing (or abandoning) the
    iterator stops the producer.
    """
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as err:  # noqa: BLE001 - handed to the consumer
            put(err)
            return
        put(_END)

    thread = threading.Thread(target=work, name="synface-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
