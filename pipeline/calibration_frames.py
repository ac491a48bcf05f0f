"""Normal training frames for calibrating and checking the int8 student: from shards or from a dataset's training split.

A few short runs of consecutive frames per video (triplets need their t-3 and t+3 neighbours),
at the student's input size, as a list of (T, h, w) uint8 arrays, one per run. The first half of
each run calibrates the int8 model, the second half checks its frame scores against float32's
(see :mod:`pipeline.runtime_choice`), so the check never sees a calibration frame.
"""
import numpy as np

RUN_LENGTH = 64
"""Consecutive frames taken from each training video."""
MAX_VIDEOS = 4


def frames_from_shards(shards_root, input_size, max_videos=MAX_VIDEOS, run_length=RUN_LENGTH):
    """Runs of training frames from the train shards of ``shards_root``, resized to ``input_size`` ([] if none).

    Example:
        >>> runs = frames_from_shards("data/shards", (80, 120))            # doctest: +SKIP
        >>> runs[0].shape                                                  # doctest: +SKIP
        (64, 80, 120)
    """
    from pipeline.shards import open_shards
    from student import resize_frames

    runs = []
    shards = open_shards(shards_root, "train", require_complete=False)
    for shard in _spread(shards, max_videos):
        with shard:
            start = max(0, shard.num_frames // 2 - run_length // 2)
            frames = shard.read_frames(slice(start, start + run_length))
        runs.append(resize_frames(list(frames), input_size))
    return runs


def frames_from_dataset(dataset, input_size, max_videos=MAX_VIDEOS, run_length=RUN_LENGTH):
    """Runs of frames decoded from the training videos of an opened dataset, resized to ``input_size``.

    Returns an empty list when the dataset has no training videos.

    Example:
        >>> from pipeline.datasets import open_dataset
        >>> runs = frames_from_dataset(open_dataset("data/synthetic"), (80, 120))   # doctest: +SKIP
    """
    from student import resize_frames

    runs = []
    for video in _spread(list(dataset.train), max_videos):
        start = max(0, len(video) // 2 - run_length // 2)
        frames = list(video.iter_frames(start, start + run_length))
        if frames:
            runs.append(resize_frames(frames, input_size))
    return runs


def _spread(items, count):
    """Up to ``count`` items spread evenly over ``items``."""
    if len(items) <= count:
        return list(items)
    return [items[int(i)] for i in np.linspace(0, len(items) - 1, count).round()]
