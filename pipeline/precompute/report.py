"""``SHARDS/report.json``: how good and how fast the teachers are on the test split.

Frame score of a teacher = the maximum of its map in that frame (the calibrated score of the
frame's most anomalous object, 0 without objects), read back from the float16 shard maps the
student learns from. The ensemble's map is the mean of the teachers' calibrated maps (their
scales are comparable by calibration), and its frame score is that map's maximum. Scores are
smoothed per video with a Gaussian of ``sigma`` frames (default :data:`DEFAULT_SIGMA`) before
the AUCs; the same numbers without smoothing are under ``unsmoothed``. AUCs come from
:func:`pipeline.metrics.frame_metrics`: ``macro_auc`` is the padded convention,
``macro_auc_plain`` leaves single-class videos out.
"""
import json
from pathlib import Path

import numpy as np

from pipeline.atomic_files import atomic_output
from pipeline.metrics import frame_metrics, smooth_scores
from pipeline.precompute.config import DEFAULT_SIGMA
from pipeline.shards.reader import open_shard

REPORT_NAME = "report.json"
ENSEMBLE = "ensemble"


def frame_scores(shard_paths, teachers):
    """{teacher or "ensemble": {video: (T,) float64 frame scores}} from the test shards.

    Example:
        >>> scores = frame_scores(list_shards("shards", "test"), ["density"])   # doctest: +SKIP
        >>> sorted(scores)                                                      # doctest: +SKIP
        ['density', 'ensemble']
    """
    scores = {name: {} for name in (*teachers, ENSEMBLE)}
    for path in shard_paths:
        with open_shard(path) as shard:
            maps = {t: shard.read_map(t).astype(np.float32) for t in teachers}
        for teacher, teacher_maps in maps.items():
            scores[teacher][shard.video] = teacher_maps.max(axis=(1, 2)).astype(np.float64)
        mean_map = np.mean([maps[t] for t in teachers], axis=0)
        scores[ENSEMBLE][shard.video] = mean_map.max(axis=(1, 2)).astype(np.float64)
    return scores


def build_report(test_shards, all_shards, teachers, labels, sigma=DEFAULT_SIGMA):
    """The report dict: AUCs per teacher and for the ensemble, and the teachers' seconds per frame.

    ``labels`` maps test video ids to 0/1 frame labels; test videos without labels are left out
    of the AUCs (all AUCs are None when no video has labels).

    Example:
        >>> report = build_report(test, test + train, ["density"], dataset.frame_labels())  # doctest: +SKIP
        >>> report["teachers"]["density"]["micro_auc"]                                       # doctest: +SKIP
        0.93
    """
    scores = frame_scores(test_shards, teachers)
    labelled = sorted(set(labels) & set(scores[ENSEMBLE]))
    report = {"frame_score": "max of the map per frame; ensemble = max of the mean of the teachers' maps",
              "smoothing": {"mode": "gaussian", "sigma": sigma},
              "test_videos": len(scores[ENSEMBLE]), "labelled_test_videos": len(labelled)}
    for key, smoothing in (("smoothed", sigma), ("unsmoothed", 0.0)):
        results = {name: _aucs(per_video, labels, labelled, smoothing) for name, per_video in scores.items()}
        section = {"teachers": {t: results[t] for t in teachers}, ENSEMBLE: results[ENSEMBLE]}
        if key == "smoothed":
            report.update(section)
        else:
            report["unsmoothed"] = section
    report.update(_timing(all_shards))
    return report


def write_report(path, report):
    """Write the report JSON atomically.

    Example:
        >>> write_report("shards/report.json", report)                 # doctest: +SKIP
    """
    with atomic_output(Path(path)) as tmp:
        tmp.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")


def _aucs(per_video, labels, labelled, sigma):
    if not labelled:
        return {"micro_auc": None, "macro_auc": None, "macro_auc_plain": None}
    smoothed = smooth_scores({v: per_video[v] for v in labelled}, sigma)
    metrics = frame_metrics(smoothed, {v: np.asarray(labels[v]) for v in labelled})
    return {key: metrics[key] for key in ("micro_auc", "macro_auc", "macro_auc_plain")}


def _timing(shard_paths):
    frames, seconds, parts = 0, 0.0, {}
    for path in shard_paths:
        shard = open_shard(path)
        frames += shard.num_frames
        seconds += shard.attrs["teacher_seconds_per_frame"] * shard.num_frames
        for part, value in json.loads(shard.attrs.get("teacher_seconds", "{}")).items():
            parts[part] = parts.get(part, 0.0) + value
    if not frames:
        return {"seconds_per_frame": None}
    return {"seconds_per_frame": seconds / frames, "frames_per_second": frames / seconds if seconds else None,
            "seconds_per_frame_by_part": {part: value / frames for part, value in sorted(parts.items())},
            "timed_frames": frames}
