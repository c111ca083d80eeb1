"""MTCNN (Zhang et al., 2016): a cascade of three CNNs that finds faces and their five landmarks.

P-Net slides over an image pyramid (scale factor 0.709, down to the smallest face asked for)
and proposes 12x12 face windows; R-Net (24x24 crops) rejects most false windows and refines the
boxes; O-Net (48x48 crops) rejects again, refines again and regresses five landmarks. Each stage
keeps windows scoring above its threshold (0.6, 0.7, 0.7), regresses their boxes, squares them and
suppresses overlaps (NMS: IoU 0.5 within a pyramid level, 0.7 across levels and after R-Net, 0.7
of the smaller box after O-Net), as in the MTCNN paper's released detector.

The weights are the MTCNN authors' models as the facenet-pytorch wheel ships them (MIT licence):
state dicts `facenet_pytorch/data/{pnet,rnet,onet}.pt`. The package is installed without its
dependencies and never imported (its `__init__` imports torchvision); only its files are read.

Coordinates are in pixels with pixel (row i, column j) centred at (x, y) = (j, i).
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from synface.errors import SynfaceError

WEIGHTS_PACKAGE = "facenet-pytorch"
THRESHOLDS = (0.6, 0.7, 0.7)  # P-Net, R-Net, O-Net face probabilities
SCALE_FACTOR = 0.709  # between pyramid levels: half the area
MIN_FACE = 20  # px: the smallest face searched for
PNET_CELL, PNET_STRIDE = 12, 2  # P-Net's window and its step in a pyramid level
NMS_LEVEL, NMS_PYRAMID, NMS_RNET, NMS_ONET = 0.5, 0.7, 0.7, 0.7
LANDMARK_NAMES = ("left eye", "right eye", "nose", "left mouth corner", "right mouth corner")  # as seen in the image


def _normalise(pixels: torch.Tensor) -> torch.Tensor:
    """The MTCNN models' input scaling: [0, 255] -> about [-1, 1]."""
    return (pixels - 127.5) * 0.0078125


class PNet(nn.Module):
    """Proposal network: fully convolutional, one 12x12 window every 2 px."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 10, 3), nn.PReLU(10)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(10, 16, 3), nn.PReLU(16)
        self.conv3, self.prelu3 = nn.Conv2d(16, 32, 3), nn.PReLU(32)
        self.conv4_1 = nn.Conv2d(32, 2, 1)  # face / not face
        self.conv4_2 = nn.Conv2d(32, 4, 1)  # box offsets

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.prelu3(self.conv3(self.prelu2(self.conv2(x))))
        return F.softmax(self.conv4_1(x), dim=1)[:, 1], self.conv4_2(x)


def _flatten(x: torch.Tensor) -> torch.Tensor:
    """Flatten in the Caffe models' (width, height, channel) order their dense weights expect."""
    return x.permute(0, 3, 2, 1).reshape(len(x), -1)


class RNet(nn.Module):
    """Refinement network on 24x24 crops."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 28, 3), nn.PReLU(28)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(28, 48, 3), nn.PReLU(48)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = nn.Conv2d(48, 64, 2), nn.PReLU(64)
        self.dense4, self.prelu4 = nn.Linear(576, 128), nn.PReLU(128)
        self.dense5_1 = nn.Linear(128, 2)
        self.dense5_2 = nn.Linear(128, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.prelu4(self.dense4(_flatten(self.prelu3(self.conv3(x)))))
        return F.softmax(self.dense5_1(x), dim=1)[:, 1], self.dense5_2(x)


class ONet(nn.Module):
    """Output network on 48x48 crops: face probability, box offsets and five landmarks."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 32, 3), nn.PReLU(32)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(32, 64, 3), nn.PReLU(64)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = nn.Conv2d(64, 64, 3), nn.PReLU(64)
        self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv4, self.prelu4 = nn.Conv2d(64, 128, 2), nn.PReLU(128)
        self.dense5, self.prelu5 = nn.Linear(1152, 256), nn.PReLU(256)
        self.dense6_1 = nn.Linear(256, 2)
        self.dense6_2 = nn.Linear(256, 4)
        self.dense6_3 = nn.Linear(256, 10)  # x of the five landmarks, then y, as fractions of the box

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.pool3(self.prelu3(self.conv3(x)))
        x = self.prelu5(self.dense5(_flatten(self.prelu4(self.conv4(x)))))
        return F.softmax(self.dense6_1(x), dim=1)[:, 1], self.dense6_2(x), self.dense6_3(x)


