"""The shard schema: one HDF5 file per video, ``SHARDS/<split>/<video>.h5``.

Split folders are named ``train`` and ``test`` (the names :class:`pipeline.datasets.Video` uses),
and ``pseudo`` for pseudo-anomaly clips made from training videos (:mod:`pipeline.precompute.pseudo`;
their shards also carry the attributes ``source_video`` and ``pseudo_kind``).

| name               | shape, type          | meaning                                            |
|--------------------|----------------------|----------------------------------------------------|
| ``frames``         | (T, H, W) uint8      | student input frames, resized with cv2.INTER_AREA   |
| ``maps/<teacher>`` | (T, h, w) float16    | calibrated map, h, w = ceil(source H, W / 8)        |
| ``boxes``          | (N, 6) float32       | frame, x1, y1, x2, y2, detector score               |
| ``scores/<teacher>``| (N,) float32        | that teacher's calibrated score of each box         |

Every per-frame dataset is chunked by frame and compressed with gzip + shuffle, with a Fletcher-32
checksum per chunk (all built into HDF5, no plugin needed).
The attributes are listed in :data:`REQUIRED_ATTRS`.

Example:
    >>> shard_relpath("test", "01")
    'test/01.h5'
    >>> map_grid((240, 360))
    (30, 45)
"""
import math
from pathlib import Path

from pipeline.errors import FastaedError

FORMAT_VERSION = 1
PSEUDO_SPLIT = "pseudo"
SPLITS = ("train", "test", PSEUDO_SPLIT)
SUFFIX = ".h5"
MAP_CELL = 8

FRAMES = "frames"
MAPS = "maps"
BOXES = "boxes"
SCORES = "scores"

FRAMES_DTYPE = "uint8"
MAPS_DTYPE = "float16"
BOXES_DTYPE = "float32"
SCORES_DTYPE = "float32"
BOX_COLUMNS = ("frame", "x1", "y1", "x2", "y2", "score")

COMPRESSION = "gzip"
COMPRESSION_LEVEL = 4

# Attribute name -> what it holds. ``fold`` is the cross-fitting fold whose teachers painted a
# training video (-1: teachers fitted on all training videos, used for test videos).
REQUIRED_ATTRS = {
    "format_version": "int, FORMAT_VERSION of the writer",
    "dataset": "str, dataset name",
    "video": "str, video id",
    "split": "str, 'train', 'test' or 'pseudo'",
    "num_frames": "int, T",
    "frame_size": "int[2], source frame (height, width)",
    "teachers": "str[], teacher names, in map order",
    "config_hash": "str, hash of the precomputation configuration",
    "teacher_seconds_per_frame": "float, detection + features + scoring + painting per frame",
    "source_fingerprint": "str, hash of the source video's length, size and sampled pixels",
    "fold": "int, cross-fitting fold of the teachers that scored this video (-1: all)",
}



def shard_relpath(split, video_id):
    """The shard's path relative to the shards root, as a POSIX string (the manifest's key).

    Video ids come from the dataset's file and folder names; one that is not a plain name (a path
    separator, ``..``) is refused, so no name can make a shard land outside the shards root.

    Example:
        >>> shard_relpath("train", "07")
        'train/07.h5'
        >>> shard_relpath("test", "../../etc/x")
        Traceback (most recent call last):
        ...
        pipeline.errors.FastaedError: video id '../../etc/x' is not a plain file name: rename the video
    """
    if split not in SPLITS or not _is_plain_name(video_id):
        raise FastaedError(f"video id {video_id!r} is not a plain file name: rename the video"
                         if split in SPLITS else f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    return f"{split}/{video_id}{SUFFIX}"


def _is_plain_name(name):
    return (isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\\" not in name
            and "\0" not in name)


def shard_path(root, split, video_id):
    """The shard file of ``video_id`` in ``split`` under the shards root ``root``.

    Example:
        >>> shard_path("/tmp/shards", "test", "03").as_posix()
        '/tmp/shards/test/03.h5'
    """
    return Path(root) / shard_relpath(split, video_id)


def map_grid(frame_size, cell=MAP_CELL):
    """The (h, w) of a teacher map for source frames of ``frame_size`` (H, W): ceil(H / cell), ceil(W / cell).

    Example:
        >>> map_grid((241, 360))
        (31, 45)
    """
    height, width = frame_size
    return math.ceil(height / cell), math.ceil(width / cell)
