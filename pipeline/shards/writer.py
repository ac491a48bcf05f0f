"""Writing one shard: everything in memory goes to a temporary file that is renamed when complete."""
import h5py
import numpy as np

from pipeline.atomic_files import atomic_output, file_sha256
from pipeline.shards import format as fmt


def write_shard(path, *, frames, maps, boxes, scores, attrs):
    """Write one video's shard to ``path`` atomically and return ``{"sha256", "bytes"}`` of the file.

    ``frames`` is (T, H, W) uint8 at the student's resolution, ``maps`` {teacher: (T, h, w)}
    (stored as float16), ``boxes`` (N, 6) (frame, x1, y1, x2, y2, score), ``scores``
    {teacher: (N,)} with the same teachers as ``maps``, ``attrs`` every attribute of
    :data:`pipeline.shards.format.REQUIRED_ATTRS` except ``format_version`` and ``teachers``,
    which are filled in here. Writing to an existing ``path`` replaces it only once complete.

    Example:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "test" / "01.h5"
        >>> info = write_shard(out, frames=np.zeros((2, 8, 8), np.uint8),
        ...     maps={"density": np.zeros((2, 2, 2))}, boxes=np.zeros((0, 6)),
        ...     scores={"density": np.zeros(0)}, attrs={"dataset": "demo", "video": "01",
        ...     "split": "test", "num_frames": 2, "frame_size": (16, 16), "config_hash": "abc",
        ...     "teacher_seconds_per_frame": 0.01, "source_fingerprint": "f", "fold": -1})
        >>> len(info["sha256"])
        64
    """
    frames = np.asarray(frames)
    boxes = np.asarray(boxes, dtype=fmt.BOXES_DTYPE).reshape(-1, len(fmt.BOX_COLUMNS))
    teachers = list(maps)
    _check_inputs(frames, maps, boxes, scores, attrs, teachers)
    with atomic_output(path) as tmp:
        with h5py.File(tmp, "w") as handle:
            _per_frame_dataset(handle, fmt.FRAMES, frames.astype(fmt.FRAMES_DTYPE, copy=False))
            map_group = handle.create_group(fmt.MAPS)
            score_group = handle.create_group(fmt.SCORES)
            for teacher in teachers:
                _per_frame_dataset(map_group, teacher, np.asarray(maps[teacher]).astype(fmt.MAPS_DTYPE))
                _object_dataset(score_group, teacher, np.asarray(scores[teacher], dtype=fmt.SCORES_DTYPE))
            _object_dataset(handle, fmt.BOXES, boxes)
            for name, value in attrs.items():
                handle.attrs[name] = value
            handle.attrs["format_version"] = fmt.FORMAT_VERSION
            handle.attrs["teachers"] = teachers
        info = {"sha256": file_sha256(tmp), "bytes": tmp.stat().st_size}
    return info


def _check_inputs(frames, maps, boxes, scores, attrs, teachers):
    missing = set(fmt.REQUIRED_ATTRS) - {"format_version", "teachers"} - set(attrs)
    if missing:
        raise ValueError(f"shard attributes missing: {sorted(missing)}")
    num_frames = int(attrs["num_frames"])
    if frames.ndim != 3 or frames.shape[0] != num_frames:
        raise ValueError(f"frames must be (T={num_frames}, H, W), got {frames.shape}")
    if set(scores) != set(teachers) or not teachers:
        raise ValueError(f"maps {teachers} and scores {sorted(scores)} must name the same teachers")
    grid = fmt.map_grid(attrs["frame_size"])
    for teacher in teachers:
        if np.shape(maps[teacher]) != (num_frames, *grid):
            raise ValueError(f"map of {teacher} must be {(num_frames, *grid)}, got {np.shape(maps[teacher])}")
        if np.shape(scores[teacher]) != (len(boxes),):
            raise ValueError(f"scores of {teacher} must be ({len(boxes)},), got {np.shape(scores[teacher])}")


def _per_frame_dataset(group, name, data):
    group.create_dataset(name, data=data, chunks=(1, *data.shape[1:]), compression=fmt.COMPRESSION,
                         compression_opts=fmt.COMPRESSION_LEVEL, shuffle=True, fletcher32=True)


def _object_dataset(group, name, data):
    if len(data) == 0:  # HDF5 cannot chunk an empty dimension
        group.create_dataset(name, data=data)
        return
    group.create_dataset(name, data=data, chunks=True, compression=fmt.COMPRESSION,
                         compression_opts=fmt.COMPRESSION_LEVEL, shuffle=True, fletcher32=True)
