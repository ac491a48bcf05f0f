import subprocess
import sys

import numpy as np
import pytest

from teachers import Teacher, build_teacher
from test_teachers_scene import blob_video, walkers

OPTIONS = {"steps": 300, "batch_size": 32}


def rightward(seed, **overrides):
    # Walkers that all go one way: the order of their frames can be learnt (both ways would be ambiguous).
    return blob_video(walkers(seed, **{"vx": 1.2, **overrides}), seed=seed)


@pytest.fixture(scope="module")
def fitted():
    teacher = build_teacher("jigsaw", **OPTIONS)
    train = [teacher.features(*rightward(seed)) for seed in range(6)]
    return teacher.fit(train)


@pytest.fixture(scope="module")
def held_out_normal(fitted):
    return np.concatenate([fitted.features(*rightward(seed)) for seed in (100, 101)])


def test_features_are_cubes_of_frames_stride_apart():
    frames = np.arange(12, dtype=np.uint8)[:, None, None] * np.ones((12, 20, 20), np.uint8)
    boxes = [[t, 2, 2, 9, 9, 1] for t in (0, 6, 11)]
    cubes = build_teacher("jigsaw", length=3, stride=2, size=8).features(frames, boxes)
    assert cubes.shape == (3, 3, 8, 8) and cubes.dtype == np.uint8
    # Centred on frame 6; shifted inwards at both ends of the video.
    assert cubes[:, :, 4, 4].tolist() == [[0, 2, 4], [4, 6, 8], [7, 9, 11]]


def test_objects_whose_frames_cannot_be_ordered_score_higher(fitted, held_out_normal):
    frames, boxes = rightward(300, vx=0.0)
    standing = fitted.score(fitted.features(frames, boxes))
    assert np.median(standing) > np.quantile(fitted.score(held_out_normal), 0.95)


def test_calibration_puts_typical_normal_objects_near_zero(fitted, held_out_normal):
    assert abs(float(np.median(fitted.score(held_out_normal)))) < 0.5


def test_state_dict_round_trip_gives_identical_scores(fitted, held_out_normal, tmp_path):
    state = fitted.state_dict()
    assert all(isinstance(v, (np.ndarray, str, int, float)) for v in state.values())
    np.savez(tmp_path / "jigsaw.npz", **state)
    with np.load(tmp_path / "jigsaw.npz", allow_pickle=False) as stored:
        restored = Teacher.from_state(dict(stored))
    np.testing.assert_array_equal(restored.score(held_out_normal), fitted.score(held_out_normal))


def test_fitting_is_deterministic(fitted, held_out_normal):
    train = [fitted.features(*rightward(seed)) for seed in range(3)]
    first, second = (build_teacher("jigsaw", steps=20, batch_size=16).fit(train) for _ in range(2))
    np.testing.assert_array_equal(first.score(held_out_normal), second.score(held_out_normal))


def test_progress_bar_is_hidden_off_a_terminal():
    code = ("import numpy as np; from teachers import build_teacher; "
            "cubes = np.random.default_rng(0).integers(0, 255, (3, 20, 5, 32, 32)).astype(np.uint8); "
            "build_teacher('jigsaw', steps=30, batch_size=8).fit(list(cubes))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "jigsaw fit" not in run.stderr and run.stdout == ""


def test_bad_options_and_features_are_clear_errors(fitted):
    with pytest.raises(ValueError, match="multiple of 8"):
        build_teacher("jigsaw", size=30)
    with pytest.raises(ValueError, match="between 2 and 9"):
        build_teacher("jigsaw", length=12)
    with pytest.raises(ValueError, match="at least 1 frame"):
        build_teacher("jigsaw", stride=0)
    with pytest.raises(ValueError, match=r"expected \(N, 5, 32, 32\)"):
        fitted.score(np.zeros((2, 3, 32, 32), np.uint8))
    with pytest.raises(ValueError, match="not fitted"):
        build_teacher("jigsaw").score(np.zeros((1, 5, 32, 32), np.uint8))
