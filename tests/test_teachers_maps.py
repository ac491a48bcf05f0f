import numpy as np
import pytest

from teachers import link_and_smooth, paint_maps
from teachers.maps import map_size


def test_grid_is_frame_size_over_cell_rounded_up():
    assert paint_maps(np.zeros((0, 6)), [], 3, (240, 360)).shape == (3, 30, 45)
    assert paint_maps(np.zeros((0, 6)), [], 2, (241, 359)).shape == (2, 31, 45)
    assert map_size((100, 20), cell=16) == (7, 2)


def test_box_covers_every_cell_its_inclusive_pixels_touch():
    # x 0..7 is exactly cell 0; x 0..8 reaches pixel 8, the first of cell 1; y 8..15 is row 1 only.
    maps = paint_maps([[0, 0, 8, 7, 15, 1], [1, 0, 8, 8, 15, 1]], [1.0, 2.0], 2, (32, 32))
    assert maps[0].tolist()[:3] == [[0, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    assert maps[1].tolist()[:3] == [[0, 0, 0, 0], [2, 2, 0, 0], [0, 0, 0, 0]]


def test_overlapping_boxes_keep_the_max_and_empty_cells_stay_zero():
    boxes = [[0, 0, 0, 15, 15, 1], [0, 8, 8, 23, 23, 1], [0, 8, 8, 9, 9, 1]]
    maps = paint_maps(boxes, [3.0, 5.0, 1.0], 1, (32, 32))
    assert maps[0, 0, 0] == 3 and maps[0, 1, 1] == 5 and maps[0, 2, 2] == 5
    assert maps[0, 3, 3] == 0 and maps.dtype == np.float32


def test_negative_scores_are_clipped_to_zero():
    maps = paint_maps([[0, 0, 0, 7, 7, 1]], [-2.5], 1, (16, 16))
    assert maps.min() == 0 and maps.max() == 0


def test_boxes_past_the_frame_edge_are_clipped():
    maps = paint_maps([[0, 30, 30, 60, 60, 1]], [1.0], 1, (40, 40))
    assert maps[0, 3:, 3:].tolist() == [[1, 1], [1, 1]] and maps.sum() == 4


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="2 boxes but 1 scores"):
        paint_maps([[0, 0, 0, 1, 1, 1]] * 2, [1.0], 1, (8, 8))
    with pytest.raises(ValueError, match="video has 2 frames"):
        paint_maps([[2, 0, 0, 1, 1, 1]], [1.0], 2, (8, 8))
    with pytest.raises(ValueError, match=r"expected \(N, 6\)"):
        paint_maps(np.zeros((2, 5)), [1.0, 1.0], 1, (8, 8))


def test_link_and_smooth_outvotes_a_single_odd_frame_of_one_object():
    track = [[t, 10, 10, 20, 30, 1] for t in range(7)]
    other = [[t, 60, 10, 70, 30, 1] for t in range(7)]
    scores = [0, 0, 0, 9, 0, 0, 0] + [5] * 7
    smoothed = link_and_smooth(np.array(track + other, np.float32), scores, radius=2)
    assert smoothed[:7].tolist() == [0] * 7  # the spike is gone
    assert smoothed[7:].tolist() == [5] * 7  # the other object keeps its own scores


def test_link_and_smooth_keeps_a_sustained_anomaly():
    track = np.array([[t, 10, 10, 20, 30, 1] for t in range(10)], np.float32)
    scores = np.array([0] * 5 + [4] * 5, np.float32)
    assert link_and_smooth(track, scores, radius=2)[6:].tolist() == [4] * 4
