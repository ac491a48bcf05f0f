"""How several teachers' maps become one frame score, for the teachers' report and the student alike.

A teacher's frame score is the maximum of its map. Teachers differ in scale and in how heavy their
tails are, so before they are combined each one is calibrated on normal training frames, as AI-VAD
does: a frame score ``s`` becomes ``(s - low) / (high - low)`` with ``low`` the training frames'
minimum and ``high`` a high quantile of them (for example the 99.9th percentile). The combinations:

- ``sum``: the sum of the teachers' calibrated frame maxima (AI-VAD's rule);
- ``max``: the largest calibrated frame maximum;
- ``sum_map``: the maximum of the sum of the calibrated maps (the teachers count together only
  where they point at the same place);
- ``mean_map``: the maximum of the mean of the maps as they are (no calibration).

The precomputation fits and chooses the fusion (:mod:`pipeline.precompute.fusion`); a student
trained on those shards keeps it in its configuration and scores its own per-teacher maps with it,
so its frame scores live on the fused teachers' scale.

Example:
    >>> import numpy as np
    >>> maps = {"a": np.array([[[0.0, 2.0]], [[1.0, 0.0]]]), "b": np.array([[[4.0, 0.0]], [[0.0, 8.0]]])}
    >>> fusion = Fusion("sum", 1.0, {"a": (0.0, 2.0), "b": (0.0, 8.0)})
    >>> fusion.name, fusion.frame_scores(maps).tolist()
    ('sum@1', [1.5, 1.5])
    >>> Fusion("sum_map", 1.0, fusion.calibration).frame_scores(maps).tolist()  # never both in one cell
    [1.0, 1.0]
"""
from dataclasses import dataclass

import numpy as np

COMBINATIONS = ("sum", "max", "sum_map", "mean_map")
CALIBRATED = ("sum", "max", "sum_map")


@dataclass(frozen=True)
class Fusion:
    """A combination of the teachers' maps and, for the calibrated ones, each teacher's (low, high).

    Example:
        >>> Fusion("mean_map").name, Fusion("max", 0.99, {"a": (0.0, 1.0)}).name
        ('mean_map', 'max@0.99')
    """

    combination: str
    quantile: float = None
    calibration: dict = None

    def __post_init__(self):
        if self.combination not in COMBINATIONS:
            raise ValueError(f"unknown fusion {self.combination!r}: use one of {', '.join(COMBINATIONS)}")
        if (self.combination in CALIBRATED) != (self.calibration is not None):
            raise ValueError(f"fusion {self.combination!r} {'needs' if self.combination in CALIBRATED else 'takes no'} "
                             f"per-teacher calibration")

    @property
    def name(self):
        """``<combination>@<quantile>`` for the calibrated combinations, else the combination."""
        return self.combination if self.quantile is None else f"{self.combination}@{self.quantile:g}"

    def frame_scores(self, maps):
        """(T,) float64 fused frame scores of one video from ``{teacher: (T, h, w)}`` maps.

        Example:
            >>> Fusion("mean_map").frame_scores({"a": np.ones((3, 2, 2)), "b": np.zeros((3, 2, 2))}).tolist()
            [0.5, 0.5, 0.5]
        """
        teachers = sorted(maps)
        if self.combination == "mean_map":
            return np.mean([_float(maps[t]) for t in teachers], axis=0).max(axis=(1, 2))
        if self.combination == "sum_map":
            return np.sum([self._calibrated(t, _float(maps[t])) for t in teachers], axis=0).max(axis=(1, 2))
        maxima = np.array([self._calibrated(t, _float(maps[t]).max(axis=(1, 2))) for t in teachers])
        return maxima.sum(axis=0) if self.combination == "sum" else maxima.max(axis=0)

    def restricted_to(self, teachers):
        """The same fusion over ``teachers`` only (a student may learn a subset of the teachers).

        Example:
            >>> Fusion("sum", 0.99, {"a": (0.0, 1.0), "b": (0.0, 2.0)}).restricted_to(["b"]).calibration
            {'b': (0.0, 2.0)}
        """
        if self.calibration is None:
            return self
        missing = sorted(set(teachers) - set(self.calibration))
        if missing:
            raise ValueError(f"fusion {self.name} has no calibration for teachers {missing} "
                             f"(it has {sorted(self.calibration)})")
        return Fusion(self.combination, self.quantile, {t: self.calibration[t] for t in teachers})

    def to_dict(self):
        """JSON-able parameters (what :meth:`from_dict` reads back).

        Example:
            >>> fusion = Fusion("sum", 0.99, {"a": (0.0, 2.0)})
            >>> Fusion.from_dict(fusion.to_dict()) == fusion
            True
        """
        calibration = None if self.calibration is None else {
            teacher: {"low": low, "high": high} for teacher, (low, high) in sorted(self.calibration.items())}
        return {"name": self.name, "combination": self.combination, "quantile": self.quantile,
                "calibration": calibration}

    @classmethod
    def from_dict(cls, values):
        """The fusion whose :meth:`to_dict` is ``values``."""
        calibration = values.get("calibration")
        if calibration is not None:
            calibration = {t: (float(v["low"]), float(v["high"])) for t, v in calibration.items()}
        return cls(values["combination"], values.get("quantile"), calibration)

    def _calibrated(self, teacher, values):
        low, high = self.calibration[teacher]
        return (values - low) / (high - low)


def scoring_fusion(config):
    """The :class:`Fusion` a student's ``config`` scores with, or None (the mean map).

    Students trained on shards whose report names a fusion keep it under ``config["fusion"]``.

    Example:
        >>> scoring_fusion({"teachers": ["a"], "fusion": {"combination": "mean_map"}}).name
        'mean_map'
        >>> scoring_fusion({"teachers": ["a"]}) is None
        True
    """
    values = config.get("fusion")
    return None if values is None else Fusion.from_dict(values).restricted_to(config["teachers"])


def _float(values):
    return np.asarray(values, dtype=np.float64)
