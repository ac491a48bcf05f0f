"""The scales at which students predict anomaly maps, and the max-pooling that makes maps of those scales."""
from functools import lru_cache

import torch

SCALES = (1, 4, 16)
"""Side lengths of the square output maps (the paper's 1x1, 4x4 and 16x16 heads), coarse to fine."""


@lru_cache(maxsize=64)
def _window_offsets(length, size, device):
    """Index tensors k = 0, 1, ...: the k-th element of each adaptive window (repeating its last one)."""
    starts = [(i * length) // size for i in range(size)]
    stops = [-(-(i + 1) * length // size) for i in range(size)]
    longest = max(stop - start for start, stop in zip(starts, stops))
    with torch.inference_mode(False):  # cached for later calls, which may record gradients
        return tuple(torch.tensor([min(start + k, stop - 1) for start, stop in zip(starts, stops)], device=device)
                     for k in range(longest))


def adaptive_max_pool(maps, size):
    """Max-pool (B, C, h, w) maps to (B, C, size, size) with PyTorch's adaptive windows.

    Equal to ``torch.nn.functional.adaptive_max_pool2d``, but built from gathers and maxima, which
    export to ONNX for any h and w and run several times faster on small CPU maps.

    Example:
        >>> x = torch.arange(20.0).reshape(1, 1, 4, 5)
        >>> adaptive_max_pool(x, 2).flatten().tolist()
        [7.0, 9.0, 17.0, 19.0]
    """
    for dim in (2, 3):
        offsets = _window_offsets(maps.shape[dim], size, maps.device)
        pooled = maps.index_select(dim, offsets[0])
        for offset in offsets[1:]:
            pooled = torch.maximum(pooled, maps.index_select(dim, offset))
        maps = pooled
    return maps


def pool_to_scales(fine_maps, scales=SCALES):
    """Max-pool fine grid maps (B, K, h, w) to square maps at each scale: {s: (B, K, s, s)}.

    A cell of a coarse map holds the largest score of the fine cells it covers, so the 1x1 map is
    the frame's peak score. Windows overlap where h or w is not a multiple of s (adaptive pooling).

    Example:
        >>> maps = pool_to_scales(torch.zeros(2, 3, 30, 45))
        >>> [tuple(m.shape) for m in maps.values()]
        [(2, 3, 1, 1), (2, 3, 4, 4), (2, 3, 16, 16)]
    """
    if fine_maps.dim() != 4:
        raise ValueError(f"fine maps must be (batch, teachers, h, w), got shape {tuple(fine_maps.shape)}")
    return {s: adaptive_max_pool(fine_maps, s) for s in scales}
