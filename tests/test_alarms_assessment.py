"""The alarms assessment of `evaluate` on vectors worked out by hand."""
import numpy as np
import pytest

from pipeline.alarms.assessment import anomalous_intervals, assess_alarms

UNIFORM = {"quantiles": list(np.linspace(0.0, 1.0, 1001)), "causal_sigma": 0.0}
"""Normal scores spread evenly over [0, 1]: the threshold for rate F is 1 - F."""


def test_anomalous_events_are_the_runs_of_anomalous_frames():
    assert anomalous_intervals([1, 1, 0, 1, 0, 0, 1, 1, 1]) == [(0, 1), (3, 3), (6, 8)]
    assert anomalous_intervals([0, 0]) == []


def test_false_alarms_detected_events_and_false_events_by_hand():
    # threshold 0.9; min duration 2, no merging
    labels = {"a": [0, 0, 0, 0, 1, 1, 1, 0, 0, 0], "b": [0, 0, 0, 0, 0, 1, 1, 0, 0, 0]}
    scores = {"a": [0.0, 0.95, 0.95, 0.0, 0.0, 0.99, 0.99, 0.0, 0.0, 0.95],   # false event 1-2, anomaly 4-6 caught
              "b": [0.0] * 10}                                                  # anomaly 5-6 missed
    block = assess_alarms(scores, labels, UNIFORM, rate=0.1, min_duration=2, merge_gap=0)
    assert block["threshold"] == pytest.approx(0.9)
    assert block["frame_false_alarm_rate"] == pytest.approx(3 / 15)   # frames a1, a2, a9 of 15 normal frames
    assert (block["anomalous_events"], block["anomalous_events_detected"]) == (2, 1)
    assert block["events_detected"] == 0.5
    assert (block["events"], block["false_events"]) == (2, 1)       # a9 alone is shorter than min duration


def test_the_calibrations_causal_smoothing_is_applied_first():
    smoothed = {**UNIFORM, "causal_sigma": 2.0}
    labels = {"a": [0] * 6 + [1] + [0] * 5}
    spike = {"a": [0.0] * 6 + [1.0] + [0.0] * 5}
    raw = assess_alarms(spike, labels, UNIFORM, rate=0.5, min_duration=1)
    assert raw["events_detected"] == 1.0 and raw["frame_false_alarm_rate"] == 0.0
    blurred = assess_alarms(spike, labels, smoothed, rate=0.5, min_duration=1)
    assert blurred["frame_false_alarm_rate"] == 0.0 and blurred["events_detected"] == 0.0  # the spike falls below 0.5
