"""Robust calibration of raw anomaly scores on held-out normal objects.

calibrated = (raw - median) / (q - median), with median and q (a high quantile, default the
95th percentile) of the raw scores of normal objects the model did not train on. A typical normal
object then scores about 0, and 1 means "as unusual as the 5% most unusual normal objects", so
teachers with very different raw scales become comparable and can be averaged. Only normal
training data is used; test statistics never are.
"""

import numpy as np


class RobustCalibration:
    """An affine map fitted on held-out normal scores: median -> 0, high quantile -> 1.

    Example:
        >>> calibration = RobustCalibration.fit(np.arange(101.0), quantile=0.95)
        >>> calibration(np.array([50.0, 95.0])).tolist()
        [0.0, 1.0]
    """

    def __init__(self, median=0.0, scale=1.0):
        self.median = float(median)
        self.scale = float(scale)

    @classmethod
    def fit(cls, raw_scores, quantile=0.95):
        """Fit on raw scores of held-out normal objects (at least two distinct values needed).

        Example:
            >>> RobustCalibration.fit([1.0, 2.0, 3.0], quantile=0.5).scale > 0
            True
        """
        raw_scores = np.asarray(raw_scores, np.float64).ravel()
        raw_scores = raw_scores[np.isfinite(raw_scores)]
        if len(raw_scores) < 2:
            raise ValueError(
                f"calibration needs the scores of at least 2 held-out normal objects, got "
                f"{len(raw_scores)}: fit on more training video or lower the minimum box size"
            )
        median = float(np.median(raw_scores))
        spread = float(np.quantile(raw_scores, quantile)) - median
        if spread <= 0:
            # Half or more of the scores are tied; fall back to the full range, then to 1.
            spread = float(raw_scores.max() - raw_scores.min()) or 1.0
        return cls(median, spread)

    def __call__(self, raw_scores):
        """Calibrated float32 scores.

        Example:
            >>> RobustCalibration(2.0, 4.0)(np.array([2.0, 10.0])).tolist()
            [0.0, 2.0]
        """
        return ((np.asarray(raw_scores, np.float64) - self.median) / self.scale).astype(np.float32)

    def then(self, other):
        """The one affine map that applies this calibration and then ``other``.

        Example:
            >>> first, second = RobustCalibration(2.0, 4.0), RobustCalibration(1.0, 0.5)
            >>> raw = np.array([2.0, 10.0])
            >>> first.then(second)(raw).tolist() == second(first(raw)).tolist()
            True
        """
        return RobustCalibration(self.median + other.median * self.scale, self.scale * other.scale)

    def state_dict(self, prefix):
        """Plain values under `prefix`.median / `prefix`.scale.

        Example:
            >>> RobustCalibration(1.0, 2.0).state_dict("motion")
            {'motion.median': 1.0, 'motion.scale': 2.0}
        """
        return {f"{prefix}.median": self.median, f"{prefix}.scale": self.scale}

    @classmethod
    def from_state(cls, state, prefix):
        """Inverse of `state_dict`.

        Example:
            >>> RobustCalibration.from_state({"a.median": 1.0, "a.scale": 2.0}, "a").scale
            2.0
        """
        return cls(float(state[f"{prefix}.median"]), float(state[f"{prefix}.scale"]))
