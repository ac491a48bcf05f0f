"""RBDC / TBDC against curves derived by hand from Ramachandra and Jones' definition.

Notation in the comments: a curve point is (false positives per frame, detection rate) after all
regions scoring >= a threshold are taken, thresholds descending, starting at (0, 0); points with a
rate above 1 are dropped and the last one kept is extended flat to rate 1; area by trapezoids.
"""
import pytest

from pipeline.errors import FastaedError
from pipeline.metrics import Region, TrackRegion, area_up_to_rate_one, detection_curves, localization_metrics

SQUARE = (0, 0, 9, 9)       # inclusive: 10 x 10 = 100 pixels
FAR = (100, 100, 109, 109)  # overlaps nothing


def gt(video, track, frame, box=SQUARE):
    return TrackRegion(video, track, frame, *box)


def region(video, frame, box, score):
    return Region(video, frame, *box, score)


def test_iou_exactly_one_tenth_is_a_match():
    # Predicted strip (0, 0, 9, 0): 10 x 1 = 10 pixels, all inside the 100-pixel square:
    # IoU = 10 / (100 + 10 - 10) = 0.1 -> true positive. Curve (0, 0), (0, 1) -> extended (1, 1): area 1.
    assert localization_metrics([region("v", 0, (0, 0, 9, 0), 0.9)], [gt("v", 0, 0)], 10) == \
        {"rbdc": 1.0, "tbdc": 1.0}


def test_iou_just_below_one_tenth_is_a_false_positive():
    # Strip (0, 0, 8, 0): 9 pixels -> IoU = 9 / 100 = 0.09 < 0.1 -> false positive, 1 of 10 frames.
    # Curve (0, 0), (0.1, 0) -> extended (1, 0): area 0.
    curves = detection_curves([region("v", 0, (0, 0, 8, 0), 0.9)], [gt("v", 0, 0)], 10)
    assert curves.fp_rate.tolist() == [0.0, 0.1]
    assert curves.region_rate.tolist() == [0.0, 0.0]
    assert localization_metrics([region("v", 0, (0, 0, 8, 0), 0.9)], [gt("v", 0, 0)], 10)["rbdc"] == 0.0


def test_duplicate_detection_is_neither_true_nor_false_positive():
    # Two GT regions in frame 0 of 4 frames: g1 = SQUARE (track 0), g2 = (50, 50, 59, 59) (track 1).
    # Regions: 0.9 on g1 (TP), 0.8 on g1 again (duplicate), 0.7 on g2 (TP).
    # Points: (0, 0), (0, 1/2), (0, 1/2), (0, 1) -> extended (1, 1): area 1.
    # (Had the duplicate counted as a false positive: (1/4, 1/2), (1/4, 1) -> area 0.875.)
    second = (50, 50, 59, 59)
    truth = [gt("v", 0, 0), gt("v", 1, 0, second)]
    regions = [region("v", 0, SQUARE, 0.9), region("v", 0, SQUARE, 0.8), region("v", 0, second, 0.7)]
    curves = detection_curves(regions, truth, 4)
    assert curves.fp_rate.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert curves.region_rate.tolist() == [0.0, 0.5, 0.5, 1.0]
    assert localization_metrics(regions, truth, 4) == {"rbdc": 1.0, "tbdc": 1.0}


def test_one_box_matching_two_regions_is_two_true_positives():
    # g1 = SQUARE and g2 = (10, 0, 19, 9) in frame 0 (tracks 0 and 1), 5 frames. The box
    # (0, 0, 19, 9) has 200 pixels and covers each 100-pixel region: IoU 100 / 200 = 0.5 for both.
    # A false positive ranks first (0.95). Points: (0, 0), (1/5, 0), (1/5, 2/2) -> extended (1, 1):
    # area 0.2 * 0 + 0.8 * 1 = 0.8 for regions and for tracks (each track is one region).
    # (One true positive only would give 0.8 * 0.5 = 0.4.)
    truth = [gt("v", 0, 0), gt("v", 1, 0, (10, 0, 19, 9))]
    regions = [region("v", 0, FAR, 0.95), region("v", 0, (0, 0, 19, 9), 0.9)]
    curves = detection_curves(regions, truth, 5)
    assert curves.fp_rate.tolist() == pytest.approx([0.0, 0.2, 0.2])
    assert curves.region_rate.tolist() == [0.0, 0.0, 1.0]
    assert localization_metrics(regions, truth, 5) == pytest.approx({"rbdc": 0.8, "tbdc": 0.8})


