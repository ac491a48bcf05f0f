"""Opening and validating shards; reading frames and maps lazily, one process at a time."""
import os
from pathlib import Path

import h5py
import numpy as np

from pipeline.errors import FastaedError
from pipeline.shards import format as fmt

REWRITE = "delete it and run `fastaed precompute-teachers` again to rewrite it"


class Shard:
    """One validated shard; its HDF5 file is opened on first read, separately in each process.

    A ``Shard`` can be pickled (for example into DataLoader workers): the open h5py handle is
    not carried along, each process opens the file itself. Indices follow h5py: an int, a
    slice, or an increasing list of ints.

    Example:
        >>> shard = open_shard("shards/test/01.h5")                  # doctest: +SKIP
        >>> shard.num_frames, shard.teachers                         # doctest: +SKIP
        (180, ('density', 'autoencoder'))
        >>> shard.read_frames([0, 0, 3]).shape, shard.read_map("density", 3).dtype  # doctest: +SKIP
        ((3, 80, 120), dtype('float16'))
    """

    def __init__(self, path, attrs):
        self.path = Path(path)
        self.attrs = attrs
        self._handle = None
        self._pid = None

    video = property(lambda self: self.attrs["video"])
    split = property(lambda self: self.attrs["split"])
    num_frames = property(lambda self: self.attrs["num_frames"])
    frame_size = property(lambda self: self.attrs["frame_size"])
    teachers = property(lambda self: self.attrs["teachers"])
    config_hash = property(lambda self: self.attrs["config_hash"])

    def read_frames(self, index=slice(None)):
        """Student input frames ``index`` as uint8: (H, W) for an int, else (n, H, W).

        ``index`` is an int, a slice, or any sequence of ints (repeats and any order allowed, as
        in the clamped t-3, t, t+3 triplets at the ends of a video).
        """
        return _read(self._file()[fmt.FRAMES], index)

    def read_map(self, teacher, index=slice(None)):
        """``teacher``'s float16 map at frames ``index`` ((h, w) for an int, else (n, h, w))."""
        return _read(self._file()[f"{fmt.MAPS}/{teacher}"], index)

    def read_boxes(self):
        """All detections, (N, 6) float32: frame, x1, y1, x2, y2, detector score."""
        return self._file()[fmt.BOXES][()]

    def read_scores(self, teacher):
        """``teacher``'s calibrated score of every box, (N,) float32."""
        return self._file()[f"{fmt.SCORES}/{teacher}"][()]

    def close(self):
        """Close this process's handle (reads reopen it)."""
        if self._handle is not None and self._pid == os.getpid():
            self._handle.close()
        self._handle = None

    def _file(self):
        if self._handle is None or self._pid != os.getpid():
            self._handle = h5py.File(self.path, "r")
            self._pid = os.getpid()
        return self._handle

    def __getstate__(self):
        return {"path": self.path, "attrs": self.attrs, "_handle": None, "_pid": None}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"Shard({str(self.path)!r}, video={self.video!r}, frames={self.num_frames})"


def _read(dataset, index):
    """h5py selection that also takes repeated or unordered frame indices (h5py wants increasing ones)."""
    if isinstance(index, (int, np.integer, slice)):
        return dataset[index]
    index = np.asarray(index, dtype=np.int64)
    unique, inverse = np.unique(index % dataset.shape[0], return_inverse=True)
    return dataset[unique][inverse.reshape(index.shape)]


