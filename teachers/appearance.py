"""A small appearance descriptor: gradient-orientation histograms on a grid of cells (HOG-like;
OpenCV 5 has no HOG)."""

import cv2
import numpy as np


def orientation_histogram(crop, size=(16, 32), cells=(2, 4), bins=8):
    """Magnitude-weighted histograms of unsigned gradient orientation, one per cell, each
    L2-normalised, concatenated: a (cells_x * cells_y * bins,) float32 vector.

    `crop` is a 2-D uint8 patch, resized to `size` (width, height) first.

    Example:
        >>> crop = np.tile(np.arange(0, 256, 8, dtype=np.uint8), (32, 1))  # a horizontal ramp
        >>> histogram = orientation_histogram(crop)
        >>> histogram.shape, int(np.argmax(histogram[:8]))
        ((64,), 0)
    """
    patch = cv2.resize(crop, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    gx = cv2.Sobel(patch, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(patch, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = cv2.magnitude(gx, gy)
    angle = np.mod(np.arctan2(gy, gx), np.pi)  # unsigned: a dark-to-light edge = light-to-dark
    bin_index = np.minimum((angle / np.pi * bins).astype(np.int64), bins - 1)
    cells_x, cells_y = cells
    width, height = size
    cell_x = np.arange(width) * cells_x // width
    cell_y = np.arange(height) * cells_y // height
    cell_index = cell_y[:, None] * cells_x + cell_x[None, :]
    histogram = np.bincount(
        (cell_index * bins + bin_index).ravel(), weights=magnitude.ravel(), minlength=cells_x * cells_y * bins
    ).reshape(cells_x * cells_y, bins)
    histogram /= np.linalg.norm(histogram, axis=1, keepdims=True) + 1e-3
    return histogram.ravel().astype(np.float32)
