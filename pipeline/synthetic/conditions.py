"""Harder camera conditions for the synthetic scene: camera shake, flicker, sensor and compression
noise, people close to the camera, crowds.

The defaults are the plain scene. Shake and flicker are drawn from their own random stream per
video, so switching them on leaves who walks where unchanged; person scale and crowding change
the plan itself.
"""
from dataclasses import asdict, dataclass

import numpy as np

DEFAULT_SENSOR_NOISE = 2.0  # grey levels, per pixel and frame
DEFAULT_JPEG_QUALITY = 95


@dataclass(frozen=True)
class SceneConditions:
    """How the camera sees the scene.

    - ``jitter``: camera shake, the largest translation (pixels) of a frame from the camera's
      rest position; each frame draws its own, uniformly in [-jitter, jitter] on both axes.
    - ``flicker``: relative amplitude of global brightness changes: each video gets its own gain
      (up to ``flicker`` away from 1) and offset, and each frame a slow swing (half of it) plus a
      small frame-to-frame wobble on top of that.
    - ``noise``: standard deviation of the per-pixel sensor noise, in grey levels.
    - ``jpeg_quality``: quality of the written JPEG frames (lower: stronger compression artefacts).
    - ``person_scale``: people (and their image speed) this many times larger, as if the camera
      stood closer to the walkway.
    - ``crowding``: this many times more people in view at once (and arriving) than by default.

    Example:
        >>> SceneConditions().is_default, SceneConditions(jitter=2.0).is_default
        (True, False)
    """

    jitter: float = 0.0
    flicker: float = 0.0
    noise: float = DEFAULT_SENSOR_NOISE
    jpeg_quality: int = DEFAULT_JPEG_QUALITY
    person_scale: float = 1.0
    crowding: float = 1.0

    @property
    def is_default(self):
        """Whether these are the plain scene's conditions."""
        return self == SceneConditions()

    def as_dict(self):
        """The conditions as a JSON-ready dict.

        Example:
            >>> SceneConditions(flicker=0.2).as_dict()["flicker"]
            0.2
        """
        return asdict(self)

    def problems(self):
        """What is wrong with these conditions, as '--option value: why' strings (empty if nothing).

        Example:
            >>> SceneConditions(jpeg_quality=0).problems()
            ['--jpeg-quality 0: give a JPEG quality from 1 to 100, e.g. 40']
        """
        found = []
        checks = [
            ("jitter", 0 <= self.jitter <= 20, "give a shake of 0 to 20 pixels, e.g. 2"),
            ("flicker", 0 <= self.flicker < 1, "give a relative amplitude from 0 to below 1, e.g. 0.3"),
            ("noise", 0 <= self.noise <= 50, "give a noise level of 0 to 50 grey levels, e.g. 6"),
            ("jpeg-quality", 1 <= self.jpeg_quality <= 100, "give a JPEG quality from 1 to 100, e.g. 40"),
            ("person-scale", 0.5 <= self.person_scale <= 3, "give a scale from 0.5 to 3, e.g. 2"),
            ("crowding", 0.5 <= self.crowding <= 4, "give a factor from 0.5 to 4, e.g. 2"),
        ]
        for option, fine, advice in checks:
            if not fine:
                found.append(f"--{option} {getattr(self, option.replace('-', '_'))}: {advice}")
        return found


def camera_shifts(rng, frames, jitter):
    """(frames, 2) float translations (dx, dy) of each frame, uniform in [-jitter, jitter].

    Example:
        >>> shifts = camera_shifts(np.random.default_rng(0), 50, 2.0)
        >>> shifts.shape, bool(np.abs(shifts).max() <= 2.0), bool(np.abs(shifts).max() > 1.0)
        ((50, 2), True, True)
    """
    if jitter <= 0:
        return np.zeros((frames, 2))
    return rng.uniform(-jitter, jitter, size=(frames, 2))


def brightness_changes(rng, frames, flicker):
    """(gains, offsets): (frames,) arrays mapping a frame's grey levels g to g * gain + offset.

    The video's own gain lies within ``flicker`` of 1 (log-uniform) and its offset within
    +-40 * ``flicker`` grey levels; each frame adds a slow sine swing of half the amplitude
    (period 20 to 60 frames) and a frame-to-frame wobble of a tenth of it.

    Example:
        >>> gains, offsets = brightness_changes(np.random.default_rng(0), 100, 0.3)
        >>> bool(gains.min() > 0.5 and gains.max() < 1.8), bool(np.ptp(gains) > 0.1)
        (True, True)
        >>> brightness_changes(np.random.default_rng(0), 3, 0.0)[0].tolist()
        [1.0, 1.0, 1.0]
    """
    if flicker <= 0:
        return np.ones(frames), np.zeros(frames)
    video_gain = np.exp(rng.uniform(np.log(1 - flicker), np.log(1 + flicker)))
    offset = rng.uniform(-40, 40) * flicker
    period, phase = rng.uniform(20, 60), rng.uniform(0, 2 * np.pi)
    t = np.arange(frames)
    swing = 0.5 * flicker * np.sin(2 * np.pi * t / period + phase)
    wobble = rng.normal(0, 0.1 * flicker, frames)
    return video_gain * (1 + swing + wobble), np.full(frames, offset)
