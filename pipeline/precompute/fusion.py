"""The teachers' fusion: one frame score from several teachers' maps, calibrated on normal training frames.

A teacher's frame score is the maximum of its map. Teachers differ in scale and in how heavy their
tails are, so before they are combined each one is calibrated on the frames of the training shards
(normal video, scored by cross-fitted teachers that never saw it), as AI-VAD does: a frame score
``s`` becomes ``(s - low) / (high - low)`` with ``low`` the training frames' minimum and ``high``
their ``quantile`` quantile (for example the 99.9th percentile). The combinations:

- ``sum``: the sum of the teachers' calibrated frame maxima (AI-VAD's rule);
- ``max``: the largest calibrated frame maximum;
- ``sum_map``: the maximum of the sum of the calibrated maps (the teachers count together only
  where they point at the same place);
- ``mean_map``: the maximum of the mean of the maps as they are (no calibration).

Which one the report calls ``fused`` is chosen on training video (:mod:`pipeline.precompute.validation`).

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
QUANTILES = (0.999, 0.99)
"""Upper calibration points tried: AI-VAD's 99.9th percentile first, then the 99th."""
FALLBACK = "sum@0.999"
"""The fusion used when there is nothing to validate on (no pseudo-anomaly clips)."""


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


def fit_calibration(train_maxima, quantile):
    """{teacher: (low, high)}: the minimum and the ``quantile`` quantile of each teacher's frame
    maxima on normal training frames (``{teacher: 1-D array}``). Where the quantile does not rise
    above the minimum (mostly empty frames), ``high`` is the maximum, and failing that ``low + 1``.

    Example:
        >>> fit_calibration({"a": np.array([0.0, 1.0, 2.0, 3.0, 4.0])}, 0.5)
        {'a': (0.0, 2.0)}
        >>> fit_calibration({"a": np.zeros(4)}, 0.999)
        {'a': (0.0, 1.0)}
    """
    calibration = {}
    for teacher, values in sorted(train_maxima.items()):
        values = _float(values).ravel()
        if values.size == 0:
            raise ValueError(f"no training frames to calibrate teacher {teacher!r} on: the fusion needs "
                             f"the shards of the training videos")
        low = float(values.min())
        high = float(np.quantile(values, quantile))
        if high <= low:
            high = float(values.max()) if values.max() > low else low + 1.0
        calibration[teacher] = (low, high)
    return calibration


def fusion_names():
    """The names of every candidate fusion, for ``--fusion``.

    Example:
        >>> fusion_names()[-1]
        'mean_map'
    """
    return [f"{c}@{q:g}" for c in CALIBRATED for q in QUANTILES] + ["mean_map"]


def candidate_fusions(train_maxima):
    """Every fusion worth comparing, in order of preference on ties: each calibrated combination at
    each of :data:`QUANTILES`, then ``mean_map``.

    Example:
        >>> [f.name for f in candidate_fusions({"a": np.arange(10.0)})]
        ['sum@0.999', 'sum@0.99', 'max@0.999', 'max@0.99', 'sum_map@0.999', 'sum_map@0.99', 'mean_map']
    """
    calibrations = {quantile: fit_calibration(train_maxima, quantile) for quantile in QUANTILES}
    fusions = [Fusion(combination, quantile, calibrations[quantile])
               for combination in CALIBRATED for quantile in QUANTILES]
    return fusions + [Fusion("mean_map")]


def _float(values):
    return np.asarray(values, dtype=np.float64)
