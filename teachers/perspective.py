"""The camera's perspective as the training boxes show it: expected object height per image row.

A fixed camera sees people near it large and far from it small, so pixels per frame mean little
until divided by the size of a person at that place. An object's own box is a poor ruler where
the box is partial (entering at the frame border, half hidden): a 6-pixel sliver moving at
walking speed would look several heights per frame fast. The expected height at the row of the
box's bottom edge does not have that problem; it is a straight line fitted on the training boxes.
"""

import numpy as np

SMALL_BOX_QUANTILE = 0.25
"""Boxes below this quantile of training heights (partial boxes, mostly) are left out of the fit."""
FLOOR_FRACTION = 0.25
"""The expected height never falls below this fraction of the median training height."""


class PerspectiveScale:
    """Expected height ``slope * bottom + intercept`` (``bottom`` = box bottom row / frame height), floored.

    Example:
        >>> bottoms = np.array([0.2, 0.4, 0.6, 0.8, 0.9, 0.5])
        >>> scale = PerspectiveScale.fit(20 + 50 * bottoms, bottoms)
        >>> [round(float(h), 1) for h in scale(np.array([0.2, 1.0]))]
        [30.0, 70.0]
    """

    def __init__(self, slope, intercept, floor):
        self.slope, self.intercept, self.floor = float(slope), float(intercept), float(floor)

    @classmethod
    def fit(cls, heights, bottoms):
        """Least-squares line through the (bottom, height) of the larger training boxes.

        With too few boxes, or all at one row, the line is flat at their median height.

        Example:
            >>> PerspectiveScale.fit(np.array([10.0, 30.0]), np.array([0.5, 0.5])).slope
            0.0
        """
        heights, bottoms = np.asarray(heights, np.float64), np.asarray(bottoms, np.float64)
        if len(heights) == 0:
            raise ValueError("the perspective needs the boxes of normal training objects, got none")
        large = heights >= np.quantile(heights, SMALL_BOX_QUANTILE)
        median = float(np.median(heights[large]))
        if large.sum() >= 3 and np.ptp(bottoms[large]) > 0:
            slope, intercept = np.polyfit(bottoms[large], heights[large], 1)
        else:
            slope, intercept = 0.0, median
        return cls(slope, intercept, FLOOR_FRACTION * median)

    def __call__(self, bottoms):
        """(N,) expected heights in pixels at the given bottom rows (fractions of the frame height)."""
        expected = self.slope * np.asarray(bottoms, np.float64) + self.intercept
        return np.maximum(expected, self.floor)

    def state_dict(self, prefix):
        """Plain values under ``prefix``.slope / .intercept / .floor.

        Example:
            >>> sorted(PerspectiveScale(1.0, 2.0, 3.0).state_dict("p"))
            ['p.floor', 'p.intercept', 'p.slope']
        """
        return {f"{prefix}.slope": self.slope, f"{prefix}.intercept": self.intercept, f"{prefix}.floor": self.floor}

    @classmethod
    def from_state(cls, state, prefix):
        """Inverse of :meth:`state_dict`.

        Example:
            >>> PerspectiveScale.from_state(PerspectiveScale(1.0, 2.0, 3.0).state_dict("p"), "p").floor
            3.0
        """
        return cls(*(float(state[f"{prefix}.{key}"]) for key in ("slope", "intercept", "floor")))
