"""Temporal smoothing: the reference code's exact kernel and lag, and scipy's gaussian."""
import math

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d

from pipeline.errors import FastaedError
from pipeline.metrics import reference_taps, smooth_reference, smooth_scores


def normal_pdf(x, sigma):
    return math.exp(-0.5 * (x / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


def test_reference_impulse_at_200_peaks_at_201_with_paper_settings():
    impulse = np.zeros(500)
    impulse[200] = 1.0
    smoothed = smooth_scores({"v": impulse}, sigma=21, mode="reference", window=302)["v"]
    assert len(smoothed) == 500
    assert int(np.argmax(smoothed)) == 201
    # out[i] = taps[200 - i + 150]; the peak tap is the density at its mean: 1 / (21 sqrt(2 pi))
    assert smoothed[201] == pytest.approx(normal_pdf(0, 21))
    # one frame after the peak is the density one step off the mean, as is one frame before it
    # on the other side (taps are symmetric about index 149): out[200] = tap 150, out[202] = tap 148
    assert smoothed[200] == pytest.approx(normal_pdf(1, 21))
    assert smoothed[202] == pytest.approx(normal_pdf(1, 21))


def test_reference_taps_positions_mean_and_no_renormalisation():
    # R = 38, sigma = 11 (the group's Avenue setting): taps at positions 1..37, mean 37 // 2 = 18,
    # so tap k (0-based) is the density at k + 1 - 18. Not renormalised: the taps sample the
    # density on -17..+19 around the mean, so they sum to about its integral over -17.5..+19.5,
    # Phi(19.5 / 11) - Phi(-17.5 / 11) = 0.9619 - 0.0558 = 0.906, not 1.
    taps = reference_taps(38, 11.0)
    assert len(taps) == 37
    assert int(np.argmax(taps)) == 17
    for k in (0, 17, 36):
        assert taps[k] == pytest.approx(normal_pdf(k + 1 - 18, 11.0))
    assert taps.sum() == pytest.approx(0.906, abs=0.002)


def test_reference_zero_padding_and_valid_correlation_by_hand():
    # R = 4, sigma = 1: taps at positions 1, 2, 3 with mean 3 // 2 = 1 -> [p(0), p(1), p(2)],
    # p = standard normal density. Scores [1, 2, 3] padded with 3 // 2 = 1 zero on each side:
    # [0, 1, 2, 3, 0]; correlating in 'valid' mode (3 outputs, length kept):
    #   out0 = 0 p0 + 1 p1 + 2 p2,  out1 = 1 p0 + 2 p1 + 3 p2,  out2 = 2 p0 + 3 p1 + 0 p2
    p0, p1, p2 = normal_pdf(0, 1), normal_pdf(1, 1), normal_pdf(2, 1)
    expected = [p1 + 2 * p2, p0 + 2 * p1 + 3 * p2, 2 * p0 + 3 * p1]
    assert smooth_reference(np.array([1.0, 2.0, 3.0]), sigma=1.0, window=4) == pytest.approx(expected)


def test_reference_keeps_length_of_videos_shorter_than_the_window():
    for length in (1, 7, 301, 302, 303):
        assert len(smooth_reference(np.ones(length))) == length


def test_gaussian_matches_scipy_and_sigma_zero_is_identity():
    scores = np.random.default_rng(1).random(120)
    smoothed = smooth_scores({"v": scores}, sigma=2.5)["v"]
    np.testing.assert_array_equal(smoothed, gaussian_filter1d(scores, 2.5))
    unchanged = smooth_scores({"v": scores}, sigma=0)
    np.testing.assert_array_equal(unchanged["v"], scores)
    assert unchanged["v"] is not scores


def test_defaults_of_reference_mode_are_the_papers():
    impulse = np.zeros(400)
    impulse[100] = 1.0
    np.testing.assert_array_equal(smooth_scores({"v": impulse}, sigma=21, mode="reference")["v"],
                                  smooth_reference(impulse, 21, 302))


@pytest.mark.parametrize("kwargs, message", [
    ({"sigma": 21, "mode": "reference", "window": 301}, "even integer"),
    ({"sigma": 2, "mode": "gaussian", "window": 30}, "only applies to --smoothing reference"),
    ({"sigma": -1}, ">= 0"),
    ({"sigma": float("nan")}, ">= 0"),
    ({"sigma": 1, "mode": "box"}, "unknown smoothing mode"),
])
def test_bad_settings_are_errors(kwargs, message):
    with pytest.raises(FastaedError, match=message):
        smooth_scores({"v": np.ones(10)}, **kwargs)
