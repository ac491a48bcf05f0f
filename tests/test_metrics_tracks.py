"""Ground-truth tracks from pixel masks and predicted regions from anomaly maps."""
import numpy as np
import pytest

from pipeline.errors import FastaedError
from pipeline.metrics import Region, TrackRegion, regions_from_maps, tracks_from_masks


def blank(frames, height=8, width=10):
    return np.zeros((frames, height, width), dtype=bool)


def test_components_linked_by_overlap_into_tracks():
    masks = blank(3)
    masks[0, 1:3, 1:3] = True      # A
    masks[0, 1:4, 5:7] = True      # B
    masks[1, 1:3, 2:4] = True      # A moved right by one: overlaps A of frame 0
    masks[1, 1:4, 5:7] = True      # B still
    masks[2, 1:3, 3:5] = True      # A again: overlaps A of frame 1 in column 3 (B has ended)
    masks[2, 5:7, 0:2] = True      # C: overlaps nothing -> new track 2
    # Components are numbered in row-major scan order; boxes are inclusive (x1, y1, x2, y2).
    assert tracks_from_masks("v", masks) == [
        TrackRegion("v", 0, 0, 1, 1, 2, 2), TrackRegion("v", 1, 0, 5, 1, 6, 3),
        TrackRegion("v", 0, 1, 2, 1, 3, 2), TrackRegion("v", 1, 1, 5, 1, 6, 3),
        TrackRegion("v", 0, 2, 3, 1, 4, 2), TrackRegion("v", 2, 2, 0, 5, 1, 6),
    ]


def test_diagonal_pixels_form_one_component():
    masks = blank(1)
    masks[0, 2, 2] = masks[0, 3, 3] = True
    assert tracks_from_masks("v", masks) == [TrackRegion("v", 0, 0, 2, 2, 3, 3)]


def test_gap_of_an_empty_frame_starts_a_new_track():
    masks = blank(3)
    masks[0, 1:3, 1:3] = True
    masks[2, 1:3, 1:3] = True
    assert [row.track for row in tracks_from_masks("v", masks)] == [0, 1]


def test_merge_continues_the_larger_overlap_and_split_starts_a_new_track():
    masks = blank(3, 6, 12)
    masks[0, 1:3, 0:2] = True      # small blob, track 0
    masks[0, 1:3, 4:9] = True      # large blob, track 1
    masks[1, 1:3, 0:9] = True      # merged: overlaps track 0 by 4 px, track 1 by 10 px -> track 1
    masks[2, 1:3, 0:2] = True      # split: left part overlaps merged blob by 4 px -> new track 2
    masks[2, 1:3, 3:9] = True      #        right part overlaps by 12 px -> continues track 1
    rows = tracks_from_masks("v", masks)
    assert [(row.frame, row.track, row.x1) for row in rows] == [(0, 0, 0), (0, 1, 4), (1, 1, 0), (2, 2, 0), (2, 1, 3)]


def test_masks_are_read_lazily_from_any_iterable():
    def masks():
        for frame in range(3):
            mask = np.zeros((4, 4), dtype=np.uint8)
            mask[frame, frame] = 255
            yield mask
    # each pixel touches the previous one only at a corner, so there is no pixel overlap
    assert [row.track for row in tracks_from_masks("v", masks())] == [0, 1, 2]


def test_bad_masks_are_errors():
    with pytest.raises(FastaedError, match="frame 1 has no pixel mask"):
        tracks_from_masks("v", [np.zeros((4, 4), bool), None])
    with pytest.raises(FastaedError, match="must have one size"):
        tracks_from_masks("v", [np.zeros((4, 4), bool), np.zeros((5, 4), bool)])


def test_regions_from_map_components_scored_by_their_maximum():
    anomaly_map = np.array([[0.9, 0.6, 0.0, 0.0],
                            [0.0, 0.0, 0.0, 0.7],
                            [0.3, 0.0, 0.0, 0.8]])
    assert regions_from_maps("v", [np.zeros((3, 4)), anomaly_map], threshold=0.5) == [
        Region("v", 1, 0, 0, 1, 0, 0.9), Region("v", 1, 3, 1, 3, 2, 0.8)]


def test_regions_from_upsampled_map():
    # A 2 x 2 map with 1 in its top-left cell, resized bilinearly to 16 x 16 (OpenCV, pixel
    # centres aligned): output pixel d samples source coordinate (d + 0.5) / 8 - 0.5, clamped at 0,
    # so the value is (1 - fx)(1 - fy). Along the top rows (fy = 0) it exceeds 0.5 while
    # fx < 0.5, i.e. d <= 7; the component's box is therefore (0, 0, 7, 7), its maximum 1.
    anomaly_map = np.array([[1.0, 0.0], [0.0, 0.0]])
    assert regions_from_maps("v", [anomaly_map], threshold=0.5, frame_size=(16, 16)) == [
        Region("v", 0, 0, 0, 7, 7, 1.0)]
