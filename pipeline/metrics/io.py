"""Reading and checking metric inputs, writing the metrics JSON.

Formats (INTERFACES.md): scores JSON ``{"<video>": [float per frame]}``; labels JSON
``{"<video>": [0 or 1 per frame]}`` or a dataset root; regions CSV
``video,frame,x1,y1,x2,y2,score``; tracks CSV ``video,track,frame,x1,y1,x2,y2``; frames 0-based,
boxes in inclusive pixel coordinates. Every problem raises one FastaedError that names the file
and says what to do.
"""
import csv
import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pipeline.atomic_files import atomic_output
from pipeline.errors import FastaedError
from pipeline.metrics.boxes import Region, TrackRegion
from pipeline.metrics.tracks import tracks_from_masks

REGION_COLUMNS = ("video", "frame", "x1", "y1", "x2", "y2", "score")
TRACK_COLUMNS = ("video", "track", "frame", "x1", "y1", "x2", "y2")


def read_scores(path):
    """Read a scores JSON into ``{video: float64 array}``; every score must be a finite number.

    Example:
        >>> read_scores("scores.json")          # doctest: +SKIP
        {'01': array([0.12, 0.15, ...])}
    """
    path = Path(path)
    per_video = _read_video_lists(path, "scores")
    scores = {}
    for video, values in per_video.items():
        for frame, value in enumerate(values):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise FastaedError(f"{path}: video {video!r} frame {frame}: score {value!r} is not a number: "
                                   f"give one number per frame")
            if not math.isfinite(value):
                raise FastaedError(f"{path}: video {video!r} frame {frame}: score is {value}: "
                                   f"scores must be finite numbers (no NaN or infinity)")
        scores[video] = np.asarray(values, dtype=np.float64)
    return scores


def read_labels(path):
    """Read frame labels ``{video: uint8 array of 0/1}`` from a labels JSON or a dataset root.

    A folder is opened with :func:`pipeline.datasets.open_dataset` and its test videos' frame
    labels are used.

    Example:
        >>> read_labels("data/synthetic")       # doctest: +SKIP
        {'01': array([0, 0, 1, ...], dtype=uint8)}
    """
    path = Path(path)
    if not path.exists():
        raise FastaedError(f"{path}: no such labels file or dataset folder: give a labels JSON or a dataset root")
    if path.is_dir():
        from pipeline.datasets import open_dataset

        labels = {video: np.asarray(frames, dtype=np.uint8)
                  for video, frames in open_dataset(path).frame_labels().items()}
        if not labels:
            raise FastaedError(f"{path}: the dataset has no frame labels for its test videos: "
                               f"give a labels JSON or a dataset with ground truth")
        return labels
    labels = {}
    for video, values in _read_video_lists(path, "labels").items():
        for frame, value in enumerate(values):
            if isinstance(value, bool) or value not in (0, 1):
                raise FastaedError(f"{path}: video {video!r} frame {frame}: label {value!r} is not 0 or 1: "
                                   f"use 0 for normal and 1 for anomalous frames")
        labels[video] = np.asarray(values, dtype=np.uint8)
    return labels


def check_scores_match_labels(scores, labels, scores_path, labels_path):
    """Raise unless the scores cover exactly the labelled videos with one score per frame.

    Example:
        >>> check_scores_match_labels({"01": [0.1]}, {"01": [0]}, "s.json", "l.json")
    """
    unknown = sorted(set(scores) - set(labels))
    if unknown:
        raise FastaedError(f"{scores_path}: scores for unknown videos {_names(unknown)} (not in "
                           f"{labels_path}, which has {_names(sorted(labels))}): score the labelled videos only")
    missing = sorted(set(labels) - set(scores))
    if missing:
        raise FastaedError(f"{scores_path}: no scores for videos {_names(missing)} of {labels_path}: "
                           f"score every labelled video")
    for video in sorted(labels):
        if len(scores[video]) != len(labels[video]):
            raise FastaedError(f"{scores_path}: video {video!r} has {len(scores[video])} scores but "
                               f"{labels_path} has {len(labels[video])} frames: give one score per frame")


