"""The detector interface and its registry."""

from abc import ABC, abstractmethod
from typing import NamedTuple

import numpy as np

from teachers.registry import Registry

DETECTORS = Registry("detector")


class VideoIdentity(NamedTuple):
    """Which recorded frames a detector is given: the split ("train" or "test") and id of the
    dataset video they come from, and for each frame its index in that video (a clip made from a
    video by skipping or reversing frames names the source frames it shows).

    Example:
        >>> VideoIdentity("train", "01", np.array([4, 2, 0])).frames.tolist()
        [4, 2, 0]
    """

    split: str
    video_id: str
    frames: np.ndarray


class Detector(ABC):
    """Finds objects in every frame of one video.

    Subclasses implement `detect`; they are built by name with `build_detector`. Detectors that
    look at pixels ignore `video`; one that reads detections made elsewhere uses it to find them,
    and can check its inputs against the dataset once (`check_videos`) and name them for the
    configuration hash (`input_fingerprint`).

    Example:
        >>> class Nothing(Detector):
        ...     def detect(self, frames, video=None):
        ...         return [empty_detections() for _ in frames]
        >>> Nothing().detect(np.zeros((2, 8, 8), np.uint8))[1].shape
        (0, 5)
    """

    name = "detector"

    @abstractmethod
    def detect(self, frames, video=None):
        """One (N, 5) float32 array (x1, y1, x2, y2, score) per frame, inclusive pixel coordinates.

        `video` is a `VideoIdentity` for the frames, or None where they come from no dataset.

        Example:
            >>> build_detector("foreground").detect(np.zeros((3, 16, 16), np.uint8))[0].shape
            (0, 5)
        """

    def check_videos(self, videos):
        """ValueError when this detector cannot serve these videos: {split: {video id: (frames, (H, W))}}.

        Detectors that look at pixels serve any video; the default checks nothing.

        Example:
            >>> build_detector("foreground").check_videos({"test": {"01": (180, (240, 360))}})
        """

    def input_fingerprint(self):
        """A text that changes when the files this detector reads change (None: it reads no such files).

        Example:
            >>> build_detector("foreground").input_fingerprint() is None
            True
        """
        return None


def empty_detections():
    """A (0, 5) float32 array: a frame with no objects.

    Example:
        >>> empty_detections().shape
        (0, 5)
    """
    return np.zeros((0, 5), np.float32)


def register_detector(name):
    """Class decorator registering a `Detector` subclass under `name`.

    Example:
        >>> @register_detector("doc-example-none")
        ... class NoObjects(Detector):
        ...     def detect(self, frames, video=None):
        ...         return [empty_detections() for _ in frames]
        >>> "doc-example-none" in available_detectors()
        True
    """
    return DETECTORS.register(name)


def build_detector(name="foreground", **options):
    """Build the detector registered as `name` with its options.

    ValueError for an unknown name (listing the available ones), an unknown option, or a backend
    whose package is not installed.

    Example:
        >>> build_detector("foreground", threshold=30).threshold
        30
    """
    return DETECTORS.build(name, **options)


def available_detectors():
    """Sorted names of the registered detectors.

    Example:
        >>> "foreground" in available_detectors()
        True
    """
    return DETECTORS.names()


def detections_from_continuous(xyxy, scores, frame_size, score_threshold=0.0):
    """(N, 5) inclusive-pixel detections from continuous corner boxes (a box over pixels 0..9 is 0..10).

    Boxes below `score_threshold` are dropped; coordinates are clipped to the frame (H, W).

    Example:
        >>> detections_from_continuous(np.array([[0.0, 0.0, 10.0, 5.0]]), np.array([0.9]), (8, 8)).tolist()
        [[0.0, 0.0, 7.0, 4.0, 0.8999999761581421]]
    """
    xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
    scores = np.asarray(scores, np.float64).reshape(-1)
    keep = scores >= score_threshold
    xyxy, scores = xyxy[keep], scores[keep]
    height, width = frame_size
    x1 = np.clip(np.floor(xyxy[:, 0]), 0, width - 1)
    y1 = np.clip(np.floor(xyxy[:, 1]), 0, height - 1)
    x2 = np.clip(np.ceil(xyxy[:, 2]) - 1, x1, width - 1)
    y2 = np.clip(np.ceil(xyxy[:, 3]) - 1, y1, height - 1)
    return np.column_stack([x1, y1, x2, y2, scores]).astype(np.float32)
