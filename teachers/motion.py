"""Dense optical flow (OpenCV DIS) and per-object motion statistics (speed percentiles, median flow)."""

import cv2
import numpy as np

DIS_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


class DenseFlow:
    """Object speed (pixels per frame step) between two grayscale frames, with OpenCV's DIS flow.

    Frames are padded by `border` mirrored pixels first, so objects at the frame edge get the same
    patch support as everywhere else. The camera's own motion (a shake, a dropped frame) is the
    median flow over the background pixels; it is subtracted before taking the magnitude.

    Example:
        >>> frame = np.random.default_rng(0).integers(0, 255, (64, 64)).astype(np.uint8)
        >>> frame = cv2.GaussianBlur(frame, (7, 7), 0)
        >>> speed = DenseFlow("medium")(frame, np.roll(frame, 2, axis=1))
        >>> 1.5 < float(np.median(speed[16:48, 16:48])) < 2.5
        True
    """

    def __init__(self, preset="medium", border=16):
        if preset not in DIS_PRESETS:
            raise ValueError(f"unknown DIS preset '{preset}': use one of {', '.join(DIS_PRESETS)}")
        self._dis = cv2.DISOpticalFlow_create(DIS_PRESETS[preset])
        self.border = border

    def __call__(self, previous, current, background=None):
        """(H, W) float32 speed; `background` is an optional bool mask of static-scene pixels
        whose median flow is taken as camera motion (without it, no camera motion is removed).

        Example:
            >>> DenseFlow()(np.zeros((32, 32), np.uint8), np.zeros((32, 32), np.uint8)).shape
            (32, 32)
        """
        flow = self.flow(previous, current, background)
        return cv2.magnitude(np.ascontiguousarray(flow[..., 0]), np.ascontiguousarray(flow[..., 1]))

    def flow(self, previous, current, background=None):
        """(H, W, 2) float32 displacement (dx, dy) of each pixel of `previous`, camera motion removed
        as in `__call__`.

        Example:
            >>> frame = cv2.GaussianBlur(np.random.default_rng(0).integers(0, 255, (64, 64)).astype(np.uint8), (7, 7), 0)
            >>> dx, dy = np.median(DenseFlow("medium").flow(frame, np.roll(frame, 2, axis=0))[16:48, 16:48], axis=(0, 1))
            >>> abs(float(dx)) < 0.5 < 1.5 < float(dy) < 2.5
            True
        """
        b = self.border
        if b:
            previous = cv2.copyMakeBorder(previous, b, b, b, b, cv2.BORDER_REFLECT_101)
            current = cv2.copyMakeBorder(current, b, b, b, b, cv2.BORDER_REFLECT_101)
        flow = self._dis.calc(previous, current, None)
        if b:
            flow = flow[b:-b, b:-b]
        if background is not None and np.count_nonzero(background) >= 100:
            flow = flow - np.median(flow[background], axis=0)
        return flow


def object_pixels(pixels):
    """The object's own pixels (a bool mask of its crop), or the whole crop when the mask has fewer
    than 4 pixels.

    Example:
        >>> int(object_pixels(np.eye(3, dtype=bool)).sum())
        9
    """
    return pixels if np.count_nonzero(pixels) >= 4 else np.ones_like(pixels, dtype=bool)


def speed_percentiles(speed, pixels, percentiles):
    """Percentiles of `speed` over the object's `pixels` (a bool mask of the same crop); over the
    whole crop when the mask has fewer than 4 pixels.

    Example:
        >>> speed = np.arange(16.0).reshape(4, 4)
        >>> speed_percentiles(speed, speed >= 8, (0, 100)).tolist()
        [8.0, 15.0]
    """
    return np.percentile(speed[object_pixels(pixels)], percentiles)


def median_flow(flow, pixels):
    """(dx, dy): the per-axis median of the (h, w, 2) ``flow`` crop over the object's ``pixels``
    (the whole crop when the mask has fewer than 4 pixels).

    Example:
        >>> flow = np.zeros((4, 4, 2)); flow[2:, :, 0] = 3.0
        >>> median_flow(flow, flow[..., 0] > 0).tolist()
        [3.0, 0.0]
    """
    return np.median(flow[object_pixels(pixels)], axis=0)
