"""Stand-in real photos: person + scene + accessories + camera + detector, rendered in batches.

Image j of identity i depends only on (settings, i, j): every factor draws from its own
stream, and the renderer, the accessories and the camera work image by image, so any batch
or shard split gives the same pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synface.generator import lam as L
from synface.generator.render import canvas_size, render_faces
from synface.realdomain import identities as ids
from synface.realdomain.appearance import (
    Accessories,
    appearance_coefficients,
    apply_accessories,
    backgrounds,
    draw_accessories,
    real_face_model,
)
from synface.realdomain.camera import Camera, develop, draw_camera, landmark_noise
from synface.realdomain.priors import SCENE_NAMES


@dataclass(frozen=True)
class Photo:
    """Everything drawn for one photo before rendering."""

    lam: np.ndarray  # (286,)
    extra_shape: np.ndarray
    extra_texture: np.ndarray  # identity detail + appearance coefficients
    scene: int
    accessories: Accessories
    camera: Camera
    landmark_noise: np.ndarray  # (5, 2) crop px


def draw_photo(settings: ids.RealDomainSettings, person: ids.Identity, identity: int, image: int) -> Photo:
    def rng(stream: int) -> np.random.Generator:
        return ids.stream_rng(settings, stream, identity, image)

    pri = settings.priors
    scene_rng = rng(ids.S_SCENE)  # one stream: the light follows from the scene
    scene = pri.scene(scene_rng)
    lam = np.empty(L.LAMBDA_DIM, np.float32)
    lam[L.IDENTITY] = person.coefficients
    lam[L.EXPRESSION] = pri.expression(rng(ids.S_EXPRESSION))
    lam[L.POSE] = pri.pose(rng(ids.S_POSE))
    lam[L.ILLUMINATION] = pri.illumination(scene_rng, scene)
    lam[L.NOISE] = pri.noise(rng(ids.S_NOISE))
    acc = draw_accessories(rng(ids.S_ACCESSORY), person)
    return Photo(
        lam=lam,
        extra_shape=person.extra_shape,
        extra_texture=np.concatenate([person.extra_texture, appearance_coefficients(rng(ids.S_APPEARANCE), person)]),
        scene=scene,
        accessories=acc,
        camera=draw_camera(rng(ids.S_CAMERA), scene, lam[L.ILLUMINATION]),
        landmark_noise=landmark_noise(rng(ids.S_LANDMARK), float(lam[L.POSE][L.YAW]), acc.occluded),
    )


@dataclass
class Photos:
    images: np.ndarray  # (n, h, w, 3) uint8 aligned crops, as a detector + aligner would give
    landmarks: np.ndarray  # (n, 5, 2) true landmarks in crop pixels
    info: pd.DataFrame  # identity, image and what was drawn (scene, accessories, camera, pose)


def render_photos(
    settings: ids.RealDomainSettings, keys: Sequence[tuple[int, int]], *, size: tuple[int, int] = (112, 96)
) -> Photos:
    """Render the photos (identity, image) of `keys` in the stand-in real domain."""
    people: dict[int, ids.Identity] = {}
    photos = []
    for i, j in keys:
        if i not in people:
            people[i] = ids.identity(settings, i)
        photos.append(draw_photo(settings, people[i], i, j))
    model = real_face_model(settings.extra_shape, settings.extra_texture)
    scenery = backgrounds(
        [ids.stream_rng(settings, ids.S_BACKGROUND, i, j) for i, j in keys],
        [p.scene for p in photos],
        [p.lam[L.ILLUMINATION] for p in photos],
        canvas_size(size),
    )
    result = render_faces(
        np.stack([p.lam for p in photos]),
        model,
        size=size,
        extra_shape=np.stack([p.extra_shape for p in photos]),
        extra_texture=np.stack([p.extra_texture for p in photos]),
        backgrounds=scenery,
        landmark_noise=np.stack([p.landmark_noise for p in photos]),
    )
    scenes = np.stack(
        [
            apply_accessories(result.images[b], result.landmarks[b], result.mask[b], p.accessories, people[keys[b][0]])
            for b, p in enumerate(photos)
        ]
    )
    noise_rngs = [ids.stream_rng(settings, ids.S_SENSOR, i, j) for i, j in keys]
    images = develop(scenes, [p.camera for p in photos], noise_rngs)
    info = pd.DataFrame(
        {
            "identity": [k[0] for k in keys],
            "image": [k[1] for k in keys],
            "scene": [SCENE_NAMES[p.scene] for p in photos],
            "yaw_deg": [float(np.rad2deg(p.lam[L.POSE][L.YAW])) for p in photos],
            "glasses": [p.accessories.glasses for p in photos],
            "sunglasses": [p.accessories.sunglasses for p in photos],
            "hat": [p.accessories.hat for p in photos],
            "hand": [p.accessories.hand for p in photos],
            "jpeg_quality": [p.camera.jpeg_quality for p in photos],
            "iso_gain": [p.camera.iso_gain for p in photos],
            "landmark_error": [float(np.linalg.norm(p.landmark_noise, axis=1).mean()) for p in photos],
        }
    )
    return Photos(images=images, landmarks=result.landmarks, info=info)
