"""The work one dask task does: all inputs and outputs are files, results are small dicts.

Three kinds of task, each idempotent (it writes one file atomically, and a rerun overwrites it):
- :func:`extract_features`, one per video: read the frames, detect objects, compute every
  teacher's features, and cache them (:mod:`pipeline.precompute.feature_cache`).
- :func:`fit_teacher`, one per (fit, teacher): fit on the cached features of that fit's
  training videos, calibrate a fold's teacher again on the fold's own (unseen, normal) training
  videos, and save the state (:mod:`pipeline.precompute.teacher_store`).
- :func:`write_video_shard`, one per video: score the cached objects with the video's fit,
  paint the maps, resize the frames for the student and write the shard.

Every task runs single-threaded (torch and OpenCV set to one thread; parallelism comes from
worker processes), with fixed seeds and OpenCV's IPP kernels off, so the same inputs give the same
shards, bit for bit, on any cluster and with any number of workers. Those settings are global to a
process, so a worker process with several threads (``dask worker`` without ``--nthreads 1``) runs
its tasks one at a time: run side by side, two fits would draw their initial weights from the one
torch generator in an order that changes from run to run.
"""
import functools
import json
import os
import random
import threading
import time
from dataclasses import dataclass

import numpy as np

from pipeline.errors import FastaedError
from pipeline.precompute.config import SEED
from pipeline.precompute.feature_cache import read_features, write_features
from pipeline.precompute.teacher_store import load_teacher, save_teacher
from pipeline.shards.writer import write_shard


_ONE_TASK_AT_A_TIME = threading.Lock()


def _alone_in_the_process(task):
    @functools.wraps(task)
    def run(*args):
        with _ONE_TASK_AT_A_TIME:
            return task(*args)
    return run


@dataclass(frozen=True)
class VideoRef:
    """Where a worker finds a video: dataset root (absolute), split and id; for a pseudo-anomaly
    clip (split ``pseudo``) also the training video it is made from and its kind.

    Example:
        >>> VideoRef("/data/ped2", "test", "01").name
        'test/01'
        >>> VideoRef("/data/ped2", "pseudo", "01-skip2", "01", "skip2").name
        'pseudo/01-skip2'
    """

    root: str
    split: str
    video_id: str
    source_id: str = None
    pseudo_kind: str = None

    @property
    def name(self):
        return f"{self.split}/{self.video_id}"


@dataclass(frozen=True)
class FeatureJob:
    """Detect and featurize one video into ``cache`` (teachers: ((name, options), ...)).

    Example:
        >>> job = FeatureJob(VideoRef("/data/s", "train", "01"), "/s/cache/train/01.h5", "k1",
        ...                  "foreground", {}, (("density", {"k": 3}),))
        >>> job.teachers[0][0]
        'density'
    """

    video: VideoRef
    cache: str
    key: str
    detector: str
    detector_options: dict
    teachers: tuple


@dataclass(frozen=True)
class FitJob:
    """Fit ``teacher`` for fit ``fit`` on the cached features ``caches`` (with their ``keys``).

    ``held_out`` lists (video, cache, key) of the training videos the fit leaves out (a fold's own
    videos), on which the fitted teacher is calibrated again (:meth:`teachers.base.Teacher.recalibrate`);
    empty for the fit on every training video.

    Example:
        >>> job = FitJob(0, "density", {}, ("02",), ("/s/cache/train/02.h5",), ("k2",),
        ...              "/s/teachers/fold-0/density.h5", "3f2a", (("01", "/s/cache/train/01.h5", "k1"),))
        >>> job.videos, job.held_out[0][0]
        (('02',), '01')
    """

    fit: int
    teacher: str
    options: dict
    videos: tuple
    caches: tuple
    keys: tuple
    out: str
    config_hash: str
    held_out: tuple = ()


