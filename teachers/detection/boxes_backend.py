"""Detector backend: detections made elsewhere (YOLO, detectron2 on another machine, ...) read from CSV.

`path` is a folder with one file per split, `training.csv` and `testing.csv`, header
``video,frame,x1,y1,x2,y2,score`` (a `label` column may follow; it is read past): frames 0-based,
corner coordinates in pixels of the source frames as detectors write them (x to the right, y down;
a box over pixels 0..9 spans 0..10). Boxes that reach at most `edge_tolerance` pixels past the
frame are clipped to it; anything else that is wrong with a row is a ValueError naming the file
and the line.

By default (``union="foreground"``) the foreground detector also runs on the frames, and each of
its boxes that no file box overlaps with an IoU of `union_iou` or more (the usual test for "the
same object") is added: objects the other detector does not know or misses (carts, bicycles, a
pasted pseudo-anomaly patch) are still scored. ``union="none"`` keeps the file's boxes alone.
"""

import csv
import functools
import hashlib
import io
import json
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from teachers.detection.base import Detector, detections_from_continuous, register_detector
from teachers.detection.foreground import ForegroundDetector

SPLIT_FILES = {"train": "training.csv", "test": "testing.csv"}
COLUMNS = ("video", "frame", "x1", "y1", "x2", "y2", "score")
OPTIONAL_COLUMNS = ("label",)
NUMBERS = COLUMNS[1:]
UNIONS = ("none", "foreground")


class DetectionTable(NamedTuple):
    """Every row of one split file: video ids, frames, (x1, y1, x2, y2) corners, scores, file lines."""

    path: Path
    video: np.ndarray
    frame: np.ndarray
    xyxy: np.ndarray
    score: np.ndarray
    line: np.ndarray


@register_detector("boxes")
class BoxesDetector(Detector):
    """Boxes read from `path`/training.csv and `path`/testing.csv, those below `min_score` dropped,
    with the foreground detector's unmatched boxes added unless ``union="none"``.

    Example:
        >>> detector = BoxesDetector(path="detections/yolov3", min_score=0.5)  # doctest: +SKIP
        >>> detector.check_videos({"test": {"01": (180, (240, 360))}})  # every row checked  # doctest: +SKIP
        >>> detector.detect(frames, VideoIdentity("test", "01", np.arange(180)))[0]  # doctest: +SKIP
    """

    def __init__(self, path=None, min_score=0.0, union="foreground", union_iou=0.5, edge_tolerance=8.0):
        if path is None or not Path(path).is_dir():
            raise ValueError(f"boxes detector path {path!r} is not a folder: pass path=DIR, the folder that "
                             f"holds {' and '.join(SPLIT_FILES.values())}")
        if union not in UNIONS:
            raise ValueError(f"boxes detector union={union!r}: use union=foreground (add the foreground "
                             f"detector's boxes that no file box matches) or union=none (the file's boxes only)")
        for option, value in (("min_score", min_score), ("union_iou", union_iou),
                              ("edge_tolerance", edge_tolerance)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise ValueError(f"boxes detector {option}={value!r}: pass a number")
        self.path = Path(path).resolve()
        self.min_score = float(min_score)
        self.union = union
        self.union_iou = float(union_iou)
        self.edge_tolerance = float(edge_tolerance)
        self._foreground = ForegroundDetector() if union == "foreground" else None
        for split in SPLIT_FILES:
            if self._file(split).is_file():
                self._table(split)  # a malformed file fails here, when the detector is built

    def check_videos(self, videos):
        """ValueError naming the file and line of the first row that does not fit these videos, or
        the missing file of a split that has videos: {split: {video id: (frames, (H, W))}}.

        Example:
            >>> BoxesDetector(path="dets").check_videos({"test": {"01": (180, (240, 360))}})  # doctest: +SKIP
        """
        for split, split_videos in videos.items():
            if split_videos:
                _check_rows(self._table(split), split, split_videos, self.edge_tolerance)

    def input_fingerprint(self):
        """The SHA-256 of each split file's bytes, as JSON, so that changed boxes change the shards' hash.

        Example:
            >>> BoxesDetector(path="dets").input_fingerprint()  # doctest: +SKIP
            '{"testing.csv": "9c1e...", "training.csv": "51ab..."}'
        """
        return json.dumps({name: _file_sha256(*_identity(self.path / name))
                           for name in sorted(SPLIT_FILES.values()) if (self.path / name).is_file()}, sort_keys=True)

    def detect(self, frames, video=None):
        """One (N, 5) float32 array (x1, y1, x2, y2, score) per frame: the file's boxes of the source
        frames `video.frames` of `video.video_id`, clipped to the frame, plus the union's boxes.

        Example:
            >>> detector.detect(frames, VideoIdentity("train", "01", np.arange(len(frames))))  # doctest: +SKIP
        """
        if video is None:
            raise ValueError("the boxes detector reads each video's boxes from its files, but these frames "
                             "come without a video identity: give detect(frames, video=VideoIdentity(...))")
        sources = np.asarray(video.frames, np.int64)
        if len(sources) != len(frames):
            raise ValueError(f"{len(frames)} frames but {len(sources)} source frame indices for video "
                             f"{video.video_id}: give one index per frame")
        table = self._table(video.split)
        keep = (table.video == video.video_id) & (table.score >= self.min_score)
        order = np.argsort(table.frame[keep], kind="stable")
        frame_of_row = table.frame[keep][order]
        xyxy, score = table.xyxy[keep][order], table.score[keep][order]
        starts = np.searchsorted(frame_of_row, sources, side="left")
        ends = np.searchsorted(frame_of_row, sources, side="right")
        detections = [detections_from_continuous(xyxy[a:b], score[a:b], np.shape(frame)[:2])
                      for frame, a, b in zip(frames, starts, ends)]
        if self._foreground is not None:
            foreground = self._foreground.detect(frames)
            detections = [_with_unmatched(found, extra, self.union_iou) for found, extra in zip(detections, foreground)]
        return detections

    def _file(self, split):
        if split not in SPLIT_FILES:
            raise ValueError(f"the boxes detector has files for the splits {', '.join(SPLIT_FILES)}, not {split!r}")
        return self.path / SPLIT_FILES[split]

    def _table(self, split):
        path = self._file(split)
        if not path.is_file():
            raise ValueError(f"{path} is missing: write the {split} split's detections there (header "
                             f"{','.join(COLUMNS)}), or pass path=DIR of a folder that has it")
        return _read_table(*_identity(path))


def _identity(path):
    stat = os.stat(path)
    return str(path), stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=4)