def open_shard(path, config_hash=None, full=False):
    """Validate the shard at ``path`` and return a lazy :class:`Shard`.

    Checks that the file is a complete HDF5 file of this :data:`~pipeline.shards.format.FORMAT_VERSION`
    with every dataset and attribute of the schema in consistent shapes and types, and, when
    ``config_hash`` is given, that it was written with that configuration. ``full=True``
    also decompresses every dataset, which finds damage inside the data (a truncated or
    corrupted chunk). Raises :class:`~pipeline.errors.FastaedError` naming the file, what is
    wrong and what to do.

    Example:
        >>> shard = open_shard("shards/train/01.h5", config_hash="3f2a9c0d1b2e4f56")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise FastaedError(f"{path}: shard not found: run `fastaed precompute-teachers` to write it")
    try:
        with h5py.File(path, "r") as handle:
            attrs = _check_schema(path, handle)
            if config_hash is not None and attrs["config_hash"] != config_hash:
                raise FastaedError(
                    f"{path}: written with another configuration (config_hash {attrs['config_hash']}, "
                    f"expected {config_hash}): rerun `fastaed precompute-teachers` with --overwrite, "
                    f"or use another shards folder")
            if full:
                handle.visititems(_read_whole)
    except FastaedError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise FastaedError(f"{path}: not a complete shard ({reason}): {REWRITE}") from None
    return Shard(path, attrs)


def _read_whole(_, node):
    """Decompress a dataset completely (returns None so that ``visititems`` goes on)."""
    if isinstance(node, h5py.Dataset):
        node[()]


def _check_schema(path, handle):
    def broken(what):
        return FastaedError(f"{path}: {what}: {REWRITE}")

    if "format_version" not in handle.attrs:
        raise broken("not a fastaed shard (no format_version attribute)")
    version = int(handle.attrs["format_version"])
    if version != fmt.FORMAT_VERSION:
        raise FastaedError(
            f"{path}: shard format version {version}, this fastaed reads version {fmt.FORMAT_VERSION}: "
            f"rerun `fastaed precompute-teachers` with --overwrite to rewrite the shards")
    missing = [name for name in fmt.REQUIRED_ATTRS if name not in handle.attrs]
    if missing:
        raise broken(f"attributes missing: {', '.join(missing)}")
    attrs = _plain_attrs(handle.attrs)
    teachers = attrs["teachers"]
    num_frames = attrs["num_frames"]
    names = [fmt.FRAMES, fmt.BOXES] + [f"{group}/{t}" for group in (fmt.MAPS, fmt.SCORES) for t in teachers]
    absent = [name for name in names if not isinstance(handle.get(name), h5py.Dataset)]
    if absent:
        raise broken(f"datasets missing: {', '.join(absent)}")
    frames = handle[fmt.FRAMES]
    if frames.ndim != 3 or frames.shape[0] != num_frames or frames.dtype != fmt.FRAMES_DTYPE:
        raise broken(f"frames are {frames.dtype} {frames.shape}, expected uint8 ({num_frames}, H, W)")
    boxes = handle[fmt.BOXES]
    if boxes.ndim != 2 or boxes.shape[1] != len(fmt.BOX_COLUMNS) or boxes.dtype != fmt.BOXES_DTYPE:
        raise broken(f"boxes are {boxes.dtype} {boxes.shape}, expected float32 (N, 6)")
    grid = (num_frames, *fmt.map_grid(attrs["frame_size"]))
    for teacher in teachers:
        maps = handle[f"{fmt.MAPS}/{teacher}"]
        if maps.shape != grid or maps.dtype != fmt.MAPS_DTYPE:
            raise broken(f"maps/{teacher} is {maps.dtype} {maps.shape}, expected float16 {grid}")
        scores = handle[f"{fmt.SCORES}/{teacher}"]
        if scores.shape != (boxes.shape[0],) or scores.dtype != fmt.SCORES_DTYPE:
            raise broken(f"scores/{teacher} is {scores.dtype} {scores.shape}, expected float32 ({boxes.shape[0]},)")
    return attrs


def _plain_attrs(attrs):
    """HDF5 attributes as plain Python values (str, int, float, tuples)."""
    plain = {}
    for name, value in attrs.items():
        if isinstance(value, bytes):
            value = value.decode()
        elif isinstance(value, np.ndarray):
            value = tuple(_plain_value(v) for v in value.ravel())
        else:
            value = _plain_value(value)
        plain[name] = value
    teachers = plain.get("teachers", ())
    plain["teachers"] = (teachers,) if isinstance(teachers, str) else tuple(teachers)
    if "frame_size" in plain:
        plain["frame_size"] = tuple(int(v) for v in plain["frame_size"])
    return plain


def _plain_value(value):
    if isinstance(value, bytes):
        return value.decode()
    return value.item() if isinstance(value, np.generic) else value
