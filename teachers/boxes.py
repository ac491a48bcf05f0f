"""Object boxes of one video: the (N, 6) float32 layout (frame, x1, y1, x2, y2, score).

Coordinates are inclusive pixel coordinates, so a box covers (x2 - x1 + 1) x (y2 - y1 + 1) pixels.
"""

import numpy as np

BOX_COLUMNS = ("frame", "x1", "y1", "x2", "y2", "score")


def check_boxes(boxes):
    """Return `boxes` as an (N, 6) float32 array, or raise ValueError saying what is wrong.

    Example:
        >>> check_boxes([[0, 1, 2, 3, 4, 0.5]]).dtype
        dtype('float32')
    """
    boxes = np.asarray(boxes, dtype=np.float32)
    if boxes.size == 0:
        return np.zeros((0, 6), np.float32)
    if boxes.ndim != 2 or boxes.shape[1] != 6:
        raise ValueError(
            f"boxes have shape {boxes.shape}: expected (N, 6) columns {', '.join(BOX_COLUMNS)}"
        )
    if not np.isfinite(boxes).all():
        raise ValueError("boxes contain NaN or infinite values: pass finite coordinates")
    if (boxes[:, 3] < boxes[:, 1]).any() or (boxes[:, 4] < boxes[:, 2]).any():
        raise ValueError("some boxes have x2 < x1 or y2 < y1: pass (x1, y1, x2, y2) with x1 <= x2")
    return boxes


def boxes_from_detections(detections):
    """Stack a detector's per-frame (N, 5) arrays into one (N, 6) array with the frame index first.

    Example:
        >>> boxes_from_detections([np.zeros((0, 5)), np.array([[1, 2, 3, 4, 0.9]])])[:, 0]
        array([1.], dtype=float32)
    """
    rows = [
        np.column_stack([np.full(len(d), t, np.float32), np.asarray(d, np.float32).reshape(-1, 5)])
        for t, d in enumerate(detections)
    ]
    return np.concatenate(rows).astype(np.float32) if rows else np.zeros((0, 6), np.float32)


def indices_by_frame(boxes, num_frames):
    """List of length `num_frames`: for each frame, the row indices of its boxes.

    Example:
        >>> [i.tolist() for i in indices_by_frame(np.array([[1, 0, 0, 1, 1, 1]] * 2), 3)]
        [[], [0, 1], []]
    """
    frames = boxes[:, 0].astype(np.int64)
    if len(frames) and (frames.min() < 0 or frames.max() >= num_frames):
        raise ValueError(
            f"box frame indices run from {frames.min()} to {frames.max()} "
            f"but the video has {num_frames} frames: pass the boxes of this video"
        )
    order = np.argsort(frames, kind="stable")
    bounds = np.searchsorted(frames[order], np.arange(num_frames + 1))
    return [order[bounds[t]:bounds[t + 1]] for t in range(num_frames)]


def clip_box(box, frame_size):
    """Integer inclusive (x1, y1, x2, y2) of `box` clipped to a frame of `frame_size` (H, W).

    Example:
        >>> clip_box((-3.2, 1.6, 9.0, 4.0), (5, 5))
        (0, 2, 4, 4)
    """
    height, width = frame_size
    x1, y1, x2, y2 = (int(round(float(v))) for v in box[:4])
    x1, x2 = min(max(x1, 0), width - 1), min(max(x2, 0), width - 1)
    y1, y2 = min(max(y1, 0), height - 1), min(max(y2, 0), height - 1)
    return x1, y1, max(x1, x2), max(y1, y2)


def pairwise_iou(a, b):
    """(len(a), len(b)) IoU of inclusive-coordinate boxes given as (..., 4) x1, y1, x2, y2 arrays.

    Example:
        >>> float(pairwise_iou(np.array([[0, 0, 1, 1]]), np.array([[1, 0, 2, 1]]))[0, 0])
        0.3333333333333333
    """
    a = np.asarray(a, np.float64)[:, None, :4]
    b = np.asarray(b, np.float64)[None, :, :4]
    width = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]) + 1
    height = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]) + 1
    inter = np.clip(width, 0, None) * np.clip(height, 0, None)
    area_a = (a[..., 2] - a[..., 0] + 1) * (a[..., 3] - a[..., 1] + 1)
    area_b = (b[..., 2] - b[..., 0] + 1) * (b[..., 3] - b[..., 1] + 1)
    return inter / (area_a + area_b - inter)