@dataclass(frozen=True)
class ShardJob:
    """Score one video with the teachers saved in ``teacher_files`` and write its shard to ``out``.

    Example:
        >>> job = ShardJob(VideoRef("/data/s", "test", "01"), "/s/cache/test/01.h5", "k1", ("density",),
        ...                ("/s/teachers/all/density.h5",), "/s/test/01.h5", (80, 120), 4, {"fold": -1})
        >>> job.frame_size
        (80, 120)
    """

    video: VideoRef
    cache: str
    key: str
    teachers: tuple
    teacher_files: tuple
    out: str
    frame_size: tuple
    link_radius: int
    attrs: dict


@_alone_in_the_process
def extract_features(job):
    """Detect objects in one video and compute each teacher's features; cache them. Returns a summary.

    Example:
        >>> extract_features(FeatureJob(VideoRef("/data/s", "train", "01"), "/s/cache/train/01.h5",
        ...                             "k", "foreground", {}, (("density", {}),)))   # doctest: +SKIP
        {'video': 'train/01', 'boxes': 412, 'seconds': {'detector': 0.8, 'density': 1.9}}
    """
    from teachers import boxes_from_detections, build_detector, build_teacher

    _single_threaded_and_seeded()
    cached = read_features(job.cache, job.key)
    if cached is not None:
        return {"video": job.video.name, "boxes": len(cached["boxes"]), "seconds": cached["seconds"]}
    frames, identity = _load_frames(job.video)
    with _teacher_errors(job.video.name):
        started = time.perf_counter()
        detections = build_detector(job.detector, **job.detector_options).detect(frames, video=identity)
        boxes = boxes_from_detections(detections)
        seconds = {"detector": time.perf_counter() - started}
        features = {}
        for name, options in job.teachers:
            started = time.perf_counter()
            features[name] = np.asarray(build_teacher(name, **options).features(frames, boxes))
            seconds[name] = time.perf_counter() - started
    write_features(job.cache, job.key, len(frames), boxes, features, seconds)
    return {"video": job.video.name, "boxes": len(boxes), "seconds": seconds}


@_alone_in_the_process
def fit_teacher(job, *_upstream):
    """Fit one teacher on the cached features of its training videos and save it. Returns a summary.

    ``_upstream`` are the results of the feature tasks it waits for (dask passes them in).

    Example:
        >>> fit_teacher(job)                                          # doctest: +SKIP
        {'fit': 0, 'teacher': 'density', 'seconds': 0.4}
    """
    from teachers import build_teacher

    _single_threaded_and_seeded()
    features = [_cached_teacher_features(job.teacher, *video) for video in zip(job.videos, job.caches, job.keys)]
    held_out = [_cached_teacher_features(job.teacher, *video) for video in job.held_out]
    with _teacher_errors(f"fitting {job.teacher} on training videos {', '.join(job.videos)}"):
        started = time.perf_counter()
        teacher = build_teacher(job.teacher, **job.options).fit(features)
        if any(len(array) for array in held_out):
            teacher.recalibrate(held_out)
        seconds = time.perf_counter() - started
        state = teacher.state_dict()
    save_teacher(job.out, state, job.config_hash, job.fit, job.videos, seconds)
    return {"fit": job.fit, "teacher": job.teacher, "seconds": seconds}


def _cached_teacher_features(teacher, video, cache, key):
    cached = read_features(cache, key)
    if cached is None:
        raise FastaedError(f"{cache}: cached features of training video {video} are missing or stale: "
                           f"run `fastaed precompute-teachers` again")
    return cached["features"][teacher]


