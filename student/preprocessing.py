"""From decoded uint8 grayscale frames to student input: resizing, t-3/t/t+3 triplets, scaling."""
import contextlib
import functools
import time

import cv2
import numpy as np
import torch

TRIPLET_OFFSETS = (-3, 0, 3)
"""Frames a student sees for frame t (the paper's temporal stride)."""


BOX_FILTER_FACTORS = (3, 5)
"""Downscale factors (the same along both axes) for which :func:`area_by_box_filter` gives ``INTER_AREA``'s pixels."""


def area_by_box_filter(frame, factor, out=None):
    """Area averaging of a uint8 frame by an odd integer ``factor``, as a box filter read at block centres.

    The mean of each k x k block is what a k x k box filter computes at the block's centre, with
    the same rounding as ``cv2.INTER_AREA``, so the pixels are identical (for k = 3 and 5; even
    factors round differently). Which of the two is faster depends on the CPU (see
    :func:`box_filter_pays`). ``out``, an (h, w) uint8 array, receives the result if given.

    Example:
        >>> frame = np.arange(36, dtype=np.uint8).reshape(6, 6)
        >>> bool((area_by_box_filter(frame, 3) == cv2.resize(frame, (2, 2), interpolation=cv2.INTER_AREA)).all())
        True
    """
    centres = cv2.blur(frame, (factor, factor))[factor // 2::factor, factor // 2::factor]
    if out is None:
        return np.ascontiguousarray(centres)
    out[...] = centres
    return out


@functools.lru_cache(maxsize=None)
def box_filter_pays(shape, factor, threads):
    """Whether :func:`area_by_box_filter` resizes (H, W) frames faster than ``INTER_AREA`` here, timed once.

    Both give the same pixels, so only speed is at stake: on 2 cores of an Intel Xeon with AMX
    (OpenCV 5.1, one thread) the box filter takes 17 us of a 240x360 frame against 34 us, while on
    a first-generation AMD EPYC it was no faster. The answer is measured on the first frame of
    each size (about 1 ms) and kept for the process; ``threads`` is OpenCV's thread count.

    Example:
        >>> box_filter_pays((240, 360), 3, cv2.getNumThreads()) in (True, False)
        True
    """
    frame = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    size = (shape[1] // factor, shape[0] // factor)
    box, area = [], []
    for _ in range(8):
        started = time.perf_counter()
        area_by_box_filter(frame, factor)
        box.append(time.perf_counter() - started)
        started = time.perf_counter()
        cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        area.append(time.perf_counter() - started)
    return min(box) < min(area)


def resize_frame(frame, input_size, out=None):
    """Resize one (H, W) uint8 grayscale frame to the student's ``input_size`` (H, W) by area averaging.

    The one resize used for shard frames and for inference, so training and scoring see the same
    pixels. Frames already at ``input_size`` are returned as they are (copied into ``out`` if
    given). ``out``, an (h, w) uint8 array, receives the result without a new allocation. A
    downscale by 3 or 5 goes through :func:`area_by_box_filter` where that is faster (same pixels).

    Example:
        >>> resize_frame(np.zeros((240, 360), np.uint8), (80, 120)).shape
        (80, 120)
    """
    frame = np.asarray(frame)
    if frame.ndim != 2 or frame.dtype != np.uint8:
        raise ValueError(f"a frame must be a 2-D uint8 grayscale array, got {frame.dtype} of shape {frame.shape}")
    height, width = input_size
    if frame.shape == (height, width):
        if out is None:
            return frame
        out[...] = frame
        return out
    factor = frame.shape[0] // height
    if (factor in BOX_FILTER_FACTORS and frame.shape == (factor * height, factor * width)
            and box_filter_pays(frame.shape, factor, cv2.getNumThreads())):
        return area_by_box_filter(frame, factor, out)
    if out is None:
        return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    cv2.resize(frame, (width, height), dst=out, interpolation=cv2.INTER_AREA)
    return out


def resize_frames(frames, input_size):
    """Resize equal-sized (H, W) uint8 frames to ``input_size``: (N, h, w) uint8, as :func:`resize_frame` would.

    Each frame is resized straight into the result (no stacked copy of the full-size frames).

    Example:
        >>> frames = np.random.default_rng(0).integers(0, 256, (4, 240, 360), dtype=np.uint8)
        >>> together = resize_frames(frames, (80, 120))
        >>> together.shape, bool((together == np.stack([resize_frame(f, (80, 120)) for f in frames])).all())
        ((4, 80, 120), True)
    """
    frames = [np.asarray(frame) for frame in frames]
    if len({frame.shape for frame in frames}) > 1:
        raise ValueError(f"frames must all have the same size to be resized together, got "
                         f"{sorted({frame.shape for frame in frames})}")
    resized = np.empty((len(frames), *input_size), np.uint8)
    for frame, out in zip(frames, resized):
        resize_frame(frame, input_size, out)
    return resized


@contextlib.contextmanager
def opencv_on_calling_thread():
    """Run OpenCV's functions on the calling thread only inside the block, then restore its thread count.

    While a student scores a stream, the network's runtime keeps its own threads busy (ONNX
    Runtime's and oneDNN's spin between calls), and OpenCV's pool, splitting each resize across
    the same cores, waits on them. On 2 cores of an AMD EPYC (AVX2, no AVX-512), ONNX Runtime
    float32, end to end: 596 -> 829-941 frames/s at batch 1 and 1,490 -> 1,636 at batch 64.

    Example:
        >>> with opencv_on_calling_thread():
        ...     cv2.getNumThreads()
        1
    """
    previous = cv2.getNumThreads()
    cv2.setNumThreads(0)
    try:
        yield
    finally:
        cv2.setNumThreads(previous)


def triplet_indices(frame_indices, num_frames, offsets=TRIPLET_OFFSETS):
    """Indices of the frames t-3, t, t+3 for each t, clamped to [0, num_frames - 1]: (N, 3) int64.

    Example:
        >>> triplet_indices([0, 5, 9], num_frames=10).tolist()
        [[0, 0, 3], [2, 5, 8], [6, 9, 9]]
    """
    frame_indices = np.asarray(frame_indices, dtype=np.int64)
    # minimum/maximum rather than np.clip: a third of its cost on the few indices of one batch
    return np.minimum(np.maximum(frame_indices[:, None] + np.asarray(offsets, dtype=np.int64), 0), num_frames - 1)


def triplets_to_input(frames, indices, dtype=torch.float32, channels_last=True, device=None):
    """Gather triplets from resized uint8 frames (N, H, W) into a (B, 3, H, W) batch in [0, 1].

    ``frames`` is a numpy array (or tensor) of frames at the student's input size and ``indices``
    the (B, 3) rows of :func:`triplet_indices` (positions into ``frames``). The gather is one
    numpy indexing of uint8 frames; only the gathered batch is converted to ``dtype``, on
    ``device`` (default: the CPU; a CUDA batch travels as uint8 through pinned memory).
    ``channels_last`` lays the batch out as a torch channels-last view (what a channels-last
    network runs fastest on) instead of contiguous NCHW (what ONNX Runtime takes).

    Example:
        >>> frames = np.full((10, 80, 120), 255, np.uint8)
        >>> x = triplets_to_input(frames, triplet_indices(range(4), 10))
        >>> tuple(x.shape), float(x.max()), x.is_contiguous(memory_format=torch.channels_last)
        ((4, 3, 80, 120), 1.0, True)
    """
    frames = frames.cpu().numpy() if torch.is_tensor(frames) else np.asarray(frames)
    indices = np.asarray(indices, dtype=np.int64)
    if channels_last and frames.dtype == np.uint8 and len(indices) and indices.shape[1] <= 4:
        # OpenCV interleaves the offsets' planes with SIMD, twice as fast as numpy's stack on the last axis
        count, height, width = len(indices), *frames.shape[1:]
        planes = [frames[indices[:, k]].reshape(count * height, width) for k in range(indices.shape[1])]
        gathered = cv2.merge(planes).reshape(count, height, width, indices.shape[1])
    elif channels_last:
        gathered = np.stack([frames[indices[:, k]] for k in range(indices.shape[1])], axis=-1)
    else:
        gathered = frames[indices]
    device = torch.device("cpu" if device is None else device)
    if device.type == "cpu" and dtype == torch.float32:  # one pass, and no torch thread pool woken beside ONNX Runtime
        batch = torch.from_numpy(np.multiply(gathered, np.float32(1 / 255), dtype=np.float32))
        return batch.permute(0, 3, 1, 2) if channels_last else batch
    batch = torch.from_numpy(gathered)
    if device.type == "cuda":
        batch = batch.pin_memory().to(device, non_blocking=True)
    batch = batch.to(dtype).mul_(1 / 255)
    return batch.permute(0, 3, 1, 2) if channels_last else batch
