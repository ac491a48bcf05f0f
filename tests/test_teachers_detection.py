import importlib.util

import numpy as np
import pytest

from teachers.boxes import pairwise_iou
from teachers.detection import available_detectors, build_detector, merge_fragments
from test_teachers_scene import blob_video


def test_foreground_detector_finds_each_moving_blob():
    blobs = [
        {"x": 5, "y": 10, "vx": 1.5, "vy": 0, "w": 8, "h": 18, "value": 220},
        {"x": 100, "y": 55, "vx": -1.0, "vy": 0.3, "w": 10, "h": 20, "value": 40},
    ]
    frames, truth = blob_video(blobs, num_frames=30)
    detections = build_detector("foreground", min_area=40).detect(frames)
    assert len(detections) == len(frames)
    for row in truth:
        found = detections[int(row[0])]
        assert found.dtype == np.float32 and found.shape[1] == 5
        assert pairwise_iou(row[None, 1:5], found[:, :4]).max() >= 0.5, f"blob missed in frame {int(row[0])}"
    # Nothing else: at most one box per blob.
    assert max(len(d) for d in detections) <= 2


def test_foreground_detector_ignores_sensor_noise_on_a_static_scene():
    frames, _ = blob_video([], num_frames=20)
    assert sum(len(d) for d in build_detector("foreground").detect(frames)) == 0


def test_foreground_detector_coordinates_are_inclusive_and_inside_the_frame():
    frames, _ = blob_video([{"x": -3, "y": 70, "vx": 3, "vy": 0, "w": 10, "h": 30, "value": 250}], num_frames=40)
    for found in build_detector("foreground", min_area=20).detect(frames)[:5]:
        assert len(found) == 1
        x1, y1, x2, y2, score = found[0]
        assert 0 <= x1 <= x2 <= 127 and 0 <= y1 <= y2 <= 95
        assert y2 == 95  # the blob reaches the bottom row, inclusive
        assert 0 < score <= 1


def test_fragments_stacked_vertically_merge_but_neighbours_do_not():
    boxes = np.array([[10, 10, 17, 15], [11, 18, 18, 30], [40, 10, 47, 30]])
    assert merge_fragments(boxes, gap=3).tolist() == [[10, 10, 18, 30], [40, 10, 47, 30]]


def test_registry_lists_backends_and_names_them_on_unknown_name():
    assert available_detectors()[:4] == ["boxes", "detectron2", "foreground", "torchvision"]
    with pytest.raises(ValueError, match="unknown detector 'yolo'.*boxes, detectron2, foreground, torchvision"):
        build_detector("yolo")


def test_unknown_option_is_named():
    with pytest.raises(ValueError, match="has no option 'treshold'.*threshold"):
        build_detector("foreground", treshold=3)


@pytest.mark.skipif(importlib.util.find_spec("torchvision") is not None, reason="torchvision is installed")
def test_torchvision_backend_without_torchvision_says_how_to_install_it():
    with pytest.raises(ValueError, match=r"torchvision is not installed: pip install 'fastaed\[torchvision\]'"):
        build_detector("torchvision", checkpoint="model.pth")


@pytest.mark.skipif(importlib.util.find_spec("detectron2") is not None, reason="detectron2 is installed")
def test_detectron2_backend_without_detectron2_says_it_is_not_on_pypi():
    with pytest.raises(ValueError, match="detectron2 is not installed, and it is not on PyPI.*git\\+https"):
        build_detector("detectron2", config="c.yaml", weights="w.pkl")
