"""Where a test video's pixel masks come from: image files, a NumPy (T, H, W) array, or a MATLAB volLabel.

Each source reads masks lazily as (H, W) bool arrays (True = anomalous pixel) and derives frame
labels from them: a frame is anomalous iff its mask has any positive pixel.
"""
import functools
from pathlib import Path

import cv2
import numpy as np

from pipeline.datasets.array_files import load_mat_variable, load_npy, numeric_array
from pipeline.datasets.frame_sources import size_mismatch
from pipeline.datasets.image_decoding import checked_image_size, read_image
from pipeline.datasets.listing import image_files
from pipeline.errors import FastaedError


def read_mask_image(path):
    """A mask image as (H, W) bool: True where any channel is positive (8- or 16-bit, gray or colour).

    Example:
        >>> read_mask_image("ped2/testing/pixel_masks/01/100.png").sum()
        742
    """
    mask = read_image(path, cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION)
    return mask.any(axis=2) if mask.ndim == 3 else mask > 0


class ImageMasks:
    """One mask image per frame in ``folder`` (UCSD ``TestNNN_gt/*.bmp``, re-packed ``pixel_masks/<video>/``).

    Example:
        >>> masks = ImageMasks(Path("ped2/testing/pixel_masks/01"))
        >>> len(masks), masks.read(100, (240, 360)).dtype
        (180, dtype('bool'))
    """

    def __init__(self, folder):
        self.source = Path(folder)
        self.files = image_files(self.source)

    def __len__(self):
        return len(self.files)

    def read(self, index, frame_size):
        """Mask ``index`` as (H, W) bool; FastaedError if its size is not ``frame_size``."""
        mask = read_mask_image(self.files[index])
        if mask.shape != tuple(frame_size):
            raise size_mismatch(self.files[index], mask.shape, frame_size)
        return mask

    def labels(self):
        """(T,) uint8 frame labels: 1 where the mask has any positive pixel."""
        return np.array([read_mask_image(path).any() for path in self.files], dtype=np.uint8)

    def check(self, frame_size):
        """Every mask file must be an image of ``frame_size`` (headers only)."""
        for path in self.files:
            size = checked_image_size(path)
            if size != tuple(frame_size):
                raise size_mismatch(path, size, frame_size)


class ArrayMasks:
    """A (T, H, W) ``.npy`` array of masks (ShanghaiTech ``test_pixel_mask/<video>.npy``), memory-mapped.

    Example:
        >>> masks = ArrayMasks(Path("shanghaitech/testing/test_pixel_mask/01_0014.npy"))
        >>> len(masks)
        265
    """

    def __init__(self, path):
        self.path = Path(path)
        self._array = None

    def __getstate__(self):
        return {**self.__dict__, "_array": None}

    @property
    def source(self):
        """The ``.npy`` file."""
        return self.path

    def _masks(self):
        if self._array is None:
            array = load_npy(self.path, "a (frames, height, width) array of pixel masks", mmap_mode="r")
            if array.ndim != 3:
                raise FastaedError(f"pixel masks {self.path} have shape {array.shape}, not (frames, height, width): "
                                   "replace the file")
            self._array = array
        return self._array

    def __len__(self):
        return self._masks().shape[0]

    def read(self, index, frame_size):
        """Mask ``index`` as (H, W) bool; FastaedError if its size is not ``frame_size``."""
        self.check(frame_size)
        return np.asarray(self._masks()[index]) > 0

    def labels(self, chunk=64):
        """(T,) uint8 frame labels, reading ``chunk`` masks at a time."""
        masks = self._masks()
        labels = np.zeros(len(masks), np.uint8)
        for start in range(0, len(masks), chunk):
            block = np.asarray(masks[start:start + chunk])
            labels[start:start + len(block)] = block.reshape(len(block), -1).any(axis=1)
        return labels

    def check(self, frame_size):
        """The array's frames must have ``frame_size``."""
        size = self._masks().shape[1:]
        if size != tuple(frame_size):
            raise size_mismatch(self.path, size, frame_size)


@functools.lru_cache(maxsize=1)  # one video's masks at a time: they can be hundreds of MB
def _load_vol_label(path):
    cells = load_mat_variable(path, "volLabel", "a cell of one mask per frame")
    if cells is None:
        raise FastaedError(f"{path} has no 'volLabel' variable: use the Avenue testing_label_mask files")
    masks = ([numeric_array(cell, f"{path}: 'volLabel' cell {number}", "a mask of numbers")
              for number, cell in enumerate(cells.ravel(), start=1)] if cells.dtype == object
             else list(numeric_array(cells, f"{path}: 'volLabel'", "masks of numbers")))
    sizes = {mask.shape for mask in masks}
    if len(sizes) > 1 or any(len(size) != 2 for size in sizes):
        raise FastaedError(f"{path}: the masks in 'volLabel' have sizes {sorted(sizes)}: "
                           "every mask must be one 2-D frame of the video's size")
    return np.stack(masks) > 0 if masks else np.zeros((0, 0, 0), bool)


class MatMasks:
    """Avenue's ``testing_label_mask/N_label.mat``: a cell array ``volLabel`` of one mask per frame.

    The file is loaded whole on first use (MATLAB files cannot be read partly); only the most
    recently used video's masks stay in memory.

    Example:
        >>> masks = MatMasks(Path("Avenue/ground_truth_demo/testing_label_mask/1_label.mat"))
        >>> len(masks)
        1439
    """

    def __init__(self, path):
        self.path = Path(path)

    @property
    def source(self):
        """The ``.mat`` file."""
        return self.path

    def __len__(self):
        return len(_load_vol_label(self.path))

    def read(self, index, frame_size):
        """Mask ``index`` as (H, W) bool; FastaedError if its size is not ``frame_size``."""
        self.check(frame_size)
        return _load_vol_label(self.path)[index].copy()

    def labels(self):
        """(T,) uint8 frame labels."""
        masks = _load_vol_label(self.path)
        return masks.reshape(len(masks), -1).any(axis=1).astype(np.uint8)

    def check(self, frame_size):
        """The masks must have ``frame_size``."""
        size = _load_vol_label(self.path).shape[1:]
        if size != tuple(frame_size):
            raise size_mismatch(self.path, size, frame_size)
