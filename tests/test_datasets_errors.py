"""Bad datasets get one-line FastaedErrors that name what is wrong and where."""
import json

import cv2
import numpy as np
import pytest
import scipy.io

from pipeline.datasets import open_dataset
from pipeline.errors import FastaedError
from test_datasets_builders import build_repacked, masks_for, random_frames, save_ranges_mat, write_avi, write_images


def raises_one_line(match):
    """pytest.raises for a FastaedError whose one-line message matches ``match``."""
    return pytest.raises(FastaedError, match=rf"^(?!.*\n){match}")


def test_missing_root(tmp_path):
    with raises_one_line(r".*nowhere does not exist: check the path"):
        open_dataset(tmp_path / "nowhere")


def test_root_that_is_a_file(tmp_path):
    (tmp_path / "x.avi").write_bytes(b"")
    with raises_one_line(r".*x\.avi is not a folder"):
        open_dataset(tmp_path / "x.avi")


def test_unknown_layout(tmp_path):
    (tmp_path / "readme.txt").write_text("no videos here")
    (tmp_path / "empty").mkdir()
    with raises_one_line(r"no known dataset layout in .*: expected one of ucsd-original"):
        open_dataset(tmp_path)


def test_unknown_forced_layout(tmp_path):
    with raises_one_line(r"unknown layout 'ped3': use one of"):
        open_dataset(tmp_path, layout="ped3")


def test_layout_without_any_video(tmp_path):
    (tmp_path / "training_videos").mkdir()
    with raises_one_line(r"no videos in .* \(read as layout avenue\)"):
        open_dataset(tmp_path)


def test_empty_video(tmp_path):
    build_repacked(tmp_path)
    (tmp_path / "training" / "frames" / "03").mkdir()
    with raises_one_line(r"train video 03 has no frames \(.*frames/03\): add its frames or remove it"):
        open_dataset(tmp_path)


def test_mixed_frame_sizes_are_caught_by_validation_and_by_reading(tmp_path):
    frames = random_frames(70, 4)
    write_images(tmp_path / "clip", frames)
    assert cv2.imwrite(str(tmp_path / "clip" / "002.png"), random_frames(71, 1, size=(20, 32))[0])
    video = open_dataset(tmp_path).train[0]
    np.testing.assert_array_equal(video[1], frames[1])
    with raises_one_line(r".*clip/002\.png is 32x20 but the video's frames are 32x24 \(width x height\)"):
        video[2]
    with raises_one_line(r".*clip/002\.png is 32x20"):
        video.validate()


def test_labels_longer_than_the_video(tmp_path):
    build_repacked(tmp_path, masks=False)
    (tmp_path / "gt" / "frame_labels.json").write_text(json.dumps({"01": [0] * 7, "02": [0] * 5}))
    with raises_one_line(r"test video 01: .*frame_labels\.json gives 7 frame labels but the video has 6 frames"):
        open_dataset(tmp_path)


def test_frame_ranges_beyond_the_video(tmp_path):
    build_repacked(tmp_path, masks=False)
    (tmp_path / "gt" / "frame_labels.json").unlink()
    save_ranges_mat(tmp_path / "ped2.mat", [[(2, 3)], [(4, 6)]])
    with raises_one_line(r".*ped2\.mat: anomalous frames 4-6 of test video 02 do not fit its 5 frames"):
        open_dataset(tmp_path)


def test_frame_ranges_for_another_number_of_videos(tmp_path):
    build_repacked(tmp_path, masks=False)
    save_ranges_mat(tmp_path / "gt" / "ped2.mat", [[(2, 3)]])
    with raises_one_line(r".*ped2\.mat lists 1 test videos but the dataset has 2"):
        open_dataset(tmp_path)


def test_labels_for_an_unknown_video(tmp_path):
    build_repacked(tmp_path, masks=False)
    (tmp_path / "gt" / "frame_labels.json").write_text(json.dumps({"../01": [0] * 6}))
    with raises_one_line(r".*frame_labels\.json has labels for '\.\./01', which is not a test video here"):
        open_dataset(tmp_path)


def test_mask_count_differs_from_frame_count(tmp_path):
    build_repacked(tmp_path)
    (tmp_path / "testing" / "pixel_masks" / "02" / "004.png").unlink()
    dataset = open_dataset(tmp_path)
    with raises_one_line(r"test video 02: 4 pixel masks in .*pixel_masks/02 but 5 frames"):
        dataset.validate()


def test_mask_of_another_size(tmp_path):
    build_repacked(tmp_path)
    cv2.imwrite(str(tmp_path / "testing" / "pixel_masks" / "01" / "003.png"), masks_for([1], size=(12, 16))[0])
    dataset = open_dataset(tmp_path)
    with raises_one_line(r".*pixel_masks/01/003\.png is 16x12 but the video's frames are 32x24"):
        dataset.validate()
    with raises_one_line(r".*pixel_masks/01/003\.png is 16x12"):
        dataset.video("test", "01").mask(3)


def test_masks_for_a_missing_video(tmp_path):
    build_repacked(tmp_path)
    write_images(tmp_path / "testing" / "pixel_masks" / "07", masks_for([1]))
    with raises_one_line(r"pixel masks .*pixel_masks/07 belong to no test video"):
        open_dataset(tmp_path)


def test_unreadable_frame(tmp_path):
    write_images(tmp_path / "clip", random_frames(72, 3), "{:03d}.jpg")
    (tmp_path / "clip" / "001.jpg").write_bytes(b"not a jpeg at all")
    video = open_dataset(tmp_path).train[0]
    with raises_one_line(r".*clip/001\.jpg is not a readable image .*: replace or remove the file"):
        video.validate()
    with raises_one_line(r".*clip/001\.jpg is not a readable image .*: replace or remove the file"):
        video[1]


def test_unreadable_video_file(tmp_path):
    (tmp_path / "broken.avi").write_bytes(b"RIFF" + bytes(100))
    with raises_one_line(r"cannot open video .*broken\.avi: check that it is a complete video file"):
        len(open_dataset(tmp_path).train[0])


def test_truncated_video_file_fails_validation(tmp_path):
    path = write_avi(tmp_path / "clip.avi", random_frames(73, 40, size=(48, 64)))
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    video = open_dataset(tmp_path).train[0]
    assert len(video) == 40  # the AVI header still says 40 frames; the last third of them is gone
    with raises_one_line(r"cannot decode frame 39 of video .*clip\.avi \(its container says 40 frames\)"):
        video.validate()


def test_video_file_and_frame_folder_with_one_name(tmp_path):
    write_avi(tmp_path / "cam.avi", random_frames(74, 3))
    write_images(tmp_path / "cam", random_frames(75, 3))
    with raises_one_line(r".*cam.* and .*cam.* would both be video 'cam': rename or remove one of them"):
        open_dataset(tmp_path)


def test_loose_images_beside_videos(tmp_path):
    write_avi(tmp_path / "cam.avi", random_frames(76, 3))
    write_images(tmp_path, random_frames(77, 2))
    with raises_one_line(r".* holds image files beside videos or frame folders"):
        open_dataset(tmp_path)


def test_mat_without_gt_variable(tmp_path):
    build_repacked(tmp_path, masks=False)
    scipy.io.savemat(tmp_path / "gt" / "other.mat", {"something": np.zeros(3)})
    with raises_one_line(r".*other\.mat has no cell array 'gt' of \[start; end\] frame ranges"):
        open_dataset(tmp_path)