def weights_file(name: str) -> Path:
    """facenet-pytorch's `data/{name}.pt`, found through the installed distribution (nothing is imported)."""
    try:
        dist = importlib.metadata.distribution(WEIGHTS_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise SynfaceError(
            f"MTCNN weights: package {WEIGHTS_PACKAGE} is not installed (make setup installs it)"
        ) from None
    path = Path(str(dist.locate_file(f"facenet_pytorch/data/{name}.pt")))
    if not path.is_file():
        raise SynfaceError(f"MTCNN weights: {path} is missing from the {WEIGHTS_PACKAGE} installation")
    return path


def _loaded(net: nn.Module, name: str) -> nn.Module:
    net.load_state_dict(torch.load(weights_file(name), map_location="cpu", weights_only=True), strict=True)
    return net.eval()


@dataclass(frozen=True)
class Faces:
    """Detected faces: boxes (n, 4) as x1, y1, x2, y2; scores (n,); landmarks (n, 5, 2) as (x, y) in
    LANDMARK_NAMES order."""

    boxes: np.ndarray
    scores: np.ndarray
    landmarks: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, mode: str = "union") -> np.ndarray:
    """Greedy non-maximum suppression: indices of the kept boxes, best first.

    A box is dropped when its overlap with a better kept box, divided by their union ("union")
    or by the smaller of the two areas ("min"), exceeds `threshold`.
    """
    x1, y1, x2, y2 = boxes.T
    area = (x2 - x1) * (y2 - y1)
    order = np.argsort(-scores, kind="stable")
    keep = []
    while len(order):
        best, rest = order[0], order[1:]
        keep.append(best)
        w = np.clip(np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]), 0, None)
        h = np.clip(np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]), 0, None)
        inter = w * h
        base = area[best] + area[rest] - inter if mode == "union" else np.minimum(area[best], area[rest])
        order = rest[inter <= threshold * base]
    return np.asarray(keep, dtype=np.int64)


def _regress(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Move each box edge by its offset, a fraction of the box's width (x) or height (y)."""
    size = np.tile(boxes[:, 2:] - boxes[:, :2], 2)
    return boxes + offsets * size


def _square(boxes: np.ndarray) -> np.ndarray:
    """The square of each box's longer side, on the same centre."""
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    half = (boxes[:, 2:] - boxes[:, :2]).max(axis=1, keepdims=True) / 2
    return np.hstack([centre - half, centre + half])


def pyramid_scales(height: int, width: int, min_face: float) -> list[float]:
    """Scales at which P-Net's 12 px window sees faces from `min_face` px up to the whole image."""
    scale = PNET_CELL / min_face
    side = min(height, width) * scale
    scales = []
    while side >= PNET_CELL:
        scales.append(scale)
        scale *= SCALE_FACTOR
        side *= SCALE_FACTOR
    return scales


def _valid(boxes: np.ndarray) -> np.ndarray:
    """Boxes rounded to whole pixels (the crops take exactly these), empty ones dropped."""
    boxes = np.round(boxes)
    return boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])]


def _crops(pixels: torch.Tensor, boxes: np.ndarray, side: int) -> torch.Tensor:
    """Each box cut from the (1, 3, H, W) image, zero outside it, resized to side x side and normalised."""
    height, width = pixels.shape[2:]
    crops = []
    for x1, y1, x2, y2 in boxes.astype(np.int64).tolist():
        crop = pixels.new_zeros((1, 3, y2 - y1, x2 - x1))
        ix1, iy1, ix2, iy2 = max(x1, 0), max(y1, 0), min(x2, width), min(y2, height)
        if ix2 > ix1 and iy2 > iy1:
            crop[..., iy1 - y1 : iy2 - y1, ix1 - x1 : ix2 - x1] = pixels[..., iy1:iy2, ix1:ix2]
        crops.append(F.interpolate(crop, size=(side, side), mode="bilinear", antialias=True, align_corners=False))
    return _normalise(torch.cat(crops))


