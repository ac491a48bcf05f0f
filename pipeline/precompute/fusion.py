"""Fitting and listing the teachers' fusions: calibration on normal training frames, the candidates.

What each combination computes is :class:`student.fusion.Fusion` (the student scores its own maps
with the same fusion). Here each teacher is calibrated on the frames of the training shards (normal
video, scored by cross-fitted teachers that never saw it), and every candidate is listed; which one
the report calls ``fused`` is chosen on training video (:mod:`pipeline.precompute.validation`).

Example:
    >>> import numpy as np
    >>> [f.name for f in candidate_fusions({"a": np.arange(10.0), "b": np.ones(10)})][:2]
    ['sum@0.999', 'sum@0.99']
"""
import numpy as np

from student.fusion import CALIBRATED, Fusion


QUANTILES = (0.999, 0.99)
"""Upper calibration points tried: AI-VAD's 99.9th percentile first, then the 99th."""
FALLBACK = "sum@0.999"
"""The fusion used when there is nothing to validate on (no pseudo-anomaly clips)."""


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
