"""Raw photos -> the five landmarks of the face each one shows (MTCNN), for the similarity warp.

A photo can show several faces (a crowd behind the subject, a poster); the subject is taken
to be the largest, most central one: the face maximising its box area minus twice the squared
distance (px^2) from the box centre to the image centre. A large face wins unless it lies far
off-centre, where a smaller, centred face does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from synface.align.mtcnn import MTCNN, Faces
from synface.io.progress import progress_bar


def main_face(faces: Faces, shape: tuple[int, ...]) -> int:
    """Index of the subject among `faces` (non-empty) found in an image of `shape` (H, W, ...)."""
    x1, y1, x2, y2 = faces.boxes.T
    centre = np.array([(shape[1] - 1) / 2, (shape[0] - 1) / 2])
    offset = np.stack([(x1 + x2) / 2, (y1 + y2) / 2], axis=1) - centre
    return int(np.argmax((x2 - x1) * (y2 - y1) - 2.0 * (offset**2).sum(axis=1)))


def subject_landmarks(detector: MTCNN, image: np.ndarray) -> np.ndarray | None:
    """The (5, 2) landmarks of the subject's face in `image`, None when MTCNN finds no face."""
    faces = detector.detect(image)
    return faces.landmarks[main_face(faces, image.shape)] if len(faces) else None


def find_landmarks(count: int, read: Callable[[int], np.ndarray], label: str) -> Sequence[np.ndarray | None]:
    """`subject_landmarks` of images `read(0)` .. `read(count - 1)`, with a progress bar named `label`."""
    detector = MTCNN()
    found: list[np.ndarray | None] = []
    with progress_bar(count, f"detect faces {label}", "img") as bar:
        for i in range(count):
            found.append(subject_landmarks(detector, read(i)))
            bar.update(1)
    return found
