"""Frame-level ground-truth files: which frames of each test video are anomalous.

Formats read:
- ``frame_labels.json`` ``{"<video>": [0, 1, ...]}`` and ``frame_labels.npz`` (one array per video);
- ``*.mat`` with a variable ``gt``: a 1xN cell of [start; end] columns, 1-based inclusive, one cell
  per test video in order (the ano_pred ``ped2.mat`` / ``avenue.mat``);
- UCSD's ``UCSDpedN.m``: ``TestVideoFile{end+1}.gt_frame = [61:180];`` per test video in order,
  1-based inclusive, several ranges separated by commas;
- a folder of ``<video>.npy`` (T,) arrays (ShanghaiTech's ``test_frame_mask``).

Each file must give labels for every test video (metrics would otherwise skip some silently).
"""
import json
import re

import numpy as np

from pipeline.datasets.array_files import load_mat_variable, load_npy, load_npz, numeric_array
from pipeline.datasets.listing import visible_entries
from pipeline.errors import FastaedError

PER_VIDEO_FILES = ("frame_labels.json", "frame_labels.npz")
RANGE_SUFFIXES = (".mat", ".m")


def find_frame_label_files(*folders):
    """The frame-level ground-truth files directly inside the given folders (missing folders are skipped).

    Example:
        >>> [path.name for path in find_frame_label_files(Path("ped2"), Path("ped2/gt"))]
        ['UCSDped2.m', 'frame_labels.json', 'frame_labels.npz', 'ped2.mat']
    """
    return [entry for folder in folders if folder.is_dir() for entry in visible_entries(folder)
            if entry.is_file() and (entry.name in PER_VIDEO_FILES or entry.suffix.lower() in RANGE_SUFFIXES)]


def read_frame_labels(path, counts):
    """``{video_id: (where, (T,) uint8 0/1 labels)}`` from one ground-truth file (or folder of ``.npy`` files).

    ``where`` names the file the labels of that video come from, for error messages.

    ``counts`` maps each test video id to its frame count, in the dataset's video order (files
    of ranges list the videos in that order).

    Example:
        >>> where, labels = read_frame_labels(Path("ped2/gt/ped2.mat"), {"01": 180, "02": 180, ...})["01"]
        >>> labels[59:62]
        array([0, 1, 1], dtype=uint8)
    """
    if path.is_dir():
        labels = {video_id: found for file in visible_entries(path) if file.suffix == ".npy"
                  for video_id, found in _per_video_labels(file, {file.stem: _load_npy(file)}, counts).items()}
        _require_every_video(path, labels, counts, "{}.npy")
        return labels
    if path.name == "frame_labels.json":
        labels = _per_video_labels(path, _load_json(path), counts)
    elif path.name == "frame_labels.npz":
        labels = _per_video_labels(path, _load_npz(path), counts)
    else:
        ranges = _mat_ranges(path) if path.suffix.lower() == ".mat" else _ucsd_m_ranges(path)
        return _labels_from_ranges(path, ranges, counts)
    _require_every_video(path, labels, counts, "labels")
    return labels


def _require_every_video(path, labels, counts, entry):
    """Ground truth for some test videos only would make the metrics silently skip the others."""
    missing = [video_id for video_id in counts if video_id not in labels]
    if missing:
        more = f" (and {len(missing) - 1} more test videos)" if len(missing) > 1 else ""
        raise FastaedError(f"{path} has no {entry.format(missing[0])} for test video {missing[0]}{more}: "
                           "add its frame labels (one 0/1 per frame) or remove the video")


def _load_json(path):
    try:
        labels = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise FastaedError(f"{path} is not valid JSON ({error}): fix or remove it") from None
    if not isinstance(labels, dict):
        raise FastaedError(f"{path} must hold an object {{\"<video>\": [0, 1, ...]}}: fix or remove it")
    return labels


def _load_npz(path):
    return load_npz(path, "one (frames,) array of 0/1 frame labels per test video, "
                          "as numpy.savez(path, **{video_id: labels}) writes")


def _load_npy(path):
    return load_npy(path, "a (frames,) array of 0/1 frame labels")


def _per_video_labels(path, raw, counts):
    labels = {}
    for video_id, values in raw.items():
        if video_id not in counts:
            raise FastaedError(f"{path} has labels for {video_id!r}, which is not a test video here: "
                               "remove that entry or add the video")
        where = f"{path}: the labels of test video {video_id}"
        array = numeric_array(values, where, "a list of 0 and 1, one per frame")
        if array.ndim != 1:
            raise FastaedError(f"{where} must be a list of 0 and 1, one per frame, not an array of shape "
                               f"{array.shape}: fix them")
        wrong = np.flatnonzero(~np.isin(array, (0, 1)))
        if wrong.size:
            raise FastaedError(f"{where} must be a list of 0 and 1, but frame {wrong[0]} (0-based) has "
                               f"{array[wrong[0]].item()!r}: fix them")
        labels[video_id] = (str(path), array.astype(np.uint8))
    return labels


def _mat_ranges(path):
    gt = load_mat_variable(path, "gt", "a cell of [start; end] frame ranges per test video")
    if gt is None or gt.dtype != object:
        raise FastaedError(f"{path} has no cell array 'gt' of [start; end] frame ranges: "
                           f"remove it from {path.parent} or write it in the ano_pred format")
    per_video = []
    for number, cell in enumerate(gt.ravel(), start=1):
        columns = numeric_array(cell, f"{path}: 'gt' cell {number}", "[start; end] frame numbers").astype(np.int64)
        if columns.size == 0:
            per_video.append([])
            continue
        if columns.ndim == 1:
            columns = columns.reshape(2, -1)
        elif columns.shape[0] != 2 and columns.shape[1] == 2:
            columns = columns.T
        if columns.shape[0] != 2:
            raise FastaedError(f"{path}: a 'gt' cell has shape {columns.shape}, not 2 x ranges: fix the file")
        per_video.append([(int(start), int(end)) for start, end in columns.T])
    return per_video


def _ucsd_m_ranges(path):
    code = "\n".join(line.split("%")[0] for line in path.read_text(errors="replace").splitlines())
    entries = re.findall(r"gt_frame\s*=\s*\[([^\]]*)\]", code)
    if not entries:
        raise FastaedError(f"{path} has no 'gt_frame = [...]' lines: remove it from {path.parent} "
                           "or use UCSD's UCSDpedN.m")
    per_video = []
    for entry in entries:
        ranges = []
        for start, end, single in re.findall(r"(\d+)\s*:\s*(\d+)|(\d+)", entry):
            ranges.append((int(start), int(end)) if single == "" else (int(single), int(single)))
        per_video.append(ranges)
    return per_video


def _labels_from_ranges(path, per_video, counts):
    if len(per_video) != len(counts):
        raise FastaedError(f"{path} lists {len(per_video)} test videos but the dataset has {len(counts)}: "
                           "use the ground truth that belongs to these videos")
    labels = {}
    for (video_id, count), ranges in zip(counts.items(), per_video):
        video_labels = np.zeros(count, np.uint8)
        for start, end in ranges:
            if not 1 <= start <= end <= count:
                raise FastaedError(f"{path}: anomalous frames {start}-{end} of test video {video_id} do not fit "
                                   f"its {count} frames (1-based, inclusive): fix the file or the video's frames")
            video_labels[start - 1:end] = 1
        labels[video_id] = (str(path), video_labels)
    return labels
