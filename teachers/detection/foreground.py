"""The default detector: moving objects in front of a fixed camera, no weights needed.

Per video a background (temporal median over a subsample of frames); per frame the pixels that
differ from it or that changed both since frame t - gap and until frame t + gap (three-frame
differencing, for objects that stood still long enough to enter the background); then opening
(drops speckle), a small closing, connected components, merging of vertically stacked fragments
of one body, and a minimum box area.
"""

import cv2
import numpy as np
from scipy.sparse.csgraph import connected_components

from teachers.detection.base import Detector, empty_detections, register_detector
from teachers.frames import median_background, sliding_windows


@register_detector("foreground")
class ForegroundDetector(Detector):
    """Background subtraction + frame differencing + morphology + connected components.

    Scores are the fraction of foreground pixels inside the box. The defaults were chosen on the
    UCSD Ped2 training videos (360x240 pixels, people 20 to 45 pixels tall); `min_area`, the
    morphology sizes and `merge_gap` are in pixels and scale with the frame size.

    Example:
        >>> frames = np.full((5, 40, 40), 100, np.uint8)
        >>> for t in range(5):
        ...     frames[t, 10:20, 5 + 3 * t:13 + 3 * t] = 220
        >>> detections = ForegroundDetector(min_area=20).detect(frames)
        >>> detections[2][:, :4].tolist()
        [[10.0, 9.0, 19.0, 20.0]]
    """

    def __init__(
        self,
        threshold=20,
        diff_threshold=15,
        gap=2,
        blur=3,
        open_size=3,
        close_size=3,
        merge_gap=2,
        merge_overlap=0.5,
        min_component_area=10,
        min_area=60,
        background_frames=60,
    ):
        if blur % 2 != 1:
            raise ValueError(f"blur must be an odd kernel size, got {blur}: pass e.g. 5")
        self.threshold = threshold
        self.diff_threshold = diff_threshold
        self.gap = gap
        self.blur = blur
        self.open_size = open_size
        self.close_size = close_size
        self.merge_gap = merge_gap
        self.merge_overlap = merge_overlap
        self.min_component_area = min_component_area
        self.min_area = min_area
        self.background_frames = background_frames

    def detect(self, frames, video=None):
        """One (N, 5) float32 array (x1, y1, x2, y2, score) per frame.

        Example:
            >>> ForegroundDetector().detect(np.zeros((2, 30, 30), np.uint8))[0].shape
            (0, 5)
        """
        if len(frames) == 0:
            return []
        background = self._smooth(median_background(frames, self.background_frames))
        detections = []
        for _, window in sliding_windows(frames, self.gap):
            window = [self._smooth(frame) for frame in (window[0], window[self.gap], window[-1])]
            detections.append(self._detect_frame(window, background))
        return detections

    def foreground_mask(self, window, background):
        """Boolean foreground of the middle frame of (previous, current, next) smoothed frames.

        Example:
            >>> frames = [np.zeros((9, 9), np.uint8)] * 3
            >>> bool(ForegroundDetector().foreground_mask(frames, frames[0] + 90).all())
            True
        """
        previous, current, following = window
        mask = cv2.absdiff(current, background) > self.threshold
        if self.diff_threshold is not None:
            moved_in = cv2.absdiff(current, previous) > self.diff_threshold
            moves_on = cv2.absdiff(current, following) > self.diff_threshold
            mask |= moved_in & moves_on
        mask = mask.astype(np.uint8)
        if self.open_size > 1:
            mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, _disk(self.open_size))
        if self.close_size > 1:
            mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, _disk(self.close_size))
        return mask.astype(bool)

    def _smooth(self, frame):
        return cv2.GaussianBlur(frame, (self.blur, self.blur), 0) if self.blur > 1 else frame

    def _detect_frame(self, window, background):
        mask = self.foreground_mask(window, background).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        stats = stats[1:]
        stats = stats[stats[:, cv2.CC_STAT_AREA] >= self.min_component_area]
        if len(stats) == 0:
            return empty_detections()
        x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
        boxes = np.column_stack(
            [x, y, x + stats[:, cv2.CC_STAT_WIDTH] - 1, y + stats[:, cv2.CC_STAT_HEIGHT] - 1]
        )
        boxes = merge_fragments(boxes, self.merge_gap, self.merge_overlap)
        areas = (boxes[:, 2] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 1] + 1)
        boxes = boxes[areas >= self.min_area]
        if len(boxes) == 0:
            return empty_detections()
        integral = cv2.integral(mask)
        x1, y1, x2, y2 = boxes.T
        inside = integral[y2 + 1, x2 + 1] - integral[y1, x2 + 1] - integral[y2 + 1, x1] + integral[y1, x1]
        scores = inside / ((x2 - x1 + 1) * (y2 - y1 + 1))
        return np.column_stack([boxes, scores]).astype(np.float32)


def merge_fragments(boxes, gap, min_overlap=0.5):
    """Merge boxes stacked vertically into their union box, repeating until none are left.

    Two integer inclusive (x1, y1, x2, y2) boxes are fragments of one object when their column
    ranges overlap by at least `min_overlap` of the narrower box and at most `gap` rows separate
    them (a head, a torso and legs split by a uniform shirt). Side-by-side boxes are kept apart,
    so people walking abreast stay separate objects.

    Example:
        >>> merge_fragments(np.array([[0, 0, 4, 4], [1, 6, 5, 9], [6, 0, 9, 4]]), 2).tolist()
        [[0, 0, 5, 9], [6, 0, 9, 4]]
    """
    boxes = np.asarray(boxes, np.int64)
    while len(boxes) > 1:
        a, b = boxes[:, None, :], boxes[None, :, :]
        widths = np.minimum(a[..., 2] - a[..., 0], b[..., 2] - b[..., 0]) + 1
        column_overlap = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]) + 1
        row_gap = np.maximum(a[..., 1], b[..., 1]) - np.minimum(a[..., 3], b[..., 3]) - 1
        close = (column_overlap >= min_overlap * widths) & (row_gap <= gap)
        count, group = connected_components(close, directed=False)
        if count == len(boxes):
            break
        merged = np.empty((count, 4), np.int64)
        for g in range(count):
            members = boxes[group == g]
            merged[g] = [members[:, 0].min(), members[:, 1].min(), members[:, 2].max(), members[:, 3].max()]
        boxes = merged
    return boxes


def _disk(size):
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