def _file_sha256(path, _mtime_ns, _size):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@functools.lru_cache(maxsize=4)
def _read_table(path, _mtime_ns, _size):
    """Parse and check one split file (once per process; mtime and size key out stale copies)."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not UTF-8 text ({error.reason} at byte {error.start}): write it as a "
                         f"CSV file with header {','.join(COLUMNS)}") from None
    reader = csv.reader(io.StringIO(text))
    header = [name.strip() for name in next(reader, [])]
    if header[:len(COLUMNS)] != list(COLUMNS) or any(n not in OPTIONAL_COLUMNS for n in header[len(COLUMNS):]):
        raise ValueError(f"{path} line 1: the header is {','.join(header) or '(empty)'!r}, but it must be "
                         f"{','.join(COLUMNS)} (optionally followed by label): fix the first line")
    # one row per line after the header (a detections file has no quoted line breaks)
    rows = list(reader)
    lines = np.arange(2, len(rows) + 2)
    lengths = np.fromiter(map(len, rows), np.int64, len(rows))
    blank = lengths == 0
    for index in np.flatnonzero(lengths != len(header)):
        if not any(field.strip() for field in rows[index]):
            blank[index] = True
        elif not blank[index]:
            raise ValueError(f"{path} line {lines[index]}: {lengths[index]} fields, but the header has "
                             f"{len(header)} ({','.join(header)}): fix or remove the row")
    if blank.any():
        rows = [row for row, empty in zip(rows, blank) if not empty]
        lines = lines[~blank]
    columns = list(zip(*rows)) if rows else [()] * len(header)
    values = np.column_stack([_numbers(path, name, columns[1 + i], lines) for i, name in enumerate(NUMBERS)])
    values = values.reshape(len(rows), len(NUMBERS))
    _check_values(path, values, lines)
    return DetectionTable(Path(path), np.array([v.strip() for v in columns[0]], dtype=str),
                          values[:, 0].astype(np.int64), values[:, 1:5], values[:, 5], lines)


def _numbers(path, name, texts, lines):
    try:
        return np.fromiter(map(float, texts), np.float64, len(texts))
    except ValueError:
        for text, line in zip(texts, lines):
            try:
                float(text)
            except ValueError:
                raise ValueError(f"{path} line {line}: {name} {text.strip()!r} is not a number: "
                                 f"fix or remove the row") from None
        raise


def _check_values(path, values, lines):
    def first(bad, message):
        if bad.any():
            index = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{path} line {lines[index]}: {message(values[index])}")

    for column, name in enumerate(NUMBERS):
        first(~np.isfinite(values[:, column]),
              lambda row, c=column, n=name: f"{n} is {row[c]:g}: every frame, coordinate and score must be a "
                                            f"finite number; fix or remove the row")
    frames = values[:, 0]
    first((frames < 0) | (frames != np.floor(frames)),
          lambda row: f"frame {row[0]:g} is not a frame index: frames are numbered 0, 1, 2, ... in each video")
    for low, high, axis in ((1, 3, "x"), (2, 4, "y")):
        first(values[:, high] < values[:, low],
              lambda row, lo=low, hi=high, a=axis: f"{a}2 {row[hi]:g} is less than {a}1 {row[lo]:g}: write each "
                                                   f"box as x1,y1,x2,y2 with x1 <= x2 and y1 <= y2")


def _check_rows(table, split, videos, tolerance):
    known = np.array(sorted(videos), dtype=str)
    unknown = ~np.isin(table.video, known)
    if unknown.any():
        index = int(np.flatnonzero(unknown)[0])
        shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
        raise ValueError(f"{table.path} line {table.line[index]}: video {str(table.video[index])!r} is not a {split} "
                         f"video of the dataset (those are {shown}): fix the video column or remove its rows")
    for video_id, (num_frames, (height, width)) in videos.items():
        rows = np.flatnonzero(table.video == video_id)
        late = rows[table.frame[rows] >= num_frames]
        if len(late):
            index = late[0]
            raise ValueError(f"{table.path} line {table.line[index]}: frame {table.frame[index]} of {split} video "
                             f"{video_id} is out of range: the video has {num_frames} frames, numbered 0 to "
                             f"{num_frames - 1}")
        x1, y1, x2, y2 = table.xyxy[rows].T
        beyond = np.maximum.reduce([-x1, -y1, x2 - width, y2 - height])
        outside = rows[beyond > tolerance]
        if len(outside):
            index = outside[0]
            box = ", ".join(f"{v:g}" for v in table.xyxy[index])
            raise ValueError(f"{table.path} line {table.line[index]}: box ({box}) reaches "
                             f"{beyond[np.searchsorted(rows, index)]:.1f} px outside the {width}x{height} frames of "
                             f"{split} video {video_id} (at most {tolerance:g} px are clipped): write boxes in "
                             f"pixels of the source frames, or raise edge_tolerance")


def _with_unmatched(found, extra, max_iou):
    """`found` plus the `extra` boxes that no box of `found` overlaps with an IoU of `max_iou` or more.

    Example:
        >>> found = np.array([[0, 0, 9, 9, 0.9]], np.float32)
        >>> _with_unmatched(found, np.array([[1, 1, 9, 9, 0.5], [20, 0, 29, 9, 0.5]], np.float32), 0.5)[:, 0].tolist()
        [0.0, 20.0]
    """
    if len(extra) == 0 or len(found) == 0:
        return np.concatenate([found, extra]).astype(np.float32)
    a, b = extra[:, None, :4].astype(np.float64), found[None, :, :4].astype(np.float64)
    width = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]) + 1, 0, None)
    height = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]) + 1, 0, None)
    inter = width * height
    area_a = (a[..., 2] - a[..., 0] + 1) * (a[..., 3] - a[..., 1] + 1)
    area_b = (b[..., 2] - b[..., 0] + 1) * (b[..., 3] - b[..., 1] + 1)
    unmatched = (inter / (area_a + area_b - inter)).max(axis=1) < max_iou
    return np.concatenate([found, extra[unmatched]]).astype(np.float32)
