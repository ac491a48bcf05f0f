"""Overlay videos: a student's anomaly map, upsampled and colour-mapped, blended on the frames it scored.

The colour scale is fixed in teacher units (calibrated scores: 0 = typical normal object, 1 = the
95th percentile of normal training objects), so colours mean the same in every frame and video:
cells at 0 or below leave the frame untouched, cells at :data:`FULL_SCALE` or above get the
strongest colour. Codecs: ``.mp4`` files are written with MPEG-4 part 2 (``mp4v``) and ``.avi``
files with Motion JPEG (``MJPG``); both are in every OpenCV build with FFmpeg, unlike H.264.
"""
import os
from pathlib import Path

import cv2
import numpy as np

from pipeline.errors import FastaedError

CODECS = {".mp4": "mp4v", ".avi": "MJPG"}
FULL_SCALE = 4.0
"""Map value (teacher units) at which the overlay colour saturates."""
STRENGTH = 0.6
"""Weight of the colour over the frame where the map reaches FULL_SCALE."""
DEFAULT_FPS = 25.0


def blend_map(frame, anomaly_map, full_scale=FULL_SCALE):
    """A (H, W, 3) uint8 BGR image: the grey ``frame`` with ``anomaly_map`` (any (h, w)) colour-mapped on it.

    The map is resized bilinearly to the frame, scaled to [0, 1] by ``full_scale`` and coloured
    with OpenCV's JET colormap; each pixel's colour weight is STRENGTH times its scaled value.

    Example:
        >>> image = blend_map(np.zeros((48, 64), np.uint8), np.full((16, 16), 10.0))
        >>> image.shape, bool(image.any())
        ((48, 64, 3), True)
    """
    frame = np.asarray(frame)
    height, width = frame.shape[:2]
    upsampled = cv2.resize(np.asarray(anomaly_map, dtype=np.float32), (width, height),
                           interpolation=cv2.INTER_LINEAR)
    level = np.clip(upsampled / full_scale, 0.0, 1.0)
    colour = cv2.applyColorMap(np.round(level * 255).astype(np.uint8), cv2.COLORMAP_JET).astype(np.float32)
    grey = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if frame.ndim == 2 else frame
    weight = (STRENGTH * level)[..., None]
    return np.round(grey.astype(np.float32) * (1 - weight) + colour * weight).astype(np.uint8)


def draw_score(image, index, score):
    """Print the frame number and its score in the top-left corner of a BGR image, in place.

    Example:
        >>> draw_score(np.zeros((48, 64, 3), np.uint8), 7, 1.25).any()
        np.True_
    """
    scale = max(0.35, image.shape[0] / 480)
    text = f"frame {index}  score {score:.3f}"
    origin = (4, int(4 + 18 * scale))
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return image


ALARM_COLOUR = (0, 0, 255)
"""BGR red: the border drawn while an alarm event is open."""


def draw_alarm_border(image):
    """Draw a red border (1/40 of the frame's height, at least 2 pixels) round a BGR image, in place.

    Example:
        >>> image = draw_alarm_border(np.zeros((40, 64, 3), np.uint8))
        >>> image[0, 0].tolist(), image[20, 32].tolist()
        ([0, 0, 255], [0, 0, 0])
    """
    width = max(2, image.shape[0] // 40)
    cv2.rectangle(image, (0, 0), (image.shape[1] - 1, image.shape[0] - 1), ALARM_COLOUR, 2 * width - 1)
    return image


def check_overlay_path(path):
    """Raise FastaedError unless ``path`` ends in an extension with a codec (.mp4 or .avi).

    Example:
        >>> check_overlay_path("overlay.mp4")
    """
    suffix = Path(path).suffix.lower()
    if suffix not in CODECS:
        raise FastaedError(f"overlay video {path}: name it .mp4 (MPEG-4) or .avi (Motion JPEG)")
    if Path(path).is_dir():
        raise FastaedError(f"overlay video {path} is a folder: give a file name ending in .mp4 or .avi")


class OverlayWriter:
    """Writes an overlay video frame by frame; use as a context manager.

    With ``atomic`` (the default) frames go to a temporary file in the same folder, renamed to
    ``path`` when the writer closes without error and deleted otherwise; without it they go
    straight to ``path`` (for a live camera, so that an interrupted stream still leaves a
    playable file). The video's size is that of the first frame.

    Example:
        >>> with OverlayWriter("overlay.mp4", fps=10) as writer:              # doctest: +SKIP
        ...     writer.write(frame, anomaly_map, index=0, score=0.42)
    """

    def __init__(self, path, fps=DEFAULT_FPS, atomic=True):
        check_overlay_path(path)
        self.path = Path(path)
        self.fps = float(fps) if fps and fps > 0 else DEFAULT_FPS
        self.atomic = atomic
        self.frames_written = 0
        self._writer = None
        self._target = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # the temporary name keeps the extension, from which FFmpeg picks the container
        self._target = (self.path.with_name(f".{self.path.stem}.{os.getpid()}.partial{self.path.suffix}")
                        if self.atomic else self.path)
        return self

    def write(self, frame, anomaly_map, index, score, alarm=False):
        """Blend ``anomaly_map`` on ``frame``, print ``index`` and ``score``, append it to the video.

        ``alarm`` draws a red border round the frame (an alarm event is open).
        """
        image = draw_score(blend_map(frame, anomaly_map), index, score)
        if alarm:
            draw_alarm_border(image)
        if self._writer is None:
            height, width = image.shape[:2]
            self._writer = cv2.VideoWriter(str(self._target), cv2.VideoWriter_fourcc(*CODECS[self.path.suffix.lower()]),
                                           self.fps, (width, height))
            if not self._writer.isOpened():
                raise FastaedError(f"OpenCV cannot write the overlay video {self.path}: check the folder is "
                                   "writable, or try the other container (.avi or .mp4)")
        self._writer.write(image)
        self.frames_written += 1

    def __exit__(self, kind, error, traceback):
        if self._writer is not None:
            self._writer.release()
        if not self.atomic:
            return
        if kind is None and self.frames_written:
            os.replace(self._target, self.path)
        else:
            self._target.unlink(missing_ok=True)