def test_points_past_rate_one_are_dropped_and_the_curve_extended_flat():
    # 2 frames; g1 in frame 0 (track 0), g2 in frame 1 (track 1). Regions by score:
    #   0.9 FP -> (1/2, 0); 0.8 TP g1 -> (1/2, 1/2); 0.7 FP -> (1, 1/2); 0.6 FP -> (3/2, 1/2) dropped;
    #   0.5 TP g2 -> (3/2, 1) dropped.
    # Kept: (0, 0), (1/2, 0), (1/2, 1/2), (1, 1/2), extended (1, 1/2):
    # area = 0 + 0 + (1 - 1/2) * 1/2 = 0.25. Tracks are single regions, so TBDC is the same.
    # (Keeping the dropped points would add (3/2 - 1) * 1/2 and more.)
    truth = [gt("v", 0, 0), gt("v", 1, 1)]
    regions = [region("v", 0, FAR, 0.9), region("v", 0, SQUARE, 0.8), region("v", 1, FAR, 0.7),
               region("v", 0, FAR, 0.6), region("v", 1, SQUARE, 0.5)]
    curves = detection_curves(regions, truth, 2)
    assert curves.fp_rate.tolist() == [0.0, 0.5, 0.5, 1.0, 1.5, 1.5]
    assert curves.region_rate.tolist() == [0.0, 0.0, 0.5, 0.5, 0.5, 1.0]
    assert localization_metrics(regions, truth, 2) == {"rbdc": 0.25, "tbdc": 0.25}


def test_area_extends_a_curve_that_stops_short_of_rate_one():
    # (0, 0), (0.2, 0.4), (0.5, 0.6) -> extended (1, 0.6):
    # 0.2 * (0 + 0.4) / 2 + 0.3 * (0.4 + 0.6) / 2 + 0.5 * 0.6 = 0.04 + 0.15 + 0.3 = 0.49
    assert area_up_to_rate_one([0.0, 0.2, 0.5], [0.0, 0.4, 0.6]) == pytest.approx(0.49)


def test_track_is_detected_once_ten_percent_of_its_regions_match():
    # Track A: video "a", frames 0-9 (10 regions); track B: video "b", frames 0-10 (11 regions);
    # 21 frames in all. Regions: 0.9 TP a/0; 0.85 FP; 0.8 TP b/0; 0.75 FP; 0.7 TP b/1.
    # A: 1 of 10 = 10% -> detected at 0.9. B: 1 of 11 < 10% at 0.8, 2 of 11 >= 10% at 0.7.
    # Track points: (0, 0), (0, 1/2), (1/21, 1/2), (1/21, 1/2), (2/21, 1/2), (2/21, 1) -> (1, 1):
    #   TBDC = (1/21) 1/2 + (1/21) 1/2 + (19/21) 1 = 20/21.
    # Region points: (0, 0), (0, 1/21), (1/21, 1/21), (1/21, 2/21), (2/21, 2/21), (2/21, 3/21) -> (1, 3/21):
    #   RBDC = (1/21)(1/21) + (1/21)(2/21) + (19/21)(3/21) = 60/441.
    truth = [gt("a", 0, f) for f in range(10)] + [gt("b", 0, f) for f in range(11)]
    regions = [region("a", 0, SQUARE, 0.9), region("a", 5, FAR, 0.85), region("b", 0, SQUARE, 0.8),
               region("b", 5, FAR, 0.75), region("b", 1, SQUARE, 0.7)]
    result = localization_metrics(regions, truth, 21)
    assert result["tbdc"] == pytest.approx(20 / 21)
    assert result["rbdc"] == pytest.approx(60 / 441)


def test_tied_scores_enter_together():
    # One frame, one GT region; a TP and an FP share score 0.5: one threshold takes both,
    # so the points are (0, 0), (1, 1): area 0.5, whichever comes first in the input.
    truth = [gt("v", 0, 0)]
    tp, fp = region("v", 0, SQUARE, 0.5), region("v", 0, FAR, 0.5)
    assert localization_metrics([tp, fp], truth, 1) == {"rbdc": 0.5, "tbdc": 0.5}
    assert localization_metrics([fp, tp], truth, 1) == {"rbdc": 0.5, "tbdc": 0.5}


def test_same_frame_number_in_another_video_does_not_match():
    # The region is in video "w" frame 0, the GT in video "v" frame 0: a false positive.
    result = localization_metrics([region("w", 0, SQUARE, 0.9)], [gt("v", 0, 0)], 4)
    assert result == {"rbdc": 0.0, "tbdc": 0.0}


def test_no_regions_gives_zero_and_bad_inputs_are_errors():
    assert localization_metrics([], [gt("v", 0, 0)], 3) == {"rbdc": 0.0, "tbdc": 0.0}
    with pytest.raises(FastaedError, match="no ground-truth regions"):
        localization_metrics([region("v", 0, SQUARE, 0.9)], [], 3)
    with pytest.raises(FastaedError, match="positive number of test frames"):
        localization_metrics([region("v", 0, SQUARE, 0.9)], [gt("v", 0, 0)], 0)
