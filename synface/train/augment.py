"""The official training augmentation, as torch ops on whole batches.

The official transform (torchvision, per PIL image) is::

    RandomApply([Resize(112), RandomCrop((112, 96))], p=0.5)  # zoom x112/96, random crop
    RandomHorizontalFlip()                                     # p = 0.5
    ToTensor(); Normalize(0.5, 0.5)                            # [0, 255] -> [-1, 1]
    RandomErasing()                                            # p=0.5, scale (0.02, 0.33), ratio (0.3, 3.3), value 0

Here the same steps act on a whole batch at the model's input size H x W, made from the
stored uint8 images by `synface.runtime.model_input` (ToTensor and Normalize);
`Resize(H)` is torchvision's rule (shorter side to H, aspect kept), so at other
sizes the zoom is H / min(H, W) as at 112 x 96. Every random draw comes from the
caller's torch.Generator, so a batch is a pure function of (images, generator state).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

ERASE_P, ERASE_SCALE, ERASE_RATIO, ERASE_TRIES = 0.5, (0.02, 0.33), (0.3, 3.3), 10


def _zoom_crop(x: torch.Tensor, uy: torch.Tensor, ux: torch.Tensor) -> torch.Tensor:
    """torchvision Resize(H) then RandomCrop(H, W) on each image of x (n, 3, H, W); uy, ux in [0, 1) place the crop."""
    n, _, h, w = x.shape
    scale = h / min(h, w)
    zh, zw = int(h * scale), int(w * scale)  # torchvision truncates the long side the same way
    if (zh, zw) == (h, w):
        return x
    z = F.interpolate(x, size=(zh, zw), mode="bilinear", align_corners=False)
    dev = x.device
    oy = (uy * (zh - h + 1)).long().clamp_(max=zh - h).to(dev)
    ox = (ux * (zw - w + 1)).long().clamp_(max=zw - w).to(dev)
    rows = oy[:, None] + torch.arange(h, device=dev)
    cols = ox[:, None] + torch.arange(w, device=dev)
    batch = torch.arange(n, device=dev)[:, None, None]
    # advanced indices around a slice: the result is (n, H, W, 3)
    return z[batch, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


def _first_true(mask: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Per row, the value at the first True of mask (at column 0 when none)."""
    first = mask.float().argmax(dim=1, keepdim=True)
    return values.gather(1, first).squeeze(1)


def _erase_boxes(b: int, h: int, w: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    """torchvision RandomErasing's box draw, vectorised: per image the first of 10 tries that fits."""
    area = h * w
    target = area * (
        ERASE_SCALE[0] + (ERASE_SCALE[1] - ERASE_SCALE[0]) * torch.rand(b, ERASE_TRIES, generator=generator)
    )
    lo, hi = math.log(ERASE_RATIO[0]), math.log(ERASE_RATIO[1])
    aspect = torch.exp(lo + (hi - lo) * torch.rand(b, ERASE_TRIES, generator=generator))
    eh = torch.sqrt(target * aspect).round().long()
    ew = torch.sqrt(target / aspect).round().long()
    fits = (eh < h) & (ew < w)
    eh, ew = _first_true(fits, eh), _first_true(fits, ew)
    top = (torch.rand(b, generator=generator) * (h - eh + 1)).long()
    left = (torch.rand(b, generator=generator) * (w - ew + 1)).long()
    apply = (torch.rand(b, generator=generator) < ERASE_P) & fits.any(dim=1)
    return top, left, eh * apply, ew * apply  # a zero-size box erases nothing


def augment(
    x: torch.Tensor, generator: torch.Generator, rows: slice = slice(None), batch: int | None = None
) -> torch.Tensor:
    """The official training augmentation on a normalised batch x (B, 3, H, W) in [-1, 1].

    Random draws are made on the CPU generator for the whole batch whatever happens
    to each image, so the stream of draws (and thus resumption) never depends on data.
    x may be the share `rows` of a batch of `batch` images (one training process's,
    `synface.train.distributed`): the draws are still made for the whole batch, so the
    share is augmented exactly as within the whole.
    """
    _, _, h, w = x.shape
    n = len(x) if batch is None else batch
    dev = x.device
    zoom = (torch.rand(n, generator=generator) < 0.5)[rows]
    uy, ux = torch.rand(n, generator=generator)[rows], torch.rand(n, generator=generator)[rows]
    flip = (torch.rand(n, generator=generator) < 0.5)[rows]
    top, left, eh, ew = (t[rows].to(dev) for t in _erase_boxes(n, h, w, generator))
    sel = zoom.nonzero().squeeze(1)
    if len(sel):
        x = x.clone()
        x[sel.to(dev)] = _zoom_crop(x[sel.to(dev)], uy[sel], ux[sel])
    x = torch.where(flip.to(dev)[:, None, None, None], x.flip(3), x)
    ys = torch.arange(h, device=dev)
    xs = torch.arange(w, device=dev)
    in_rows = (ys >= top[:, None]) & (ys < (top + eh)[:, None])
    in_cols = (xs >= left[:, None]) & (xs < (left + ew)[:, None])
    erase = in_rows[:, :, None] & in_cols[:, None, :]
    return x.masked_fill(erase[:, None], 0.0)