def read_regions(path):
    """Read a predicted-regions CSV into a list of :class:`Region` (may be empty).

    Example:
        >>> read_regions("regions.csv")         # doctest: +SKIP
        [Region(video='01', frame=17, x1=10.0, y1=20.0, x2=49.0, y2=89.0, score=0.93)]
    """
    return [Region(row["video"], _integer(path, line, "frame", row["frame"], minimum=0), *_box(path, line, row),
                   _number(path, line, "score", row["score"]))
            for line, row in _read_csv_rows(path, REGION_COLUMNS)]


def read_tracks(path):
    """Read a ground-truth tracks CSV into a list of :class:`TrackRegion` (at least one row).

    A track may have one region per frame.

    Example:
        >>> read_tracks("tracks.csv")           # doctest: +SKIP
        [TrackRegion(video='01', track=0, frame=17, x1=12.0, y1=22.0, x2=47.0, y2=90.0)]
    """
    rows, seen = [], {}
    for line, row in _read_csv_rows(path, TRACK_COLUMNS):
        region = TrackRegion(row["video"], _integer(path, line, "track", row["track"]),
                             _integer(path, line, "frame", row["frame"], minimum=0), *_box(path, line, row))
        key = (region.video, region.track, region.frame)
        if key in seen:
            raise FastaedError(f"{path}: line {line}: track {region.track} of video {region.video!r} already "
                               f"has a region in frame {region.frame} (line {seen[key]}): one region per track and frame")
        seen[key] = line
        rows.append(region)
    if not rows:
        raise FastaedError(f"{path}: no ground-truth regions: RBDC and TBDC need at least one anomalous region")
    return rows


def tracks_from_dataset(root):
    """Ground-truth tracks of a dataset's test videos, derived from their pixel masks.

    Example:
        >>> tracks_from_dataset("data/synthetic")[0]    # doctest: +SKIP
        TrackRegion(video='01', track=0, frame=40, x1=101, y1=60, x2=118, y2=95)
    """
    from pipeline.datasets import open_dataset

    videos = [video for video in open_dataset(root).test if video.has_masks]
    if not videos:
        raise FastaedError(f"{root}: the dataset has no pixel masks to derive ground-truth tracks from: "
                           f"give --tracks TRACKS.csv")
    rows = []
    for video in tqdm(videos, desc="tracks from masks", unit="video"):
        rows += tracks_from_masks(video.id, (video.mask(i) for i in range(len(video))))
    if not rows:
        raise FastaedError(f"{root}: the pixel masks hold no anomalous region: RBDC and TBDC need at least one")
    return rows


def check_rows_in_labels(rows, labels, path, labels_path):
    """Raise unless every row's video is labelled and its frame lies inside that video.

    Example:
        >>> check_rows_in_labels([Region("01", 0, 0, 0, 1, 1, 0.5)], {"01": [0, 1]}, "r.csv", "l.json")
    """
    for row in rows:
        if row.video not in labels:
            raise FastaedError(f"{path}: region in unknown video {row.video!r} (not in {labels_path}, "
                               f"which has {_names(sorted(labels))}): use the labelled video ids")
        if row.frame >= len(labels[row.video]):
            raise FastaedError(f"{path}: region in frame {row.frame} of video {row.video!r}, which has "
                               f"{len(labels[row.video])} frames (0-based): fix the frame index")


def write_json_atomic(path, data):
    """Write ``data`` as JSON to a temporary name in the same folder, then rename it into place.

    Example:
        >>> write_json_atomic("report/metrics.json", {"micro_auc": 0.95})   # doctest: +SKIP
    """
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    with atomic_output(path) as temporary:
        temporary.write_text(text)


