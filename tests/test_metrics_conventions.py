"""Each reference code's AUC convention on vectors worked out by hand.

The three videos (scores chosen outside [0, 1] so that literal padding values land among them):
    A: labels [0, 1, 0], scores [-2, -1, -3]
    B: labels [0, 1],    scores [2, 3]
    C: labels [0, 0],    scores [5, 1]        (single class)
AUC = (pairs positive > negative + half the ties) / (positives x negatives).
Micro AUC on the raw scores: positives {-1, 3}, negatives {-2, -3, 2, 5, 1}:
    -1 beats -2, -3 (2); 3 beats -2, -3, 2, 1 (4): 6 / 10 = 0.6.
"""
import numpy as np
import pytest

from pipeline.errors import FastaedError
from pipeline.metrics import CONVENTIONS, convention_metrics, convention_smoothing, smooth_scores

LABELS = {"A": np.array([0, 1, 0]), "B": np.array([0, 1]), "C": np.array([0, 0])}
SCORES = {"A": np.array([-2.0, -1.0, -3.0]), "B": np.array([2.0, 3.0]), "C": np.array([5.0, 1.0])}


def unsmoothed(name):
    return convention_metrics(name, SCORES, LABELS, sigma=0)[0]


def test_fastaed_pads_each_video_with_its_own_min_and_max():
    # A: [0]+[0,1,0]+[1] vs [-3]+[-2,-1,-3]+[-1]: positives {-1, -1} beat negatives {-3, -2, -3}: 6/6 = 1.
    # B: [2]+[2,3]+[3]: positives {3, 3} beat {2, 2}: 1.
    # C: [1]+[5,1]+[5], one positive 5 against {1, 5, 1}: (1 + 0.5 + 1) / 3 = 0.8333.
    # macro = (1 + 1 + 0.8333) / 3 = 0.9444; plain leaves C out: (1 + 1) / 2 = 1.
    result = unsmoothed("fastaed")
    assert result["per_video_auc"] == pytest.approx({"A": 1.0, "B": 1.0, "C": 2.5 / 3})
    assert result["macro_auc"] == pytest.approx((2 + 2.5 / 3) / 3)
    assert result["macro_auc_plain"] == 1.0
    assert result["micro_auc"] == pytest.approx(0.6)
    assert result["convention"] == "fastaed" and result["macro_auc_convention"] == "padded"


def test_aed_mae_avenue_pads_raw_scores_with_literal_zero_and_one():
    # A: [0, -2, -1, -3, 1], labels [0, 0, 1, 0, 1]: -1 beats -2, -3 but not 0 (2); 1 beats all three (3): 5/6.
    # B: [0, 2, 3, 1], labels [0, 0, 1, 1]: 3 beats 0, 2 (2); 1 beats 0 only (1): 3/4.
    # C: [0, 5, 1, 1], labels [0, 0, 0, 1]: 1 beats 0, loses to 5, ties 1: 1.5/3 = 0.5.
    # macro = (5/6 + 3/4 + 1/2) / 3 = 0.6944; micro on the raw scores: 0.6.
    result = unsmoothed("aed-mae-avenue")
    assert result["per_video_auc"] == pytest.approx({"A": 5 / 6, "B": 0.75, "C": 0.5})
    assert result["macro_auc"] == pytest.approx((5 / 6 + 0.75 + 0.5) / 3)
    assert result["micro_auc"] == pytest.approx(0.6)


def test_aed_mae_shanghaitech_min_max_normalises_then_pads():
    # normalised: A (s + 3) / 2 = [0.5, 1, 0]; B [0, 1]; C (s - 1) / 4 = [1, 0].
    # A: [0, .5, 1, 0, 1], positives {1, 1} beat {0, .5, 0}: 1.  B: [0, 0, 1, 1]: 1.
    # C: [0, 1, 0, 1], labels [0, 0, 0, 1]: 1 beats 0, 0 and ties 1: 2.5/3.  macro = 0.9444.
    # micro over the normalised scores [.5, 1, 0, 0, 1, 1, 0], positives {1 (A), 1 (B)} against
    # {.5, 0, 0, 1 (C), 0}: each beats four and ties one: 2 x 4.5 / 10 = 0.9.
    result = unsmoothed("aed-mae-shanghaitech")
    assert result["per_video_auc"] == pytest.approx({"A": 1.0, "B": 1.0, "C": 2.5 / 3})
    assert result["macro_auc"] == pytest.approx((2 + 2.5 / 3) / 3)
    assert result["micro_auc"] == pytest.approx(0.9)


