"""Painting per-object scores into low-resolution anomaly maps, the student's targets.

Choice: the map is 0 where there is no object, and scores are clipped at 0 before painting. A
calibrated score of 0 is the typical (median) normal object, so empty ground, a typical normal
object and a more-normal-than-typical object all read 0, and only objects more unusual than the
median normal object light up. Maps are therefore non-negative, and their max-pools (the
student's coarser targets) are the score of the most anomalous object, or 0.
"""

import math

import numpy as np

from teachers.boxes import check_boxes, clip_box


def map_size(frame_size, cell=8):
    """(h, w) = (ceil(H / cell), ceil(W / cell)) of the grid for frames of `frame_size` (H, W).

    Example:
        >>> map_size((240, 360))
        (30, 45)
        >>> map_size((241, 360))
        (31, 45)
    """
    height, width = frame_size
    return math.ceil(height / cell), math.ceil(width / cell)


def paint_maps(boxes, scores, num_frames, frame_size, cell=8):
    """(T, h, w) float32 maps: each box's score (clipped at 0) in every grid cell the box touches,
    the max where boxes overlap, 0 where there is no object.

    `boxes` is the (N, 6) array (frame, x1, y1, x2, y2, score) with inclusive pixel coordinates,
    `scores` the (N,) calibrated teacher scores; a box touching pixel column x covers cell x // cell.

    Example:
        >>> boxes = np.array([[0, 0, 0, 8, 7, 1], [0, 4, 0, 4, 0, 1]], np.float32)
        >>> paint_maps(boxes, [0.5, 2.0], 1, (16, 24))[0].tolist()
        [[2.0, 0.5, 0.0], [0.0, 0.0, 0.0]]
    """
    boxes = check_boxes(boxes)
    scores = np.asarray(scores, np.float32).reshape(-1)
    if len(scores) != len(boxes):
        raise ValueError(f"{len(boxes)} boxes but {len(scores)} scores: pass one score per box")
    if cell < 1:
        raise ValueError(f"cell size {cell} must be a positive number of pixels")
    height, width = map_size(frame_size, cell)
    maps = np.zeros((num_frames, height, width), np.float32)
    frames = boxes[:, 0].astype(np.int64)
    if len(frames) and (frames.min() < 0 or frames.max() >= num_frames):
        raise ValueError(
            f"box frame indices run from {frames.min()} to {frames.max()} "
            f"but the video has {num_frames} frames: pass the boxes of this video"
        )
    for frame, box, score in zip(frames, boxes, np.maximum(scores, 0)):
        x1, y1, x2, y2 = clip_box(box[1:5], frame_size)
        cells = maps[frame, y1 // cell:y2 // cell + 1, x1 // cell:x2 // cell + 1]
        np.maximum(cells, score, out=cells)
    return maps
