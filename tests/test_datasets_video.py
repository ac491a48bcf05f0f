"""The Video abstraction: a lazy Sequence of grayscale frames, frame-number order, safe ids, pickling."""
import pickle
from collections.abc import Sequence

import numpy as np
import pytest

from pipeline.datasets import open_dataset
from pipeline.datasets.listing import checked_video_id, image_files, natural_key
from pipeline.errors import FastaedError
from test_datasets_builders import random_frames, write_avi, write_images


@pytest.fixture(params=["images", "avi"])
def video_and_frames(request, tmp_path):
    frames = random_frames(60, 9)
    if request.param == "images":
        write_images(tmp_path / "clip", frames)
    else:
        write_avi(tmp_path / "clip.avi", frames)
    return open_dataset(tmp_path).video("train", "clip"), frames


def test_video_is_a_sequence_of_frames(video_and_frames):
    video, frames = video_and_frames
    assert isinstance(video, Sequence)
    assert len(video) == 9 and video.frame_size == (24, 32) and video.split == "train"
    np.testing.assert_array_equal(video[-9], frames[0])
    np.testing.assert_array_equal(np.stack(list(video)), frames)
    np.testing.assert_array_equal(video[np.int64(4)], frames[4])
    for bad in (9, -10):
        with pytest.raises(IndexError):
            video[bad]


def test_slices_and_iter_frames_follow_slice_rules(video_and_frames):
    video, frames = video_and_frames
    np.testing.assert_array_equal(video[::3], frames[::3])
    np.testing.assert_array_equal(video[-3:], frames[-3:])
    assert video[5:2].shape == (0, 24, 32)
    np.testing.assert_array_equal(np.stack(list(video.iter_frames(start=-2))), frames[-2:])
    np.testing.assert_array_equal(np.stack(list(video.iter_frames(6, 100))), frames[6:])
    assert list(video.iter_frames(4, 4)) == []


def test_video_survives_pickling_midway(video_and_frames):
    """Worker processes receive videos by pickle; an open decoder must not travel with them."""
    video, frames = video_and_frames
    video[3]
    copy = pickle.loads(pickle.dumps(video))
    np.testing.assert_array_equal(copy[4], frames[4])
    np.testing.assert_array_equal(copy[0], frames[0])


def test_labels_are_read_only(tmp_path):
    write_images(tmp_path / "testing" / "frames" / "01", random_frames(61, 3))
    (tmp_path / "gt").mkdir()
    (tmp_path / "gt" / "frame_labels.json").write_text('{"01": [0, 1, 0]}')
    labels = open_dataset(tmp_path).test[0].labels
    with pytest.raises(ValueError):
        labels[0] = 1


def test_frame_names_sort_by_number(tmp_path):
    names = ["10.jpg", "9.jpg", "frame002.bmp", "000.png", "frame1.bmp"]
    assert sorted(names, key=natural_key) == ["000.png", "9.jpg", "10.jpg", "frame1.bmp", "frame002.bmp"]
    frames = random_frames(62, 12)
    write_images(tmp_path / "clip", frames, "{}.png")  # 0.png .. 11.png
    assert [path.name for path in image_files(tmp_path / "clip")][:3] == ["0.png", "1.png", "2.png"]
    np.testing.assert_array_equal(open_dataset(tmp_path).train[0][10], frames[10])


def test_two_files_with_one_frame_number_are_refused(tmp_path):
    write_images(tmp_path / "clip", random_frames(63, 2), "{}.png")
    write_images(tmp_path / "clip", random_frames(64, 1), "{:02d}.png", first=1)  # 01.png beside 1.png
    with pytest.raises(FastaedError, match="same frame number"):
        open_dataset(tmp_path)


@pytest.mark.parametrize("name", ["..", ".", "a/b", "a\\b", ".hidden", "", "tab\there"])
def test_unsafe_video_ids_are_refused(name):
    with pytest.raises(FastaedError, match="not a safe file name"):
        checked_video_id(name, "somewhere")


def test_video_named_with_a_backslash_is_refused_when_opening(tmp_path):
    write_images(tmp_path / "cam\\1", random_frames(65, 2))
    with pytest.raises(FastaedError, match=r"video name 'cam\\\\1' .* not a safe file name"):
        open_dataset(tmp_path)


def test_safe_ids_pass_unchanged():
    assert checked_video_id("01_0014", "x") == "01_0014"
    assert checked_video_id("cam 2.day-1", "x") == "cam 2.day-1"
