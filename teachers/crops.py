"""Square object crops that keep the box's aspect ratio."""

import cv2
import numpy as np

from teachers.boxes import clip_box


def square_crop(frame, box, size, context=0.0):
    """The square of side max(box width, box height) * (1 + 2 * context) centred on `box`
    (x1, y1, x2, y2, inclusive), resized to (size, size) uint8; parts outside the frame repeat the
    border pixels. `context` adds that fraction of the side around the object on each side.

    A wide object (a bicycle) and a tall one (a pedestrian) keep their shapes, so the shape itself
    is part of what an appearance model sees.

    Example:
        >>> frame = np.zeros((20, 20), np.uint8); frame[5:10, 2:18] = 255
        >>> crop = square_crop(frame, (2, 5, 17, 9), 8)
        >>> crop.shape, int(crop[0, 4]), int(crop[4, 4])
        ((8, 8), 0, 255)
    """
    x1, y1, x2, y2 = clip_box(box, frame.shape)
    side = int(round((max(x2 - x1, y2 - y1) + 1) * (1 + 2 * context)))
    left = (x1 + x2 + 1) // 2 - side // 2
    top = (y1 + y2 + 1) // 2 - side // 2
    height, width = frame.shape
    pad = max(0, -left, -top, left + side - width, top + side - height)
    if pad:
        frame = cv2.copyMakeBorder(frame, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    patch = frame[top + pad:top + pad + side, left + pad:left + pad + side]
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(patch, (size, size), interpolation=interpolation)
