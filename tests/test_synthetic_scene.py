"""The synthetic scene is a fair benchmark: anomalies are visible to background subtraction and
told apart from normal people only by what a detector sees (speed, direction, place, shape).

The checks read the written files only: a per-video temporal-median background, connected
components, DIS optical flow and nearest neighbours, the kind of weight-free object-level
detector the teachers build on.
"""
import json

import cv2
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

from pipeline.synthetic import ANOMALY_KINDS, write_synthetic


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    root = tmp_path_factory.mktemp("scene") / "synthetic"
    write_synthetic(root, seed=0, progress=False)
    return root


def _frames(folder):
    return np.stack([cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted(folder.glob("*.jpg"))])


def _masks(folder):
    return np.stack([cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) > 0 for p in sorted(folder.glob("*.png"))])


def _foreground(frames, background, t):
    moving = (np.abs(frames[t].astype(np.int16) - background) > 30).astype(np.uint8)
    moving = cv2.morphologyEx(moving, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    return cv2.morphologyEx(moving, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))


def _object_features(frames):
    """Per frame, an (N, 5) array for its foreground blobs: speed / height (flow inside the blob),
    share of vertical motion, bottom row, width / height, height."""
    background = np.median(frames, axis=0).astype(np.int16)
    flow_of = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    height = frames.shape[1]
    per_frame = []
    for t in range(len(frames)):
        count, labels, stats, _ = cv2.connectedComponentsWithStats(_foreground(frames, background, t))
        before, after = max(t - 1, 0), min(t + 1, len(frames) - 1)
        flow = flow_of.calc(frames[before], frames[after], None) / max(after - before, 1)
        rows = []
        for blob in range(1, count):
            x, y, w, h, area = stats[blob]
            if area < 25:
                continue
            inside = flow[labels == blob]
            speed = np.linalg.norm(inside, axis=1)
            vertical = np.abs(inside[:, 1]).mean() / (np.abs(inside[:, 0]).mean() + 0.3)
            rows.append([np.percentile(speed, 90) / h, vertical, (y + h) / height, w / h, h / height])
        per_frame.append(np.array(rows, np.float64).reshape(-1, 5))
    return per_frame


def test_anomalies_stand_out_from_the_background(scene):
    for video in sorted((scene / "testing/frames").iterdir()):
        frames = _frames(video)
        masks = _masks(scene / "testing/pixel_masks" / video.name)
        background = np.median(frames, axis=0)
        difference = np.abs(frames.astype(np.float32) - background)[masks]
        assert difference.mean() > 40, video.name
        assert (difference > 25).mean() > 0.7, video.name


def test_a_simple_object_detector_separates_every_kind_of_anomaly(scene):
    train = np.concatenate([blobs for video in sorted((scene / "training/frames").iterdir())
                            for blobs in _object_features(_frames(video))])
    mean, spread = train.mean(axis=0), train.std(axis=0) + 1e-6
    neighbours = NearestNeighbors(n_neighbors=3).fit((train - mean) / spread)
    labels = json.loads((scene / "gt/frame_labels.json").read_text())
    events = json.loads((scene / "gt/anomalies.json").read_text())["events"]
    scores, truth, kinds = [], [], []
    for video, video_labels in labels.items():
        for t, blobs in enumerate(_object_features(_frames(scene / "testing/frames" / video))):
            distance = neighbours.kneighbors((blobs - mean) / spread)[0].mean(axis=1) if len(blobs) else [0.0]
            scores.append(float(np.max(distance)))
            truth.append(video_labels[t])
            kinds.append({e["kind"] for e in events if e["video"] == video and e["first_frame"] <= t <= e["last_frame"]})
    scores, truth = np.array(scores), np.array(truth)
    assert roc_auc_score(truth, scores) >= 0.9
    for kind in ANOMALY_KINDS:
        chosen = np.array([kind in k for k in kinds]) | (truth == 0)
        assert roc_auc_score(truth[chosen], scores[chosen]) >= 0.8, kind


def _blob_medians(frames, masks=None):
    """(median grey level, mostly inside the anomaly mask) of each foreground blob of a video."""
    background = np.median(frames, axis=0).astype(np.int16)
    for t in range(len(frames)):
        count, blobs, stats, _ = cv2.connectedComponentsWithStats(_foreground(frames, background, t))
        for blob in range(1, count):
            if stats[blob, 4] >= 25:
                pixels = blobs == blob
                yield float(np.median(frames[t][pixels])), masks is not None and masks[t][pixels].mean() > 0.5


def test_anomalies_wear_the_grey_levels_of_normal_people(scene):
    """No intensity code: anomalies are drawn from the same grey palette as normal people."""
    normal = [grey for video in sorted((scene / "training/frames").iterdir())
              for grey, _ in _blob_medians(_frames(video))]
    anomalous = []
    for video in sorted((scene / "testing/frames").iterdir()):
        for grey, inside in _blob_medians(_frames(video), _masks(scene / "testing/pixel_masks" / video.name)):
            (anomalous if inside else normal).append(grey)
    low, high = np.percentile(anomalous, [5, 95])
    assert min(normal) - 10 <= low and high <= max(normal) + 10
    assert low < np.median(normal) < high  # anomalies come in dark and light clothes too
