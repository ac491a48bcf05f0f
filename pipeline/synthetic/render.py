"""Turn a planned video into frames as a camera would see them, with the anomalies' pixel masks."""
import cv2
import numpy as np

from pipeline.synthetic.actors import draw_actor

SENSOR_NOISE = 2.0  # grey levels, per pixel and frame
FLICKER = 0.012  # relative amplitude of the slow global illumination change


def render_video(geometry, background, actors, frames, rng):
    """Yield (frame, mask, drawn) for each frame of a planned video.

    ``frame`` is the (H, W) uint8 camera image; ``mask`` the (H, W) uint8 pixel mask, 255 where a
    pixel shows an actor in one of its anomalous frames, else 0; ``drawn`` a dict of actor index ->
    number of mask pixels that actor contributed. Far actors are drawn first, so nearer ones cover
    them, and a mask holds only the visible part of an anomaly.

    Example:
        >>> import numpy as np
        >>> from pipeline.synthetic.geometry import WalkwayGeometry
        >>> from pipeline.synthetic.background import render_background
        >>> from pipeline.synthetic.choreography import anomaly_actor
        >>> g, rng = WalkwayGeometry(160, 240), np.random.default_rng(0)
        >>> actors = [anomaly_actor(g, rng, 20, "runner", "enter", 10)]
        >>> frames = list(render_video(g, render_background(g, rng), actors, 20, rng))
        >>> frames[-1][0].dtype, bool(frames[-1][1].any()), bool(frames[0][1].any())
        (dtype('uint8'), True, False)
    """
    shape = (geometry.height, geometry.width)
    level = float(rng.uniform(-5, 5))
    period, offset = rng.uniform(25, 60), rng.uniform(0, 2 * np.pi)
    visible = np.array([actor.visible(shape) for actor in actors]).reshape(len(actors), frames)
    for t in range(frames):
        image = background.copy()
        owner = np.full(shape, -1, np.int32)
        for index in sorted(np.flatnonzero(visible[:, t]), key=lambda i: actors[i].y[t]):
            actor = actors[index]
            draw_actor(image, owner, index, actor.body_type, actor.look, actor.pose(t))
        image = cv2.GaussianBlur(image, (3, 3), 0.6)
        gain = 1.0 + FLICKER * np.sin(2 * np.pi * t / period + offset) + rng.normal(0, 0.003)
        image = image * gain + level + rng.normal(0, SENSOR_NOISE, shape).astype(np.float32)
        frame = np.clip(np.rint(image), 0, 255).astype(np.uint8)

        anomalous = [i for i, a in enumerate(actors) if a.anomalous[t]]
        in_mask = np.isin(owner, anomalous)
        drawn = {i: int((owner[in_mask] == i).sum()) for i in anomalous}
        yield frame, in_mask.astype(np.uint8) * 255, drawn
