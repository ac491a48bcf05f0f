"""Turn a planned video into frames as a camera would see them, with the anomalies' pixel masks."""
import cv2
import numpy as np

from pipeline.synthetic.actors import draw_actor
from pipeline.synthetic.conditions import SceneConditions, brightness_changes, camera_shifts

FLICKER = 0.012  # relative amplitude of the slow global illumination change every video has


def render_video(geometry, background, actors, frames, rng, conditions=SceneConditions(), condition_rng=None):
    """Yield (frame, mask, drawn, seen) for each frame of a planned video.

    ``frame`` is the (H, W) uint8 camera image; ``mask`` the (H, W) uint8 pixel mask, 255 where a
    pixel shows an actor in one of its anomalous frames, else 0; ``drawn`` a dict of actor index ->
    number of mask pixels that actor contributed; ``seen`` a dict of actor index -> (x1, y1, x2,
    y2, pixels), the inclusive box of every actor's visible pixels and their count. Far actors
    are drawn first, so nearer ones cover them, and a mask holds only the visible part of an
    anomaly. ``conditions`` (a :class:`SceneConditions`) adds camera shake, flicker and sensor
    noise; shake and flicker are drawn from ``condition_rng``, the rest from ``rng``.

    Example:
        >>> import numpy as np
        >>> from pipeline.synthetic.geometry import WalkwayGeometry
        >>> from pipeline.synthetic.background import render_background
        >>> from pipeline.synthetic.choreography import anomaly_actor
        >>> g, rng = WalkwayGeometry(160, 240), np.random.default_rng(0)
        >>> actors = [anomaly_actor(g, rng, 20, "runner", "enter", 10)]
        >>> frames = list(render_video(g, render_background(g, rng), actors, 20, rng))
        >>> frames[-1][0].dtype, bool(frames[-1][1].any()), bool(frames[0][1].any()), sorted(frames[-1][3])
        (dtype('uint8'), True, False, [0])
    """
    shape = (geometry.height, geometry.width)
    level = float(rng.uniform(-5, 5))
    period, offset = rng.uniform(25, 60), rng.uniform(0, 2 * np.pi)
    if condition_rng is None:
        condition_rng = np.random.default_rng(0)
    shifts = camera_shifts(condition_rng, frames, conditions.jitter)
    gains, offsets = brightness_changes(condition_rng, frames, conditions.flicker)
    visible = np.array([actor.visible(shape) for actor in actors]).reshape(len(actors), frames)
    for t in range(frames):
        image = background.copy()
        owner = np.full(shape, -1, np.int32)
        for index in sorted(np.flatnonzero(visible[:, t]), key=lambda i: actors[i].y[t]):
            actor = actors[index]
            draw_actor(image, owner, index, actor.body_type, actor.look, actor.pose(t))
        if conditions.jitter > 0:
            image, owner = _shake(image, owner, shifts[t])
        image = cv2.GaussianBlur(image, (3, 3), 0.6)
        gain = 1.0 + FLICKER * np.sin(2 * np.pi * t / period + offset) + rng.normal(0, 0.003)
        if conditions.flicker > 0:
            image = image * (gain * gains[t]) + (level + offsets[t])
        else:
            image = image * gain + level
        image = image + rng.normal(0, conditions.noise, shape).astype(np.float32)
        frame = np.clip(np.rint(image), 0, 255).astype(np.uint8)

        anomalous = [i for i, a in enumerate(actors) if a.anomalous[t]]
        in_mask = np.isin(owner, anomalous)
        drawn = {i: int((owner[in_mask] == i).sum()) for i in anomalous}
        yield frame, in_mask.astype(np.uint8) * 255, drawn, _seen_boxes(owner)


def _shake(image, owner, shift):
    """The image and the owner map as seen by a camera moved by ``shift`` (dx, dy) pixels."""
    matrix = np.float32([[1, 0, shift[0]], [0, 1, shift[1]]])
    size = (image.shape[1], image.shape[0])
    moved = cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    owners = cv2.warpAffine(owner.astype(np.float32), matrix, size, flags=cv2.INTER_NEAREST,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=-1)
    return moved, owners.astype(np.int32)


def _seen_boxes(owner):
    seen = {}
    for index in np.unique(owner[owner >= 0]):
        rows, cols = np.nonzero(owner == index)
        seen[int(index)] = (int(cols.min()), int(rows.min()), int(cols.max()), int(rows.max()), len(rows))
    return seen
