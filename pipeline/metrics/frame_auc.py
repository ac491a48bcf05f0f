"""Frame-level ROC AUC as the field reports it: micro, macro (padded and plain), per video.

Padded convention: each video is scored as ``[0] + labels + [1]`` against
``[bottom] + scores + [top]`` with ``bottom = min(scores)`` and ``top = max(scores)`` of that
video. The reference code min-max normalises each video's scores to [0, 1] and then pads with the
literal values 0 and 1; since AUC depends only on the order of the scores, using the video's own
minimum and maximum gives exactly the same number without rescaling anything, for scores on any
scale (a literal 0 would land in the middle of scores that can be negative). Ties count half, as
in scikit-learn, so the padded points tie with the video's lowest and highest frame just as the
normalised reference does. A padded AUC exists for every video, so single-class videos count.

Plain convention: ordinary ROC AUC per video; videos with a single class are left out.
"""
import numpy as np
from sklearn.metrics import roc_auc_score

from pipeline.errors import FastaedError


def padded_video_auc(scores, labels):
    """AUC of one video under the padded convention (defined even when the video has one class).

    Example:
        >>> padded_video_auc([0.2, 0.9, 0.5], [0, 0, 0])   # one padded positive, tied once
        0.875
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    padded_labels = np.concatenate(([0], labels, [1]))
    padded_scores = np.concatenate(([scores.min()], scores, [scores.max()]))
    return float(roc_auc_score(padded_labels, padded_scores))


def plain_video_auc(scores, labels):
    """Ordinary AUC of one video, or None when its frames are all normal or all anomalous.

    Example:
        >>> plain_video_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
        0.75
        >>> plain_video_auc([0.1, 0.4], [0, 0]) is None
        True
    """
    labels = np.asarray(labels)
    if np.unique(labels).size < 2:
        return None
    return float(roc_auc_score(labels, np.asarray(scores, dtype=np.float64)))


def frame_metrics(scores, labels):
    """Micro AUC, macro AUC in both conventions, and per-video AUCs.

    ``scores`` and ``labels`` map the same video ids to equally long 1-D arrays (labels 0/1).
    Returns ``micro_auc`` (all frames of all videos concatenated), ``macro_auc`` (padded
    convention, mean of ``per_video_auc``), ``macro_auc_plain`` (mean over the videos with both
    classes, None if there is none), ``per_video_auc`` (padded, every video) and
    ``per_video_auc_plain`` (None for single-class videos). Videos are listed in sorted order.

    Example:
        >>> m = frame_metrics({"a": np.array([0.1, 0.4, 0.35, 0.8])}, {"a": np.array([0, 0, 1, 1])})
        >>> m["micro_auc"], m["macro_auc_plain"]
        (0.75, 0.75)
    """
    check_frame_inputs(scores, labels)
    videos = sorted(labels)
    all_labels = np.concatenate([np.asarray(labels[v]) for v in videos])
    all_scores = np.concatenate([np.asarray(scores[v], dtype=np.float64) for v in videos])
    per_video = {v: padded_video_auc(scores[v], labels[v]) for v in videos}
    per_video_plain = {v: plain_video_auc(scores[v], labels[v]) for v in videos}
    two_class = [auc for auc in per_video_plain.values() if auc is not None]
    return {
        "micro_auc": float(roc_auc_score(all_labels, all_scores)),
        "macro_auc": float(np.mean(list(per_video.values()))),
        "macro_auc_plain": float(np.mean(two_class)) if two_class else None,
        "per_video_auc": per_video,
        "per_video_auc_plain": per_video_plain,
    }


def check_frame_inputs(scores, labels):
    """FastaedError unless ``scores`` and ``labels`` cover the same videos, frame for frame, with both classes.

    Example:
        >>> check_frame_inputs({"a": [0.1, 0.2]}, {"a": [0, 1]})
    """
    if set(scores) != set(labels):
        missing = sorted(set(labels) - set(scores))
        extra = sorted(set(scores) - set(labels))
        raise FastaedError(f"scores and labels cover different videos (no scores for {missing}, "
                           f"no labels for {extra}): give scores for exactly the labelled videos")
    if not labels:
        raise FastaedError("no videos to evaluate: give scores and labels for at least one video")
    videos = sorted(labels)
    for video in videos:
        if len(scores[video]) != len(labels[video]):
            raise FastaedError(f"video {video!r} has {len(scores[video])} scores but "
                               f"{len(labels[video])} labels: give one score per frame")
    if np.unique(np.concatenate([np.asarray(labels[v]) for v in videos])).size < 2:
        raise FastaedError("the labels hold only one class: AUC needs both normal and anomalous frames")
