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


def test_object_crossing_at_walking_speed_is_caught_by_the_direction_group(fitted, held_out_normal):
    crossing = {"x": 60.0, "y": 20.0, "vx": 0.0, "vy": 1.1, "w": 8, "h": 18, "value": 210.0}  # walkers go sideways
    frames, boxes = blob_video([crossing], seed=300)
    crosser = fitted.features(frames, boxes)
    groups, normal_groups = fitted.group_scores(crosser), fitted.group_scores(held_out_normal)
    assert np.median(groups["motion"]) < np.quantile(normal_groups["motion"], 0.95)  # its speed is normal
    assert np.median(groups["direction"]) > 2 * np.quantile(normal_groups["direction"], 0.95)
    assert np.median(fitted.score(crosser)) > np.quantile(fitted.score(held_out_normal), 0.95)


def test_direction_is_measured_against_the_height_people_have_at_that_row():
    rng = np.random.default_rng(0)
    teacher = build_teacher("density", percentiles=(50,), motion_weight=0, appearance_weight=0)
    bottoms = rng.uniform(0.3, 1.0, 400)
    heights = 60 * bottoms  # twice as tall at the bottom of the frame as half-way up
    flow = np.stack([0.05 * heights * rng.choice([-1, 1], 400), np.zeros(400)], axis=1)  # 0.05 heights per step
    teacher.fit([np.column_stack([flow, heights, bottoms])[i::4] for i in range(4)])
    near, far = [[3.0, 0.0, 60.0, 1.0]], [[3.0, 0.0, 30.0, 0.5]]  # 3 pixels: 0.05 heights near, 0.1 far
    sliver = [[3.0, 0.0, 6.0, 1.0]]  # a partial box at the bottom row: measured against 60 pixels, not 6
    assert teacher.score(near)[0] < 1 < teacher.score(far)[0]
    assert teacher.score(sliver)[0] == teacher.score(near)[0]
