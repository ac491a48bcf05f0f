"""Reading frame sequences: validation, a subsampled background, sliding windows of frames.

A frame sequence is any Sequence of (H, W) uint8 grayscale frames: a numpy array (T, H, W) or a
lazy video whose frames are read on access. Nothing here holds more than a few frames at once,
except the background's subsample.
"""

from collections import deque

import cv2
import numpy as np


def check_frame(frame, index):
    """Return `frame` as a (H, W) uint8 array, or raise ValueError naming the frame.

    Example:
        >>> check_frame(np.zeros((4, 6), np.uint8), 0).shape
        (4, 6)
    """
    frame = np.asarray(frame)
    if frame.ndim != 2 or frame.dtype != np.uint8:
        raise ValueError(
            f"frame {index} has shape {frame.shape} and dtype {frame.dtype}: "
            "teachers need (H, W) uint8 grayscale frames"
        )
    return frame


def median_background(frames, max_samples=60):
    """Per-pixel temporal median over at most `max_samples` evenly spaced frames, as uint8.

    Only the sampled frames are read, so a long lazy video is never loaded whole.

    Example:
        >>> frames = np.full((10, 4, 4), 7, np.uint8); frames[3] = 200
        >>> int(median_background(frames)[0, 0])
        7
    """
    if len(frames) == 0:
        raise ValueError("the video has no frames: a background needs at least one frame")
    indices = np.unique(np.linspace(0, len(frames) - 1, min(max_samples, len(frames))).round())
    sample = np.stack([check_frame(frames[int(i)], int(i)) for i in indices])
    return np.median(sample, axis=0).astype(np.uint8)


class ForegroundMask:
    """Pixels that differ from the video's median background by more than ``threshold`` grey levels,
    both lightly blurred first (sensor noise and JPEG blocks stay below the threshold).

    The complement is the static scene: the teachers take the camera's own motion (a shake) to be
    the median optical flow there.

    Example:
        >>> frames = np.full((5, 8, 8), 100, np.uint8); frames[2, 2:5, 2:5] = 200
        >>> mask = ForegroundMask(frames)(frames[2])
        >>> bool(mask[3, 3]), bool(mask[7, 7]), bool(ForegroundMask(frames)(frames[0]).any())
        (True, False, False)
    """

    def __init__(self, frames, threshold=20):
        self.background = _blur(median_background(frames))
        self.threshold = float(threshold)

    def __call__(self, frame):
        """(H, W) bool: True on the foreground of ``frame``."""
        return cv2.absdiff(_blur(frame), self.background) > self.threshold


def _blur(frame):
    return cv2.GaussianBlur(frame, (3, 3), 0)


def sliding_windows(frames, radius):
    """Yield (t, window) for every frame t, window[j] = frame t - radius + j clamped to the video.

    Frames are read once, sequentially (iter(frames)), keeping 2 * radius + 1 of them.

    Example:
        >>> frames = np.arange(3, dtype=np.uint8)[:, None, None] * np.ones((3, 2, 2), np.uint8)
        >>> [(t, [int(f[0, 0]) for f in w]) for t, w in sliding_windows(frames, 1)]
        [(0, [0, 0, 1]), (1, [0, 1, 2]), (2, [1, 2, 2])]
    """
    count = len(frames)
    if count == 0:
        return
    source = iter(frames)
    loaded = deque()  # frames next_index - len(loaded) .. next_index - 1
    next_index = 0

    def load_until(index):
        nonlocal next_index
        while next_index <= min(index, count - 1):
            loaded.append(check_frame(next(source), next_index))
            next_index += 1
            if len(loaded) > 2 * radius + 1:
                loaded.popleft()

    for t in range(count):
        load_until(t + radius)
        first = next_index - len(loaded)
        window = [loaded[min(max(t + d, 0), count - 1) - first] for d in range(-radius, radius + 1)]
        yield t, window
