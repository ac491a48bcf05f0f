"""RBDC and TBDC (Ramachandra and Jones, WACV 2020) with alpha = beta = 0.1.

The definition ranks all predicted regions by score and walks down the list: a region is a true
positive for every not-yet-matched ground-truth region of its frame whose box IoU with it is at
least 0.1; with no such ground-truth region at all it is a false positive; when all such regions
are already matched (a duplicate) it counts as neither. A track is detected once at least 10% of
its regions are matched. The false-positive rate is false positives per frame over all test
frames, and RBDC / TBDC are the areas under region / track detection rate against that rate.

That walk has a closed form, used here: after the regions scoring >= t have been taken, a
ground-truth region is matched exactly when one of those regions overlaps it (IoU >= 0.1), and
the false positives are exactly those regions that overlap no ground-truth region at all. So
each ground-truth region gets a match score (the best score among the regions that overlap it),
each track a detection score (the k-th best match score among its regions, k = ceil(10% of its
length)), and every curve point is a count of scores >= t.

Curve conventions:

* One point per distinct predicted score, in decreasing order. With distinct scores this is the
  reference's point-per-region sweep; regions with equal scores enter together (no threshold can
  separate them), so the result does not depend on the order of the input.
* The curve starts at (0, 0), the operating point of a threshold above every score (nothing
  predicted). Detections ranked before the first false positive make a vertical rise at rate 0,
  which adds no area; a first step that brings false positives and detections together is a
  straight line from the origin.
* Points with a false-positive rate above 1 are dropped (not interpolated); the last point kept is
  extended flat to rate 1; the area is the trapezoid rule. The x-range is [0, 1], so both areas
  lie in [0, 1].
"""
import math
from collections import defaultdict
from typing import NamedTuple

import numpy as np

from pipeline.errors import FastaedError
from pipeline.metrics.boxes import box_ious

IOU_THRESHOLD = 0.1
TRACK_FRACTION = 0.1
# An IoU of exactly 0.1 in pixels (10 of 100) must not be lost to floating-point rounding.
_ROUNDING = 1e-9


class DetectionCurves(NamedTuple):
    """Points of the region and track detection curves, rising false-positive rate, from (0, 0).

    Not yet cut at rate 1: :func:`area_up_to_rate_one` does that.

    Example:
        >>> c = DetectionCurves(np.array([0.0, 0.5]), np.array([0.0, 1.0]), np.array([0.0, 1.0]))
        >>> float(area_up_to_rate_one(c.fp_rate, c.region_rate))
        0.75
    """

    fp_rate: np.ndarray
    region_rate: np.ndarray
    track_rate: np.ndarray


