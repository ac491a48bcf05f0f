import numpy as np
import pytest

from teachers import Teacher, build_teacher
from test_teachers_scene import blob_video, walkers

OPTIONS = {"steps": 200, "batch_size": 32}


@pytest.fixture(scope="module")
def fitted():
    teacher = build_teacher("autoencoder", **OPTIONS)
    train = [teacher.features(*blob_video(walkers(seed), seed=seed)) for seed in range(6)]
    return teacher.fit(train)


@pytest.fixture(scope="module")
def held_out_normal(fitted):
    return np.concatenate([fitted.features(*blob_video(walkers(seed), seed=seed)) for seed in (100, 101)])


def test_features_are_crops_of_appearance_and_motion(fitted):
    frames, boxes = blob_video(walkers(7), seed=7)
    features = fitted.features(frames, boxes)
    assert features.shape == (len(boxes), 3, 32, 32) and features.dtype == np.uint8
    assert features[:, 0].mean() > features[:, 1:].mean()  # bright objects, small motion


def test_object_that_looks_different_scores_higher(fitted, held_out_normal):
    frames, boxes = blob_video(walkers(300, count=2, pattern="checker", w=16, h=16), seed=300)
    odd = fitted.score(fitted.features(frames, boxes))
    normal = fitted.score(held_out_normal)
    assert np.median(odd) > np.quantile(normal, 0.95)


def test_calibration_puts_typical_normal_objects_near_zero(fitted, held_out_normal):
    assert abs(float(np.median(fitted.score(held_out_normal)))) < 0.5


def test_state_dict_round_trip_gives_identical_scores(fitted, held_out_normal, tmp_path):
    state = fitted.state_dict()
    assert all(isinstance(v, (np.ndarray, str, int, float)) for v in state.values())
    np.savez(tmp_path / "autoencoder.npz", **state)
    with np.load(tmp_path / "autoencoder.npz", allow_pickle=False) as stored:
        restored = Teacher.from_state(dict(stored))
    np.testing.assert_array_equal(restored.score(held_out_normal), fitted.score(held_out_normal))


def test_fitting_is_deterministic(fitted, held_out_normal):
    train = [fitted.features(*blob_video(walkers(seed), seed=seed)) for seed in range(3)]
    first, second = (build_teacher("autoencoder", steps=20, batch_size=16).fit(train) for _ in range(2))
    np.testing.assert_allclose(first.score(held_out_normal), second.score(held_out_normal), rtol=1e-5, atol=1e-5)


def test_bad_options_and_features_are_clear_errors(fitted):
    with pytest.raises(ValueError, match="multiple of 8"):
        build_teacher("autoencoder", size=30)
    with pytest.raises(ValueError, match="unknown autoencoder motion view"):
        build_teacher("autoencoder", motion="optical")
    with pytest.raises(ValueError, match=r"expected \(N, 3, 32, 32\)"):
        fitted.score(np.zeros((2, 3, 16, 16), np.uint8))


def test_a_shaking_camera_does_not_move_a_standing_object():
    frames, boxes = blob_video([{"x": 60.0, "y": 40.0, "vx": 0.0, "vy": 0.0, "w": 8, "h": 18, "value": 210.0}], seed=5)
    shifts = np.random.default_rng(5).integers(-3, 4, (len(frames), 2))
    shaken = np.stack([np.roll(frame, tuple(shift), axis=(0, 1)) for frame, shift in zip(frames, shifts)])
    shaken_boxes = boxes.copy()
    shaken_boxes[:, [1, 3]] += shifts[boxes[:, 0].astype(int), 1:2]
    shaken_boxes[:, [2, 4]] += shifts[boxes[:, 0].astype(int), 0:1]

    def motion(stabilise):
        crops = build_teacher("autoencoder", stabilise=stabilise).features(shaken, shaken_boxes)
        return np.abs(crops[:, 1:, 8:24, 8:24].astype(np.float64) - 128).mean()  # 0 = no displacement

    assert motion(True) < 4 < 8 < motion(False)
