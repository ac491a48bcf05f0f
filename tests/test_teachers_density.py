import numpy as np
import pytest

from teachers import Teacher, build_teacher
from test_teachers_scene import blob_video, walkers


@pytest.fixture(scope="module")
def fitted():
    teacher = build_teacher("density")
    train = [teacher.features(*blob_video(walkers(seed), seed=seed)) for seed in range(6)]
    return teacher.fit(train)


@pytest.fixture(scope="module")
def held_out_normal(fitted):
    return np.concatenate([fitted.features(*blob_video(walkers(seed), seed=seed)) for seed in (100, 101)])


def test_features_have_one_row_per_box(fitted):
    frames, boxes = blob_video(walkers(7), seed=7)
    features = fitted.features(frames, boxes)
    assert features.shape == (len(boxes), fitted.num_features) and features.dtype == np.float32


def test_fast_object_scores_higher_than_held_out_normal_objects(fitted, held_out_normal):
    frames, boxes = blob_video(walkers(200, count=1, speed=(5.0, 6.0)), seed=200)
    fast = fitted.score(fitted.features(frames, boxes))
    normal = fitted.score(held_out_normal)
    assert np.median(fast) > np.quantile(normal, 0.95)
    assert np.median(fast) > 2


def test_calibration_puts_typical_normal_objects_near_zero(fitted, held_out_normal):
    scores = fitted.score(held_out_normal)
    assert scores.dtype == np.float32
    assert abs(float(np.median(scores))) < 0.5


def test_state_dict_round_trip_gives_identical_scores(fitted, held_out_normal, tmp_path):
    np.savez(tmp_path / "density.npz", **fitted.state_dict())
    with np.load(tmp_path / "density.npz", allow_pickle=False) as stored:
        restored = Teacher.from_state(dict(stored))
    assert type(restored) is type(fitted) and restored.options == fitted.options
    np.testing.assert_array_equal(restored.score(held_out_normal), fitted.score(held_out_normal))


def test_state_holds_only_arrays_and_plain_values(fitted):
    for key, value in fitted.state_dict().items():
        assert isinstance(value, (np.ndarray, str, int, float)), key


def test_unfitted_teacher_and_wrong_features_are_clear_errors(fitted):
    with pytest.raises(ValueError, match="not fitted"):
        build_teacher("density").score(np.zeros((1, fitted.num_features)))
    with pytest.raises(ValueError, match=r"expected \(N, %d\)" % fitted.num_features):
        fitted.score(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="video has 5 frames"):
        fitted.features(np.zeros((5, 32, 32), np.uint8), [[7, 0, 0, 3, 3, 1]])


def test_unknown_teacher_lists_the_available_ones():
    with pytest.raises(ValueError, match="unknown teacher 'knn'.*autoencoder, density"):
        build_teacher("knn")
