"""Object detectors behind one interface, built by name.

Example:
    >>> import numpy as np
    >>> from teachers.detection import build_detector, available_detectors
    >>> available_detectors()
    ['boxes', 'detectron2', 'foreground', 'torchvision']
    >>> build_detector("foreground").detect(np.zeros((2, 32, 32), np.uint8))[0].shape
    (0, 5)
"""

from teachers.detection import boxes_backend, detectron2_backend, foreground, torchvision_backend  # registers
from teachers.detection.base import (
    Detector,
    VideoIdentity,
    available_detectors,
    build_detector,
    detections_from_continuous,
    empty_detections,
    register_detector,
)
from teachers.detection.foreground import ForegroundDetector, merge_fragments

__all__ = [
    "Detector",
    "ForegroundDetector",
    "VideoIdentity",
    "available_detectors",
    "build_detector",
    "detections_from_continuous",
    "empty_detections",
    "merge_fragments",
    "register_detector",
]
