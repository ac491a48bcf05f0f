"""Builders of tiny copies of each dataset layout, shared by the test_datasets* and dataset-info tests.

This module holds no tests. Frames are random noise so that any mix-up of frame order shows.
"""
import json
import os

import cv2
import numpy as np
import scipy.io

SIZE = (24, 32)  # (H, W)


def random_frames(seed, count, size=SIZE):
    """(count, H, W) uint8 noise, different for every seed."""
    return np.random.default_rng(seed).integers(0, 256, (count, *size), dtype=np.uint8)


def smooth_frames(seed, count, size=SIZE):
    """(count, H, W) uint8 frames that JPEG keeps close: a gradient plus a per-frame level."""
    rows, cols = np.mgrid[:size[0], :size[1]]
    levels = np.random.default_rng(seed).integers(20, 200, count)
    return np.stack([(level + rows + cols).clip(0, 255).astype(np.uint8) for level in levels])


def masks_for(labels, size=SIZE):
    """(T, H, W) uint8 masks in {0, 255}: a small box in every frame labelled 1, in a place that moves."""
    masks = np.zeros((len(labels), *size), np.uint8)
    for index, label in enumerate(labels):
        if label:
            masks[index, 2 + index % 5:6 + index % 5, 3:9] = 255
    return masks


def write_images(folder, frames, name="{:03d}.png", first=0):
    """Write one image per frame into ``folder`` named ``name.format(first + index)``."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(frames):
        assert cv2.imwrite(str(folder / name.format(first + index)), frame)
    return folder


def write_avi(path, frames, fps=25):
    """A lossless FFV1 grayscale .avi that OpenCV reads back exactly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames.shape[1:]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), fps, (width, height), isColor=False)
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def save_ranges_mat(path, ranges_per_video):
    """ano_pred ``gt`` cell: one 2 x K [start; end] (1-based inclusive) array per test video."""
    cells = np.empty((1, len(ranges_per_video)), dtype=object)
    for index, ranges in enumerate(ranges_per_video):
        cells[0, index] = np.array(ranges, dtype=np.uint8).T.reshape(2, -1)
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, {"gt": cells})


def save_vol_label(path, masks):
    """Avenue ``N_label.mat``: cell ``volLabel`` of one (H, W) mask per frame."""
    cells = np.empty((1, len(masks)), dtype=object)
    for index, mask in enumerate(masks):
        cells[0, index] = (mask > 0).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, {"volLabel": cells})


def labels_from_ranges(count, ranges):
    """(count,) uint8 labels from 1-based inclusive ranges."""
    labels = np.zeros(count, np.uint8)
    for start, end in ranges:
        labels[start - 1:end] = 1
    return labels


def build_repacked(root, test_labels=None, masks=True, label_file="json"):
    """The re-packed layout: 2 training videos, 2 test videos (png frames), masks, frame labels.

    Returns ``{"train": {id: frames}, "test": {id: frames}, "labels": {id: labels}}``.
    """
    train = {"01": random_frames(1, 5), "02": random_frames(2, 4)}
    test = {"01": random_frames(3, 6), "02": random_frames(4, 5)}
    labels = test_labels or {"01": np.array([0, 0, 1, 1, 1, 0], np.uint8), "02": np.array([1, 1, 0, 0, 0], np.uint8)}
    for video_id, frames in train.items():
        write_images(root / "training" / "frames" / video_id, frames)
    for video_id, frames in test.items():
        write_images(root / "testing" / "frames" / video_id, frames)
        if masks:
            write_images(root / "testing" / "pixel_masks" / video_id, masks_for(labels[video_id]))
    (root / "gt").mkdir(parents=True)
    if label_file == "json":
        (root / "gt" / "frame_labels.json").write_text(
            json.dumps({video_id: [int(value) for value in values] for video_id, values in labels.items()}))
    return {"train": train, "test": test, "labels": labels}


def cut_in_half(path):
    """Keep only the first half of the bytes of ``path``, as an interrupted copy does."""
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return path


def non_utf8(folder, name):
    """``folder / name`` where ``name`` (bytes) is not UTF-8 (Latin-1 from an old system), as Python names it."""
    return folder / os.fsdecode(name)
