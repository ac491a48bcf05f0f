"""Temporal smoothing of per-frame scores, per video, before the frame AUCs.

Two modes:

* ``gaussian``: ``scipy.ndimage.gaussian_filter1d`` with the given sigma (scipy's defaults:
  reflected borders, kernel truncated at 4 sigma).
* ``reference``: the smoothing of the reference code of the paper's group, reproduced exactly so
  that numbers are comparable. For a window R and a width sigma the taps are the normal density
  (mean ``(R - 1) // 2``, the given sigma) at positions 1, 2, ..., R-1, not renormalised; the
  scores are padded with ``(R - 1) // 2`` zeros on each side and correlated with the taps in
  'valid' mode. The density's peak is tap ``(R - 1) // 2`` of R-1 (the 150th of 301 for R = 302),
  one before the middle, so an impulse at frame t peaks at frame t + 1. The length is kept only
  for even R, so odd windows are refused. The paper uses R = 302, sigma = 21.

Sigma 0 means no smoothing in either mode.
"""
import numpy as np
from scipy.ndimage import gaussian_filter1d

from pipeline.errors import FastaedError

REFERENCE_WINDOW = 302
REFERENCE_SIGMA = 21.0
SMOOTHING_MODES = ("gaussian", "reference")


def reference_taps(window=REFERENCE_WINDOW, sigma=REFERENCE_SIGMA):
    """The reference code's R-1 taps: normal density at positions 1..R-1, mean (R-1)//2.

    Example:
        >>> taps = reference_taps(302, 21.0)
        >>> len(taps), int(taps.argmax())     # peak at position 150, index 149 of 0..300
        (301, 149)
    """
    _check_reference_settings(window, sigma)
    positions = np.arange(1, window, dtype=np.float64)
    mean = (window - 1) // 2
    return np.exp(-0.5 * ((positions - mean) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))


def smooth_reference(scores, sigma=REFERENCE_SIGMA, window=REFERENCE_WINDOW):
    """Smooth one video's scores exactly as the reference code does (see the module docstring).

    Example:
        >>> impulse = np.zeros(400); impulse[200] = 1.0
        >>> int(smooth_reference(impulse, 21.0, 302).argmax())
        201
    """
    taps = reference_taps(window, sigma)
    half = (window - 1) // 2
    padded = np.concatenate((np.zeros(half), np.asarray(scores, dtype=np.float64), np.zeros(half)))
    return np.correlate(padded, taps, mode="valid")


def smooth_scores(scores, sigma, mode="gaussian", window=None):
    """Smooth every video's scores; returns a new dict of float64 arrays.

    ``sigma`` 0 returns the scores unchanged. ``window`` is the reference mode's R (default 302)
    and is refused in gaussian mode, where scipy chooses the kernel's extent from sigma.

    Example:
        >>> out = smooth_scores({"01": np.array([0.0, 1.0, 0.0])}, sigma=1.0)
        >>> round(float(out["01"][1]), 3)
        0.408
    """
    if mode not in SMOOTHING_MODES:
        raise FastaedError(f"unknown smoothing mode {mode!r}: use one of {', '.join(SMOOTHING_MODES)}")
    if not np.isfinite(sigma) or sigma < 0:
        raise FastaedError(f"smoothing sigma must be a finite number >= 0, got {sigma}: 0 means no smoothing")
    if mode == "gaussian" and window is not None:
        raise FastaedError("a smoothing window only applies to --smoothing reference: "
                           "drop --window or use the reference mode")
    if sigma == 0:
        return {video: np.asarray(s, dtype=np.float64).copy() for video, s in scores.items()}
    if mode == "gaussian":
        return {video: gaussian_filter1d(np.asarray(s, dtype=np.float64), sigma)
                for video, s in scores.items()}
    window = REFERENCE_WINDOW if window is None else window
    return {video: smooth_reference(s, sigma, window) for video, s in scores.items()}


def _check_reference_settings(window, sigma):
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 2 or window % 2:
        raise FastaedError(f"reference smoothing window must be an even integer >= 2, got {window!r}: "
                           f"the reference keeps the video length only for even windows (the paper uses 302)")
    if not np.isfinite(sigma) or sigma <= 0:
        raise FastaedError(f"reference smoothing sigma must be > 0, got {sigma}: the paper uses 21")
