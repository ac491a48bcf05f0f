"""Property tests (hypothesis) of the metrics."""
import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from pipeline.metrics import Region, TrackRegion, frame_metrics, localization_metrics

# Capped for speed; no "explain" phase, which takes minutes to annotate a failure.
FAST = settings(max_examples=50, deadline=None, phases=[p for p in Phase if p is not Phase.explain])

# Integer-valued scores (ties included) keep every transform below exactly order-preserving in
# float64, so the ranks, and hence every AUC, must not move at all.
MONOTONE_TRANSFORMS = [
    lambda x: 3.0 * x - 7.0,
    lambda x: np.exp(x / 10.0),
    lambda x: x ** 3,
    lambda x: np.arctan(x / 10.0),
]


@st.composite
def scored_videos(draw):
    """1-4 videos of 1-30 frames (the first >= 2), both classes somewhere; integer scores in [-50, 50]."""
    scores, labels = {}, {}
    for index in range(draw(st.integers(1, 4))):
        length = draw(st.integers(2 if index == 0 else 1, 30))
        labels[f"{index:02d}"] = np.array(draw(st.lists(st.integers(0, 1), min_size=length, max_size=length)))
        scores[f"{index:02d}"] = np.array(draw(st.lists(st.integers(-50, 50), min_size=length, max_size=length)),
                                          dtype=np.float64)
    all_labels = np.concatenate(list(labels.values()))
    if all_labels.min() == all_labels.max():
        labels["00"][0] = 1 - labels["00"][0]
    return scores, labels


@FAST
@given(scored_videos(), st.sampled_from(range(len(MONOTONE_TRANSFORMS))))
def test_auc_unchanged_under_strictly_increasing_transforms(videos, which):
    scores, labels = videos
    transform = MONOTONE_TRANSFORMS[which]
    before = frame_metrics(scores, labels)
    after = frame_metrics({v: transform(s) for v, s in scores.items()}, labels)
    assert flat(after) == pytest.approx(flat(before), abs=1e-12)


def flat(metrics):
    """The AUCs of a frame_metrics result as one flat dict (None where undefined)."""
    values = {key: metrics[key] for key in ("micro_auc", "macro_auc", "macro_auc_plain")}
    for convention in ("per_video_auc", "per_video_auc_plain"):
        values.update({f"{convention}/{video}": auc for video, auc in metrics[convention].items()})
    return values


@FAST
@given(scored_videos(), st.randoms(use_true_random=False))
def test_micro_auc_of_a_perfect_scorer_is_one(videos, random):
    _, labels = videos
    # every anomalous frame outscores every normal one; noise below 1 keeps that true
    perfect = {v: y * 10.0 + np.array([random.random() for _ in y]) for v, y in labels.items()}
    # 1 up to the rounding of scikit-learn's trapezoid sum (0.9999999999999999 happens)
    assert frame_metrics(perfect, labels)["micro_auc"] == pytest.approx(1.0, abs=1e-12)


box = st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(1, 20), st.integers(1, 20)).map(
    lambda b: (b[0], b[1], b[0] + b[2] - 1, b[1] + b[3] - 1))


@st.composite
def localization_case(draw):
    """Ground-truth tracks in 2 videos x 6 frames of a small canvas, random predicted regions."""
    truth = []
    for video in ("a", "b"):
        for track in range(draw(st.integers(0, 2))):
            start = draw(st.integers(0, 5))
            for frame in range(start, draw(st.integers(start, 5)) + 1):
                truth.append(TrackRegion(video, track, frame, *draw(box)))
    if not truth:
        truth.append(TrackRegion("a", 0, 0, *draw(box)))
    regions = [Region(draw(st.sampled_from(["a", "b"])), draw(st.integers(0, 5)), *draw(box),
                      draw(st.floats(0, 1)))
               for _ in range(draw(st.integers(0, 15)))]
    num_frames = draw(st.integers(12, 40))
    return regions, truth, num_frames


@FAST
@given(localization_case(), st.data())
def test_rbdc_tbdc_in_unit_interval_and_non_decreasing_when_a_true_detection_is_added(case, data):
    regions, truth, num_frames = case
    before = localization_metrics(regions, truth, num_frames)
    for value in before.values():
        assert 0.0 <= value <= 1.0
    target = data.draw(st.sampled_from(truth))
    true_detection = Region(target.video, target.frame, target.x1, target.y1, target.x2, target.y2,
                            data.draw(st.floats(0, 1)))
    after = localization_metrics(regions + [true_detection], truth, num_frames)
    for key in ("rbdc", "tbdc"):
        assert 0.0 <= after[key] <= 1.0
        assert after[key] >= before[key] - 1e-12


@FAST
@given(localization_case(), st.randoms(use_true_random=False))
def test_localization_does_not_depend_on_input_order(case, random):
    regions, truth, num_frames = case
    shuffled_regions, shuffled_truth = list(regions), list(truth)
    random.shuffle(shuffled_regions)
    random.shuffle(shuffled_truth)
    assert localization_metrics(shuffled_regions, shuffled_truth, num_frames) == \
        pytest.approx(localization_metrics(regions, truth, num_frames), abs=1e-12)
