"""Temporal smoothing of object scores along short tracks, for any teacher."""

import numpy as np

from teachers.boxes import check_boxes, indices_by_frame, pairwise_iou


def link_and_smooth(boxes, scores, radius=4, min_iou=0.2):
    """Median of each box's score and the scores of its best-overlapping box in each frame within
    `radius` frames (when that overlap is at least `min_iou`).

    One detection with an odd score (a person half-hidden for a frame) is outvoted by the same
    object in nearby frames, while an object that is anomalous for several frames keeps its score.

    Example:
        >>> boxes = np.array([[t, 10, 10, 20, 30, 1] for t in range(5)], np.float32)
        >>> link_and_smooth(boxes, [0, 0, 9, 0, 0], radius=2).tolist()
        [0.0, 0.0, 0.0, 0.0, 0.0]
    """
    boxes = check_boxes(boxes)
    scores = np.asarray(scores, np.float32).reshape(-1)
    if len(scores) != len(boxes):
        raise ValueError(f"{len(boxes)} boxes but {len(scores)} scores: pass one score per box")
    if len(boxes) == 0:
        return scores.copy()
    num_frames = int(boxes[:, 0].max()) + 1
    rows_of_frame = indices_by_frame(boxes, num_frames)
    linked = [[scores[i]] for i in range(len(boxes))]
    for t, rows in enumerate(rows_of_frame):
        if len(rows) == 0:
            continue
        for other in range(max(t - radius, 0), min(t + radius, num_frames - 1) + 1):
            candidates = rows_of_frame[other]
            if other == t or len(candidates) == 0:
                continue
            iou = pairwise_iou(boxes[rows, 1:5], boxes[candidates, 1:5])
            best = iou.argmax(axis=1)
            for row, match, overlap in zip(rows, best, iou[np.arange(len(rows)), best]):
                if overlap >= min_iou:
                    linked[row].append(scores[candidates[match]])
    return np.array([np.median(values) for values in linked], np.float32)