@_alone_in_the_process
def write_video_shard(job, *_upstream):
    """Score, paint and write one video's shard. Returns its manifest entry plus timings.

    Example:
        >>> write_video_shard(job)["sha256"][:8]                      # doctest: +SKIP
        '9f86d081'
    """
    from student.preprocessing import resize_frame
    from teachers import link_and_smooth, paint_maps

    _single_threaded_and_seeded()
    cached = read_features(job.cache, job.key)
    if cached is None:
        raise FastaedError(f"{job.cache}: cached features of {job.video.name} are missing or stale: "
                           f"run `fastaed precompute-teachers` again")
    if job.video.pseudo_kind:
        video, _ = _load_frames(job.video)
        num_frames, frame_size, video_frames = len(video), tuple(video.shape[1:]), iter(video)
    else:
        video = _open_video(job.video)
        num_frames, frame_size, video_frames = len(video), tuple(video.frame_size), video.iter_frames()
    if cached["num_frames"] != num_frames:
        raise FastaedError(f"{job.video.name}: the video now has {num_frames} frames, its cached features "
                           f"{cached['num_frames']}: delete {job.cache} and run again")
    boxes, seconds = cached["boxes"], dict(cached["seconds"])
    maps, scores = {}, {}
    with _teacher_errors(job.video.name):
        for name, path in zip(job.teachers, job.teacher_files):
            teacher = _loaded_teacher(path, job.attrs["config_hash"], *_file_identity(path))
            started = time.perf_counter()
            scores[name] = np.asarray(teacher.score(cached["features"][name]), np.float32)
            if job.link_radius:
                scores[name] = link_and_smooth(boxes, scores[name], radius=job.link_radius)
            seconds[f"{name}.score"] = time.perf_counter() - started
            started = time.perf_counter()
            maps[name] = paint_maps(boxes, scores[name], num_frames, frame_size)
            seconds[f"{name}.paint"] = time.perf_counter() - started
    frames = np.stack([resize_frame(frame, job.frame_size) for frame in video_frames])
    seconds_per_frame = sum(seconds.values()) / num_frames
    attrs = {**job.attrs, "num_frames": num_frames, "frame_size": frame_size,
             "teacher_seconds_per_frame": seconds_per_frame,
             "teacher_seconds": json.dumps(seconds, sort_keys=True)}
    info = write_shard(job.out, frames=frames, maps=maps, boxes=boxes, scores=scores, attrs=attrs)
    return {**info, "split": job.video.split, "video": job.video.video_id, "num_frames": num_frames,
            "seconds": seconds}


class _teacher_errors:
    """Turn the ValueError that teachers/ raises for bad input into a FastaedError naming the video."""

    def __init__(self, where):
        self.where = where

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _traceback):
        if kind is not None and issubclass(kind, ValueError):
            raise FastaedError(f"{self.where}: {error}") from error
        return False


def _single_threaded_and_seeded():
    import cv2
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    # BLAS (scikit-learn's neighbour distances) sums in another order with more threads.
    threadpool_limits(1)
    # OpenCV's Intel IPP kernels (cv2.magnitude among them) give last-bit differences from one
    # process to the next once torch is loaded; without IPP the results are the same everywhere.
    cv2.ipp.setUseIPP(False)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)


@functools.lru_cache(maxsize=2)
def _dataset(root):
    from pipeline.datasets import open_dataset

    return open_dataset(root)


def _open_video(ref):
    return _dataset(ref.root).video(ref.split, ref.video_id)


def _load_frames(ref):
    """The video's (T, H, W) frames and their ``teachers.VideoIdentity`` (a pseudo-anomaly clip names
    the training video and the frames of it that it shows)."""
    from teachers import VideoIdentity

    if ref.pseudo_kind:
        from pipeline.precompute.pseudo import pseudo_clip

        source = _open_video(VideoRef(ref.root, "train", ref.source_id))
        clip, sources = pseudo_clip(np.stack(list(source.iter_frames())), ref.pseudo_kind, ref.source_id)
        return clip, VideoIdentity("train", ref.source_id, sources)
    frames = np.stack(list(_open_video(ref).iter_frames()))
    return frames, VideoIdentity(ref.split, ref.video_id, np.arange(len(frames)))


def _file_identity(path):
    stat = os.stat(path)
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=16)
def _loaded_teacher(path, config_hash, _mtime_ns, _size):
    """A saved teacher, loaded once per worker process (the mtime and size key out stale copies)."""
    return load_teacher(path, config_hash)
