"""Object detectors and object-level teachers: frames and boxes in, calibrated scores and maps out.

Knows nothing of files, shards or the CLI, except the detector that reads boxes from CSV files.

Example:
    >>> from teachers import build_teacher, available_teachers
    >>> available_teachers()
    ['autoencoder', 'density', 'jigsaw']
"""

from teachers import autoencoder, density, jigsaw  # registers the teachers
from teachers.base import Teacher, available_teachers, build_teacher, register_teacher
from teachers.boxes import boxes_from_detections
from teachers.calibration import RobustCalibration
from teachers.detection import Detector, VideoIdentity, available_detectors, build_detector, register_detector
from teachers.maps import paint_maps
from teachers.temporal import link_and_smooth

__all__ = [
    "Detector",
    "RobustCalibration",
    "Teacher",
    "VideoIdentity",
    "available_detectors",
    "available_teachers",
    "boxes_from_detections",
    "build_detector",
    "build_teacher",
    "link_and_smooth",
    "paint_maps",
    "register_detector",
    "register_teacher",
]
