"""Teacher precomputation: detect, featurize, fit (cross-fitted), score, paint and write shards on dask.

The public names are imported on first use, so that importing a small submodule (the CLI reads
only :mod:`pipeline.precompute.config`) does not load dask, torch and the teachers.

Example:
    >>> from pipeline.precompute import PrecomputeOptions, precompute_teachers
    >>> report = precompute_teachers("data/synthetic", "data/shards",
    ...                              PrecomputeOptions(frame_size=(80, 120)), workers=2)   # doctest: +SKIP
"""
import importlib

_EXPORTS = {
    "PrecomputeOptions": "pipeline.precompute.config",
    "precompute_teachers": "pipeline.precompute.driver",
    "load_teacher": "pipeline.precompute.teacher_store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'pipeline.precompute' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