def _read_video_lists(path, what):
    """Read ``{video: [values]}`` JSON; checks everything but the values themselves."""
    if not path.is_file():
        raise FastaedError(f"{path}: no such {what} file: give the path of a {what} JSON")
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    if not text.strip():
        raise FastaedError(f"{path}: the {what} file is empty: expected {{\"<video>\": [...]}}")

    def refuse_repeated_videos(pairs):
        repeated = sorted(key for key, count in Counter(key for key, _ in pairs).items() if count > 1)
        if repeated:
            raise FastaedError(f"{path}: videos {_names(repeated)} appear more than once: give each video once")
        return dict(pairs)

    try:
        data = json.loads(text, object_pairs_hook=refuse_repeated_videos)
    except json.JSONDecodeError as error:
        raise FastaedError(f"{path}: not valid JSON ({error.msg} at line {error.lineno} column {error.colno}): "
                           f"expected {{\"<video>\": [...]}}") from None
    if not isinstance(data, dict):
        raise FastaedError(f"{path}: the {what} must be a JSON object mapping video ids to lists, "
                           f"not a {type(data).__name__}")
    if not data:
        raise FastaedError(f"{path}: no videos in the {what} file: expected {{\"<video>\": [...]}}")
    for video, values in data.items():
        if not isinstance(values, list):
            raise FastaedError(f"{path}: video {video!r}: expected a list of per-frame {what}, "
                               f"got a {type(values).__name__}")
        if not values:
            raise FastaedError(f"{path}: video {video!r} has no {what}: give one per frame")
    return data


def _read_csv_rows(path, columns):
    """Yield (line number, row dict) of a CSV with at least ``columns`` in its header."""
    path = Path(path)
    if not path.is_file():
        raise FastaedError(f"{path}: no such CSV file: give the path of a CSV with columns {','.join(columns)}")
    with open(path, newline="", encoding="utf-8", errors="replace") as file:
        reader = csv.DictReader(file)
        header = reader.fieldnames
        if not header:
            raise FastaedError(f"{path}: the file is empty: expected a header line {','.join(columns)}")
        missing = [column for column in columns if column not in header]
        if missing:
            raise FastaedError(f"{path}: missing columns {','.join(missing)} in the header "
                               f"{','.join(header)}: expected {','.join(columns)}")
        try:
            for row in reader:
                line = reader.line_num
                if None in row or None in row.values():
                    raise FastaedError(f"{path}: line {line} has a different number of fields than the "
                                       f"header ({len(header)}): give one value per column")
                yield line, row
        except csv.Error as error:
            raise FastaedError(f"{path}: line {reader.line_num}: malformed CSV ({error})") from None


def _number(path, line, column, text):
    try:
        value = float(text)
    except ValueError:
        raise FastaedError(f"{path}: line {line}: {column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise FastaedError(f"{path}: line {line}: {column} is {text!r}: give a finite number")
    return value


def _integer(path, line, column, text, minimum=None):
    value = _number(path, line, column, text)
    if value != int(value) or (minimum is not None and value < minimum):
        bound = f" >= {minimum}" if minimum is not None else ""
        raise FastaedError(f"{path}: line {line}: {column} {text!r} is not an integer{bound}")
    return int(value)


def _box(path, line, row):
    x1, y1, x2, y2 = (_number(path, line, column, row[column]) for column in ("x1", "y1", "x2", "y2"))
    if x2 < x1 or y2 < y1:
        raise FastaedError(f"{path}: line {line}: box ({x1:g}, {y1:g}, {x2:g}, {y2:g}) has x2 < x1 or "
                           f"y2 < y1: boxes are inclusive pixel coordinates x1 <= x2, y1 <= y2")
    return x1, y1, x2, y2


def _names(videos, limit=5):
    shown = ", ".join(repr(v) for v in videos[:limit])
    return f"[{shown}{', ...' if len(videos) > limit else ''}]"
