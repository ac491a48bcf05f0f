"""Region rows (predicted and ground truth) and box overlap in inclusive pixel coordinates."""
from typing import NamedTuple

import numpy as np


class Region(NamedTuple):
    """One predicted anomalous region: a box in one frame with its anomaly score.

    Boxes are inclusive pixel coordinates: x1..x2 and y1..y2 both belong to the box.

    Example:
        >>> Region("01", 17, 10, 20, 49, 89, 0.93).score
        0.93
    """

    video: str
    frame: int
    x1: float
    y1: float
    x2: float
    y2: float
    score: float


class TrackRegion(NamedTuple):
    """One ground-truth anomalous region: a box in one frame, part of a track (one anomaly over time).

    Example:
        >>> TrackRegion("01", 0, 17, 10, 20, 49, 89).track
        0
    """

    video: str
    track: int
    frame: int
    x1: float
    y1: float
    x2: float
    y2: float


def box_ious(box, boxes):
    """IoU of one box with each of N boxes, areas counted inclusively: (x2-x1+1)(y2-y1+1).

    Example:
        >>> box_ious((0, 0, 9, 0), np.array([[0, 0, 9, 9]])).tolist()   # 10 px inside 100 px
        [0.1]
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    x1, y1, x2, y2 = (float(v) for v in box)
    inter_w = np.clip(np.minimum(x2, boxes[:, 2]) - np.maximum(x1, boxes[:, 0]) + 1, 0, None)
    inter_h = np.clip(np.minimum(y2, boxes[:, 3]) - np.maximum(y1, boxes[:, 1]) + 1, 0, None)
    inter = inter_w * inter_h
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    areas = (boxes[:, 2] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 1] + 1)
    return inter / (area + areas - inter)