def test_aed_mae_shanghaitech_turns_a_constant_video_into_zeros():
    # D: scores [4, 4] normalise to 0/0 = NaN, which becomes [0, 0]; padded: labels [0, 0, 1, 1],
    # scores [0, 0, 0, 1]: positive 0 ties both negatives (0.5 + 0.5), positive 1 beats both (2): 3/4.
    result = convention_metrics("aed-mae-shanghaitech", {"D": np.array([4.0, 4.0])}, {"D": np.array([0, 1])},
                                sigma=0)[0]
    assert result["per_video_auc"]["D"] == pytest.approx(0.75)


def test_ai_vad_pads_with_zero_and_the_largest_float():
    # A: [0, -2, -1, -3, MAX]: as aed-mae's A, 5/6.  B: [0, 2, 3, MAX]: 3 and MAX beat 0 and 2: 1.
    # C: [0, 5, 1, MAX], labels [0, 0, 0, 1]: MAX beats all: 1.  macro = (5/6 + 2) / 3.
    result = unsmoothed("ai-vad")
    assert result["per_video_auc"] == pytest.approx({"A": 5 / 6, "B": 1.0, "C": 1.0})
    assert result["macro_auc"] == pytest.approx((5 / 6 + 2) / 3)
    assert result["micro_auc"] == pytest.approx(0.6)


def test_fast_aed_counts_a_single_class_video_as_one():
    # plain AUCs: A, -1 beats -2 and -3: 1; B: 1; C has no positive, NaN in the reference, counted 1.0.
    result = unsmoothed("fast-aed")
    assert result["per_video_auc"] == {"A": 1.0, "B": 1.0, "C": 1.0}
    assert result["macro_auc"] == 1.0 and result["micro_auc"] == pytest.approx(0.6)
    # with one wrong order in B: scores [3, 2]: 0; macro (1 + 0 + 1) / 3
    flipped = convention_metrics("fast-aed", {**SCORES, "B": np.array([3.0, 2.0])}, LABELS, sigma=0)[0]
    assert flipped["macro_auc"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("name, smoothing, sigma, window", [
    ("aed-mae-avenue", "reference", 11.0, 38), ("aed-mae-shanghaitech", "reference", 282.0, 900),
    ("ai-vad", "gaussian", 3.0, None), ("fast-aed", "reference", 21.0, 302), ("fastaed", "gaussian", 0.0, None)])
def test_each_convention_smooths_as_its_reference_before_its_aucs(name, smoothing, sigma, window):
    assert convention_smoothing(name) == (smoothing, sigma, window)
    rng = np.random.default_rng(0)
    labels = {"x": (np.arange(60) > 35).astype(int), "y": (np.arange(50) % 20 < 5).astype(int)}
    raw = {video: rng.random(len(values)) + values for video, values in labels.items()}
    result, smoothed = convention_metrics(name, raw, labels)
    expected = smooth_scores(raw, sigma, smoothing, window)
    assert all(np.allclose(smoothed[v], expected[v]) for v in labels)
    assert result == {**convention_metrics(name, expected, labels, sigma=0)[0],
                      "smoothing": smoothing, "sigma": sigma, "window": window}


def test_options_override_a_conventions_smoothing_and_unknown_names_fail():
    assert convention_smoothing("fast-aed", sigma=5.0) == ("reference", 5.0, 302)
    assert convention_smoothing("ai-vad", smoothing="reference") == ("reference", 21.0, 302)
    with pytest.raises(FastaedError, match="unknown convention 'avenue'.*ai-vad"):
        convention_metrics("avenue", SCORES, LABELS)
    assert set(CONVENTIONS) == {"fastaed", "aed-mae-avenue", "aed-mae-shanghaitech", "ai-vad", "fast-aed"}