def detection_curves(regions, tracks, num_frames, iou_threshold=IOU_THRESHOLD,
                     track_fraction=TRACK_FRACTION):
    """Sweep the threshold over the predicted regions' scores (see the module docstring).

    ``regions``: iterable of :class:`~pipeline.metrics.boxes.Region` (or 7-tuples video, frame,
    x1, y1, x2, y2, score); ``tracks``: iterable of
    :class:`~pipeline.metrics.boxes.TrackRegion` (video, track, frame, x1, y1, x2, y2), one per
    ground-truth region; ``num_frames``: all test frames, for the false-positive rate.

    Example:
        >>> from pipeline.metrics.boxes import Region, TrackRegion
        >>> gt = [TrackRegion("01", 0, 0, 0, 0, 9, 9)]
        >>> c = detection_curves([Region("01", 0, 0, 0, 9, 9, 0.8), Region("01", 1, 0, 0, 9, 9, 0.5)], gt, 2)
        >>> c.fp_rate.tolist(), c.region_rate.tolist()
        ([0.0, 0.0, 0.5], [0.0, 1.0, 1.0])
    """
    if num_frames <= 0:
        raise FastaedError(f"the false-positive rate needs a positive number of test frames, got {num_frames}")
    gt = list(tracks)
    if not gt:
        raise FastaedError("no ground-truth regions: RBDC and TBDC need at least one anomalous region")
    gt_boxes = np.array([[r[3], r[4], r[5], r[6]] for r in gt], dtype=np.float64)
    gt_in_frame = defaultdict(list)
    regions_of_track = defaultdict(list)
    for index, (video, track, frame, *_box) in enumerate(gt):
        gt_in_frame[(video, frame)].append(index)
        regions_of_track[(video, track)].append(index)
    gt_in_frame = {key: np.array(indices) for key, indices in gt_in_frame.items()}

    match_score = np.full(len(gt), -np.inf)
    region_scores, false_positive_scores = [], []
    for video, frame, x1, y1, x2, y2, score in regions:
        region_scores.append(score)
        candidates = gt_in_frame.get((video, frame))
        if candidates is None:
            false_positive_scores.append(score)
            continue
        hits = candidates[box_ious((x1, y1, x2, y2), gt_boxes[candidates]) >= iou_threshold - _ROUNDING]
        if hits.size == 0:
            false_positive_scores.append(score)
        else:
            match_score[hits] = np.maximum(match_score[hits], score)

    track_score = np.array([_track_detection_score(match_score[indices], track_fraction)
                            for indices in regions_of_track.values()])
    thresholds = np.unique(np.asarray(region_scores, dtype=np.float64))[::-1]
    return DetectionCurves(
        fp_rate=_from_origin(_count_at_least(false_positive_scores, thresholds) / num_frames),
        region_rate=_from_origin(_count_at_least(match_score, thresholds) / len(gt)),
        track_rate=_from_origin(_count_at_least(track_score, thresholds) / len(track_score)),
    )


def area_up_to_rate_one(fp_rate, detection_rate):
    """Trapezoid area under a detection curve: points with rate <= 1 kept, the last one extended flat to 1.

    Example:
        >>> float(area_up_to_rate_one([0.0, 0.5, 1.0, 1.5], [0.0, 0.0, 0.5, 1.0]))   # (1.5, 1.0) dropped
        0.125
    """
    fp_rate = np.asarray(fp_rate, dtype=np.float64)
    detection_rate = np.asarray(detection_rate, dtype=np.float64)
    keep = fp_rate <= 1.0
    x = np.append(fp_rate[keep], 1.0)
    y = np.append(detection_rate[keep], detection_rate[keep][-1])
    return float(np.trapezoid(y, x))


def localization_metrics(regions, tracks, num_frames, iou_threshold=IOU_THRESHOLD,
                         track_fraction=TRACK_FRACTION):
    """RBDC and TBDC, fractions in [0, 1]; arguments as for :func:`detection_curves`.

    Example:
        >>> from pipeline.metrics.boxes import Region, TrackRegion
        >>> localization_metrics([Region("01", 0, 0, 0, 9, 9, 0.9)], [TrackRegion("01", 0, 0, 0, 0, 9, 9)], 10)
        {'rbdc': 1.0, 'tbdc': 1.0}
    """
    curves = detection_curves(regions, tracks, num_frames, iou_threshold, track_fraction)
    return {"rbdc": area_up_to_rate_one(curves.fp_rate, curves.region_rate),
            "tbdc": area_up_to_rate_one(curves.fp_rate, curves.track_rate)}


def _track_detection_score(match_scores, track_fraction):
    """Highest threshold at which at least ``track_fraction`` of the track's regions are matched."""
    needed = max(1, math.ceil(track_fraction * len(match_scores) - _ROUNDING))
    return np.sort(match_scores)[::-1][needed - 1]


def _count_at_least(values, thresholds):
    values = np.sort(np.asarray(values, dtype=np.float64))
    return values.size - np.searchsorted(values, thresholds, side="left")


def _from_origin(rates):
    return np.concatenate(([0.0], rates))
