"""Overlay videos: the map coloured where it is high, the frame untouched where it is not, files complete or absent."""
import cv2
import numpy as np
import pytest

from pipeline.errors import FastaedError
from pipeline.overlay import FULL_SCALE, OverlayWriter, blend_map


def test_colour_where_the_map_is_high_and_the_grey_frame_elsewhere():
    frame = np.full((64, 96), 100, np.uint8)
    anomaly_map = np.zeros((16, 16), np.float32)
    anomaly_map[:4, :4] = 2 * FULL_SCALE
    image = blend_map(frame, anomaly_map)
    assert image.shape == (64, 96, 3)
    assert (image[40:, 40:] == 100).all()  # map 0: the frame as it was
    top_left = image[2, 2].astype(int)
    assert top_left.max() - top_left.min() > 50  # saturated JET colour (red), not grey
    assert (blend_map(frame, -anomaly_map) == 100).all()  # below-normal values add no colour


def test_writer_renames_a_complete_video_and_removes_a_failed_one(tmp_path):
    frame, anomaly_map = np.full((48, 64), 80, np.uint8), np.ones((16, 16), np.float32)
    with OverlayWriter(tmp_path / "ok.mp4", fps=10) as writer:
        for index in range(5):
            writer.write(frame, anomaly_map, index, 1.0)
    capture, count = cv2.VideoCapture(str(tmp_path / "ok.mp4")), 0
    while capture.read()[0]:
        count += 1
    assert count == 5
    with pytest.raises(RuntimeError), OverlayWriter(tmp_path / "failed.avi") as writer:
        writer.write(frame, anomaly_map, 0, 1.0)
        raise RuntimeError("the stream broke")
    assert [p.name for p in tmp_path.iterdir()] == ["ok.mp4"]
    with pytest.raises(FastaedError, match=r"\.mp4"):
        OverlayWriter(tmp_path / "x.mkv")