class MTCNN:
    """The three-stage detector with the authors' weights; `detect(image)` finds faces in one photo."""

    def __init__(self, min_face: float = MIN_FACE) -> None:
        if min_face < 1:
            raise SynfaceError(f"MTCNN: smallest face {min_face} px is not positive")
        self.min_face = min_face
        self.pnet = _loaded(PNet(), "pnet")
        self.rnet = _loaded(RNet(), "rnet")
        self.onet = _loaded(ONet(), "onet")

    @torch.inference_mode()
    def detect(self, image: np.ndarray) -> Faces:
        """Faces in a uint8 (H, W, 3) RGB image, best score first."""
        pixels = torch.from_numpy(np.array(image, dtype=np.uint8)).permute(2, 0, 1)[None].float()
        # Boxes below are pixel-edge coordinates (pixel j spans [j, j + 1)); the result is shifted to centres.
        boxes = self._propose(pixels)
        if len(boxes):
            boxes = self._refine(pixels, boxes)
        if not len(boxes):
            return Faces(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 5, 2)))
        boxes, scores, landmarks = self._output(pixels, boxes)
        return Faces(boxes - 0.5, scores, landmarks - 0.5)

    def _propose(self, pixels: torch.Tensor) -> np.ndarray:
        """Stage 1: P-Net windows over the pyramid -> regressed square boxes."""
        height, width = pixels.shape[2:]
        found = []
        for scale in pyramid_scales(height, width, self.min_face):
            size = (int(np.ceil(height * scale)), int(np.ceil(width * scale)))
            level = F.interpolate(pixels, size=size, mode="bilinear", antialias=True, align_corners=False)
            prob, offsets = (t[0].numpy() for t in self.pnet(_normalise(level)))
            ys, xs = np.nonzero(prob > THRESHOLDS[0])
            corner = np.stack([xs, ys], axis=1) * PNET_STRIDE
            boxes = np.hstack([corner, corner + PNET_CELL]) / scale
            scores = prob[ys, xs]
            keep = nms(boxes, scores, NMS_LEVEL)
            found.append(np.hstack([boxes, scores[:, None], offsets[:, ys, xs].T])[keep])
        if not found:
            return np.zeros((0, 4))
        found_all = np.vstack(found)
        found_all = found_all[nms(found_all[:, :4], found_all[:, 4], NMS_PYRAMID)]
        return _square(_regress(found_all[:, :4], found_all[:, 5:9]))

    def _refine(self, pixels: torch.Tensor, boxes: np.ndarray) -> np.ndarray:
        """Stage 2: R-Net on 24x24 crops -> the windows it accepts, regressed and squared."""
        boxes = _valid(boxes)
        prob, offsets = (t.numpy() for t in self.rnet(_crops(pixels, boxes, 24)))
        accepted = prob > THRESHOLDS[1]
        boxes, prob, offsets = boxes[accepted], prob[accepted], offsets[accepted]
        keep = nms(boxes, prob, NMS_RNET)
        return _square(_regress(boxes[keep], offsets[keep]))

    def _output(self, pixels: torch.Tensor, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stage 3: O-Net on 48x48 crops -> final boxes, scores and landmarks."""
        boxes = _valid(boxes)
        prob, offsets, points = (t.numpy() for t in self.onet(_crops(pixels, boxes, 48)))
        accepted = prob > THRESHOLDS[2]
        boxes, prob, offsets, points = boxes[accepted], prob[accepted], offsets[accepted], points[accepted]
        size = boxes[:, 2:] - boxes[:, :2]
        landmarks = boxes[:, None, :2] + np.stack([points[:, :5], points[:, 5:]], axis=2) * size[:, None]
        boxes = _regress(boxes, offsets)
        keep = nms(boxes, prob, NMS_ONET, mode="min")
        return boxes[keep], prob[keep], landmarks[keep]
