"""Per-video cache of the expensive first step (detections + teacher features), one HDF5 file each.

``SHARDS/cache/<split>/<video>.h5`` holds ``boxes`` (N, 6), ``features/<teacher>`` (N, ...) and
the seconds each part took. Its ``features_key`` attribute (see
:func:`pipeline.precompute.config.features_key`) says which detector, teachers and source video
it came from; a file with another key, or one that cannot be read, counts as absent. A resumed
run (or a run with other folds or another student frame size) reuses it instead of detecting again.
"""
import json
from pathlib import Path

import h5py
import numpy as np

from pipeline.atomic_files import atomic_output

CACHE_DIR = "cache"


def cache_path(root, split, video_id):
    """Where the features of ``video_id`` of ``split`` are cached under the shards root.

    Example:
        >>> cache_path("/s", "train", "01").as_posix()
        '/s/cache/train/01.h5'
    """
    return Path(root) / CACHE_DIR / split / f"{video_id}.h5"


def write_features(path, key, num_frames, boxes, features, seconds):
    """Write the cache file atomically: boxes (N, 6), {teacher: (N, ...)} features, {part: seconds}.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "01.h5"
        >>> write_features(p, "k1", 5, np.zeros((0, 6)), {"density": np.zeros((0, 4))}, {"detector": 0.1})
        >>> read_features(p, "k1")["num_frames"], read_features(p, "other") is None
        (5, True)
    """
    with atomic_output(path) as tmp:
        with h5py.File(tmp, "w") as handle:
            handle.create_dataset("boxes", data=np.asarray(boxes, np.float32).reshape(-1, 6))
            group = handle.create_group("features")
            for teacher, array in features.items():
                array = np.asarray(array)
                options = {"compression": "gzip", "compression_opts": 1, "shuffle": True} if array.size else {}
                group.create_dataset(teacher, data=array, **options)
            handle.attrs["features_key"] = key
            handle.attrs["num_frames"] = int(num_frames)
            handle.attrs["seconds"] = json.dumps(seconds, sort_keys=True)


def cached_key(path):
    """The ``features_key`` of a readable cache file, or ``None`` (absent, partial or unreadable).

    Example:
        >>> cached_key("/nonexistent.h5") is None
        True
    """
    try:
        with h5py.File(path, "r") as handle:
            return str(handle.attrs["features_key"])
    except (OSError, KeyError):
        return None


def read_features(path, key):
    """The cached ``{"boxes", "features", "num_frames", "seconds"}``, or ``None`` when absent or stale.

    Example:
        >>> read_features("/nonexistent.h5", "k") is None
        True
    """
    try:
        with h5py.File(path, "r") as handle:
            if str(handle.attrs["features_key"]) != key:
                return None
            return {"boxes": handle["boxes"][()],
                    "features": {name: data[()] for name, data in handle["features"].items()},
                    "num_frames": int(handle.attrs["num_frames"]),
                    "seconds": json.loads(handle.attrs["seconds"])}
    except (OSError, KeyError, ValueError):
        return None
