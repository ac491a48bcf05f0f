"""Keeping freed memory in the process, so that scoring batch after batch page-faults less.

glibc's malloc hands large freed blocks back to the kernel (blocks above its mmap threshold are
unmapped; a large free top of the heap is trimmed), and buffers of the same sizes allocated again
are then faulted back in page by page. Streaming inference allocates and frees the same buffers
every batch (resized frames, triplets, the network's activations). :func:`keep_freed_memory` sets
both thresholds high (``mallopt``), once per process; memory then stays at the peak the batches
need. Measured on 2 cores of an AMD EPYC with AVX512-BF16 (two runs each way, ``benchmark-fps``'s
protocol): ONNX Runtime float32 end to end at batch 1 went from 1,783-1,860 to 2,297-2,383
frames/s; at batch 64, and for torch bfloat16 at batch 64, it made no measurable difference.
"""
import ctypes
import ctypes.util
import functools
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
THRESHOLD_BYTES = 32 * 1024 * 1024
"""The largest mmap threshold glibc accepts on 64-bit Linux; blocks above it are still returned."""


@functools.lru_cache(maxsize=1)
def keep_freed_memory():
    """Ask glibc to keep freed blocks of up to 32 MiB in the process; True where it agreed.

    Does nothing (False) where the C library is not glibc (macOS, Windows, musl).

    Example:
        >>> keep_freed_memory() in (True, False)
        True
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, 2 * THRESHOLD_BYTES))
