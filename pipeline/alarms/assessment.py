"""How alarms at a calibrated threshold do on a labelled test split (`evaluate`'s ``alarms`` block).

The scores are smoothed as `score` smooths them (the calibration's causal Gaussian) and turned
into events as `score --false-alarm-rate F` would turn them, video by video. Two numbers say
what an operator would live with:

* ``frame_false_alarm_rate``: the fraction of normal test frames whose smoothed score is above
  the threshold (the calibration promises about F on footage like its own);
* ``events_detected``: the fraction of anomalous events (maximal runs of anomalous frames of a
  video) that at least one reported event overlaps.

``false_events`` counts reported events that overlap no anomalous frame.
"""
import numpy as np
from scipy import ndimage

from pipeline.alarms.calibration import threshold_for_rate
from pipeline.alarms.events import DEFAULT_MERGE_GAP, DEFAULT_MIN_DURATION, events_of_scores
from pipeline.evaluation.causal_smoothing import causal_smoothed

DEFAULT_ASSESSED_RATE = 0.01
"""The false-alarm rate `evaluate` sets its threshold at (`score --false-alarm-rate 0.01`)."""


def anomalous_intervals(labels):
    """The maximal runs of anomalous frames of one video, as ``(start, end)`` inclusive.

    Example:
        >>> anomalous_intervals([0, 1, 1, 0, 0, 1])
        [(1, 2), (5, 5)]
    """
    runs, count = ndimage.label(np.asarray(labels) > 0)
    return [(int(found.start), int(found.stop) - 1) for found, in ndimage.find_objects(runs)[:count]]


def assess_alarms(raw_scores, labels, calibration, rate=DEFAULT_ASSESSED_RATE, min_duration=DEFAULT_MIN_DURATION,
                  merge_gap=DEFAULT_MERGE_GAP):
    """The alarms block of a report: threshold, frame false-alarm rate, anomalous events detected.

    ``raw_scores`` and ``labels`` map video ids to unsmoothed frame scores and 0/1 frame labels;
    ``calibration`` is the checkpoint's (:mod:`pipeline.alarms.calibration`).

    Example:
        >>> calibration = {"quantiles": list(np.linspace(0, 1, 1001)), "causal_sigma": 0.0}
        >>> block = assess_alarms({"a": np.r_[np.zeros(8), np.ones(4)]}, {"a": np.r_[np.zeros(8), np.ones(4)]},
        ...                       calibration, rate=0.5)
        >>> block["frame_false_alarm_rate"], block["events_detected"], block["false_events"]
        (0.0, 1.0, 0)
    """
    threshold = threshold_for_rate(calibration, rate)
    sigma = float(calibration["causal_sigma"])
    normal_frames = alarming_normal = 0
    intervals = detected = events_total = false_events = 0
    for video in sorted(raw_scores):
        truth = np.asarray(labels[video]) > 0
        smoothed = causal_smoothed(raw_scores[video], sigma)
        normal_frames += int((~truth).sum())
        alarming_normal += int(((smoothed > threshold) & ~truth).sum())
        events = events_of_scores(video, smoothed, threshold, min_duration, merge_gap)
        events_total += len(events)
        false_events += sum(not truth[event.start:event.end + 1].any() for event in events)
        for start, end in anomalous_intervals(truth):
            intervals += 1
            detected += any(event.start <= end and start <= event.end for event in events)
    return {
        "false_alarm_rate": float(rate), "threshold": float(threshold), "causal_sigma": sigma,
        "min_duration": int(min_duration), "merge_gap": int(merge_gap),
        "frame_false_alarm_rate": alarming_normal / normal_frames if normal_frames else None,
        "anomalous_events": intervals, "anomalous_events_detected": detected,
        "events_detected": detected / intervals if intervals else None,
        "events": events_total, "false_events": int(false_events),
    }
