"""Frame AUCs against values derived by hand from the definitions."""
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from pipeline.errors import FastaedError
from pipeline.metrics import frame_metrics, padded_video_auc, plain_video_auc

# Video "a": labels [0, 0, 1, 1], scores [0.1, 0.4, 0.35, 0.8].
#   plain: positives {0.35, 0.8} against negatives {0.1, 0.4}: 0.35>0.1, 0.35<0.4, 0.8>both -> 3/4.
#   padded: negatives {0.1 (pad = min), 0.1, 0.4}, positives {0.35, 0.8, 0.8 (pad = max)}:
#     0.35 beats 2 of 3, 0.8 beats 3, padded 0.8 beats 3 -> 8/9.
# Video "b" (all normal): labels [0, 0, 0], scores [0.2, 0.9, 0.5].
#   plain: undefined, left out.
#   padded: one positive 0.9 (pad = max) against {0.2 (pad), 0.2, 0.9, 0.5}: 1 + 1 + 0.5 (tie) + 1
#     -> 3.5/4 = 7/8.
# Micro: labels [0,0,1,1,0,0,0], scores [0.1,0.4,0.35,0.8,0.2,0.9,0.5]: 0.35 beats {0.1, 0.2} (2),
#   0.8 beats {0.1, 0.4, 0.2, 0.5} (4), so 6 of 2*5 pairs -> 0.6.
SCORES = {"a": np.array([0.1, 0.4, 0.35, 0.8]), "b": np.array([0.2, 0.9, 0.5])}
LABELS = {"a": np.array([0, 0, 1, 1]), "b": np.array([0, 0, 0])}


def test_hand_derived_micro_macro_and_per_video():
    result = frame_metrics(SCORES, LABELS)
    assert result["micro_auc"] == pytest.approx(0.6)
    assert result["per_video_auc"] == pytest.approx({"a": 8 / 9, "b": 7 / 8})
    assert result["per_video_auc_plain"]["a"] == pytest.approx(0.75)
    assert result["per_video_auc_plain"]["b"] is None
    # padded counts the single-class video, plain leaves it out
    assert result["macro_auc"] == pytest.approx((8 / 9 + 7 / 8) / 2)
    assert result["macro_auc_plain"] == pytest.approx(0.75)


def test_all_anomalous_video_counts_in_padded_only():
    # labels [1, 1], scores [3, 5]; padded: negatives {3 (pad = min)}, positives {3, 5, 5 (pad)}:
    # tie 0.5 + 1 + 1 -> 2.5/3.
    assert padded_video_auc([3.0, 5.0], [1, 1]) == pytest.approx(2.5 / 3)
    assert plain_video_auc([3.0, 5.0], [1, 1]) is None


def test_padded_equals_reference_minmax_then_zero_one_padding():
    # The reference min-max normalises each video to [0, 1], then pads with literal 0 and 1.
    rng = np.random.default_rng(0)
    scores = rng.normal(5.0, 3.0, 40)
    labels = (rng.random(40) < 0.3).astype(int)
    normalised = (scores - scores.min()) / (scores.max() - scores.min())
    reference = roc_auc_score(np.concatenate(([0], labels, [1])), np.concatenate(([0.0], normalised, [1.0])))
    assert padded_video_auc(scores, labels) == pytest.approx(reference, abs=1e-12)


def test_macro_plain_is_none_when_every_video_has_one_class():
    result = frame_metrics({"a": np.array([0.1, 0.2]), "b": np.array([0.9, 0.8])},
                           {"a": np.array([0, 0]), "b": np.array([1, 1])})
    assert result["macro_auc_plain"] is None
    assert result["micro_auc"] == 1.0


def test_one_class_overall_is_an_error():
    with pytest.raises(FastaedError, match="only one class"):
        frame_metrics({"a": np.array([0.1, 0.2])}, {"a": np.array([0, 0])})


def test_mismatched_videos_and_lengths_are_errors():
    with pytest.raises(FastaedError, match="different videos"):
        frame_metrics({"a": np.array([0.1, 0.2])}, {"c": np.array([0, 1])})
    with pytest.raises(FastaedError, match="3 scores but 2 labels"):
        frame_metrics({"a": np.array([0.1, 0.2, 0.3])}, {"a": np.array([0, 1])})
