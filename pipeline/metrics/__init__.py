"""The field's evaluation protocol: frame AUCs (and the reference codes' conventions), temporal smoothing,
RBDC/TBDC, tracks, plots.

Example:
    >>> import numpy as np
    >>> from pipeline.metrics import smooth_scores, frame_metrics, localization_metrics, Region, TrackRegion
    >>> scores = smooth_scores({"01": np.array([0.1, 0.4, 0.35, 0.8])}, sigma=0)
    >>> frame_metrics(scores, {"01": np.array([0, 0, 1, 1])})["micro_auc"]
    0.75
    >>> localization_metrics([Region("01", 2, 0, 0, 9, 9, 0.7)], [TrackRegion("01", 0, 2, 0, 0, 9, 9)], num_frames=4)
    {'rbdc': 1.0, 'tbdc': 1.0}
"""
from pipeline.metrics.boxes import Region, TrackRegion, box_ious
from pipeline.metrics.conventions import CONVENTIONS, DEFAULT_CONVENTION, convention_metrics, convention_smoothing
from pipeline.metrics.frame_auc import check_frame_inputs, frame_metrics, padded_video_auc, plain_video_auc
from pipeline.metrics.io import (
    check_rows_in_labels,
    check_scores_match_labels,
    read_labels,
    read_regions,
    read_scores,
    read_tracks,
    tracks_from_dataset,
    write_json_atomic,
)
from pipeline.metrics.localization import (
    DetectionCurves,
    area_up_to_rate_one,
    detection_curves,
    localization_metrics,
)
from pipeline.metrics.plots import plot_file_names, plot_roc, plot_roc_curves, plot_video_scores
from pipeline.metrics.smoothing import (
    REFERENCE_SIGMA,
    REFERENCE_WINDOW,
    reference_taps,
    smooth_reference,
    smooth_scores,
)
from pipeline.metrics.tracks import regions_from_maps, tracks_from_masks

__all__ = [
    "CONVENTIONS", "DEFAULT_CONVENTION", "DetectionCurves", "REFERENCE_SIGMA", "REFERENCE_WINDOW", "Region", "TrackRegion",
    "area_up_to_rate_one", "box_ious", "check_frame_inputs", "check_rows_in_labels",
    "convention_metrics", "convention_smoothing", "check_scores_match_labels",
    "detection_curves", "frame_metrics", "localization_metrics", "padded_video_auc",
    "plain_video_auc", "plot_file_names", "plot_roc", "plot_roc_curves", "plot_video_scores", "read_labels",
    "read_regions", "read_scores", "read_tracks", "reference_taps", "regions_from_maps",
    "smooth_reference", "smooth_scores", "tracks_from_dataset", "tracks_from_masks",
    "write_json_atomic",
]
