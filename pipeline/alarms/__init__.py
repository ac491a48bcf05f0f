"""Alarms: frame scores turned into events at a threshold calibrated on normal footage.

Modules (numpy only, so that the CLI starts fast):

* :mod:`~pipeline.alarms.calibration`: the distribution of smoothed frame scores on normal video,
  stored in the student checkpoint, and the threshold it gives for a false-alarm rate.
* :mod:`~pipeline.alarms.events`: threshold crossings as events (minimum duration, merge gap),
  found as the scores stream in, and their JSON-lines writer.
* :mod:`~pipeline.alarms.assessment`: how the alarms do on a labelled test split.

Example:
    >>> import numpy as np
    >>> from pipeline.alarms.calibration import calibration_from_scores, threshold_for_rate
    >>> calibration = calibration_from_scores([np.arange(1000.0)], causal_sigma=0, source="example")
    >>> round(threshold_for_rate(calibration, 0.01), 2)
    989.01
"""
