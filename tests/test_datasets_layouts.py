"""Tiny copies of each official layout, written here and read back frame-exactly with their ground truth."""
import json

import cv2
import numpy as np
import pytest

from pipeline.datasets import Video, open_dataset
from pipeline.errors import FastaedError
from test_datasets_builders import (build_repacked, labels_from_ranges, masks_for, random_frames, save_ranges_mat,
                                    save_vol_label, smooth_frames, write_avi, write_images)


def assert_reads_back(video, frames):
    """Every access path gives exactly ``frames``: random access, negative index, iteration, slices."""
    assert isinstance(video, Video)
    assert len(video) == len(frames)
    assert video.frame_size == frames.shape[1:]
    for index in [2, 0, len(frames) - 1, 1, 1, 3]:  # out of order, repeated: seeks and continues
        np.testing.assert_array_equal(video[index], frames[index])
    np.testing.assert_array_equal(video[-1], frames[-1])
    np.testing.assert_array_equal(np.stack(list(video.iter_frames())), frames)
    np.testing.assert_array_equal(np.stack(list(video.iter_frames(1, 3))), frames[1:3])
    np.testing.assert_array_equal(video[1:], frames[1:])
    assert video[0].dtype == np.uint8 and video[0].ndim == 2


def assert_masks(video, masks):
    assert video.has_masks
    for index in range(len(masks)):
        np.testing.assert_array_equal(video.mask(index), masks[index] > 0)


# ---------------------------------------------------------------- UCSD original tif tree
def build_ucsd_original(root, m_ranges=None):
    train = {"Train001": random_frames(10, 5), "Train002": random_frames(11, 12)}
    test = {"Test001": random_frames(12, 6), "Test002": random_frames(13, 5), "Test003": random_frames(14, 4)}
    ranges = {"Test001": [(4, 6)], "Test002": [(1, 2), (5, 5)], "Test003": [(2, 3)]}
    write_images(root / "Train" / "Train001", train["Train001"], "{:03d}.tif", first=1)
    write_images(root / "Train" / "Train002", train["Train002"], "{}.tif", first=1)  # 1..12: numeric order
    (root / "Train" / "Train001" / "._001.tif").write_bytes(b"macOS resource fork")  # hidden: ignored
    for video_id, frames in test.items():
        write_images(root / "Test" / video_id, frames, "{:03d}.tif", first=1)
    masks = {video_id: masks_for(labels_from_ranges(len(test[video_id]), ranges[video_id]))
             for video_id in ("Test001", "Test002")}  # Test003: frame ranges only, as for most of Ped1
    write_images(root / "Test" / "Test001_gt", masks["Test001"], "{:03d}.bmp", first=1)
    write_images(root / "Test" / "Test002_gt", masks["Test002"], "frame{:03d}.bmp", first=1)
    lines = ["TestVideoFile = {};", "% TestVideoFile{end+1}.gt_frame = [1:1];  (a comment: ignored)"]
    lines += [f"TestVideoFile{{end+1}}.gt_frame = [{', '.join(f'{s}:{e}' for s, e in (m_ranges or ranges)[video_id])}];"
              for video_id in test]
    (root / "Test" / "UCSDped2.m").write_text("\n".join(lines) + "\n")
    return train, test, ranges, masks


def test_ucsd_original_tif_tree_reads_back_exactly(tmp_path):
    root = tmp_path / "UCSDped2"
    train, test, ranges, masks = build_ucsd_original(root)
    dataset = open_dataset(root)
    assert dataset.layout == "ucsd-original" and dataset.name == "UCSDped2"
    assert [video.id for video in dataset.train] == ["Train001", "Train002"]
    assert [video.id for video in dataset.test] == ["Test001", "Test002", "Test003"]
    for video in dataset.train + dataset.test:
        assert_reads_back(video, {**train, **test}[video.id])
    for video_id, video_masks in masks.items():
        assert_masks(dataset.video("test", video_id), video_masks)
    assert not dataset.video("test", "Test003").has_masks
    assert dataset.video("test", "Test003").mask(0) is None
    for video_id, video_ranges in ranges.items():
        expected = labels_from_ranges(len(test[video_id]), video_ranges)
        np.testing.assert_array_equal(dataset.frame_labels()[video_id], expected)
    assert dataset.video("train", "Train001").labels is None
    dataset.validate()


def test_ucsd_m_file_that_disagrees_with_the_masks_names_the_video(tmp_path):
    root = tmp_path / "UCSDped2"
    build_ucsd_original(root, m_ranges={"Test001": [(4, 6)], "Test002": [(1, 3)], "Test003": [(2, 3)]})
    dataset = open_dataset(root)
    with pytest.raises(FastaedError, match=r"test video Test002: .*UCSDped2\.m disagree.* 2 frames \(first: frame 2"):
        dataset.validate()


def test_folder_holding_ped1_and_ped2_asks_for_one(tmp_path):
    (tmp_path / "UCSDped1" / "Train").mkdir(parents=True)
    (tmp_path / "UCSDped2" / "Train").mkdir(parents=True)
    with pytest.raises(FastaedError, match="holds UCSDped1, UCSDped2: pass one of them"):
        open_dataset(tmp_path)


# ---------------------------------------------------------------- Avenue
AVENUE_RANGES = [[(3, 5)], [(1, 2), (4, 5)]]


def build_avenue(root, ground_truth):
    train = {"01": random_frames(20, 6), "02": random_frames(21, 5)}
    test = {"01": random_frames(22, 7), "02": random_frames(23, 5)}
    for split, videos in (("training_videos", train), ("testing_videos", test)):
        for video_id, frames in videos.items():
            write_avi(root / split / f"{video_id}.avi", frames)
    labels = [labels_from_ranges(len(test[video_id]), ranges) for video_id, ranges in zip(test, AVENUE_RANGES)]
    masks = {video_id: masks_for(video_labels) for video_id, video_labels in zip(test, labels)}
    if ground_truth in ("masks", "both"):
        for number, video_id in enumerate(test, start=1):
            save_vol_label(root / "ground_truth_demo" / "testing_label_mask" / f"{number}_label.mat", masks[video_id])
    if ground_truth in ("mat", "both"):
        save_ranges_mat(root / "avenue.mat", AVENUE_RANGES)
    return train, test, dict(zip(test, labels)), masks


@pytest.mark.parametrize("ground_truth", ["masks", "mat", "both"])
def test_avenue_videos_read_back_exactly_with_their_ground_truth(tmp_path, ground_truth):
    train, test, labels, masks = build_avenue(tmp_path / "avenue", ground_truth)
    dataset = open_dataset(tmp_path / "avenue")
    assert dataset.layout == "avenue"
    assert [video.id for video in dataset.test] == ["01", "02"]
    for video in dataset.train + dataset.test:
        assert_reads_back(video, {"train": train, "test": test}[video.split][video.id])
    for video_id, video_labels in labels.items():
        np.testing.assert_array_equal(dataset.frame_labels()[video_id], video_labels)
        if ground_truth == "mat":
            assert not dataset.video("test", video_id).has_masks
        else:
            assert_masks(dataset.video("test", video_id), masks[video_id])
    dataset.validate()


def test_avenue_mat_that_disagrees_with_vol_label_names_the_video(tmp_path):
    build_avenue(tmp_path, "masks")
    save_ranges_mat(tmp_path / "avenue.mat", [[(3, 5)], [(1, 2)]])
    with pytest.raises(FastaedError, match=r"test video 02: the frame labels in .*avenue\.mat disagree"):
        open_dataset(tmp_path).validate()


# ---------------------------------------------------------------- ShanghaiTech
def build_shanghaitech(root, frame_labels_0014=None):
    train = {"01_001": random_frames(30, 6), "01_002": random_frames(31, 5)}
    test = {"01_0014": random_frames(32, 6), "01_0015": smooth_frames(33, 5)}
    labels = {"01_0014": np.array([0, 1, 1, 0, 0, 1], np.uint8), "01_0015": np.array([0, 0, 0, 1, 1], np.uint8)}
    for video_id, frames in train.items():
        write_avi(root / "training" / "videos" / f"{video_id}.avi", frames)
    write_images(root / "testing" / "frames" / "01_0014", test["01_0014"], "{:03d}.png")
    write_images(root / "testing" / "frames" / "01_0015", test["01_0015"], "{:03d}.jpg")
    (root / "testing" / "test_frame_mask").mkdir(parents=True)
    (root / "testing" / "test_pixel_mask").mkdir(parents=True)
    np.save(root / "testing" / "test_frame_mask" / "01_0014.npy",
            labels["01_0014"] if frame_labels_0014 is None else frame_labels_0014)
    np.save(root / "testing" / "test_frame_mask" / "01_0015.npy", labels["01_0015"])
    masks = masks_for(labels["01_0014"]) // 255  # ShanghaiTech's pixel masks are 0/1
    np.save(root / "testing" / "test_pixel_mask" / "01_0014.npy", masks)
    return train, test, labels, masks


def test_shanghaitech_videos_frames_and_npy_masks_read_back_exactly(tmp_path):
    train, test, labels, masks = build_shanghaitech(tmp_path / "shanghaitech")
    dataset = open_dataset(tmp_path / "shanghaitech")
    assert dataset.layout == "shanghaitech"
    for video in dataset.train:
        assert_reads_back(video, train[video.id])
    assert_reads_back(dataset.video("test", "01_0014"), test["01_0014"])
    decoded = np.stack([cv2.imread(str(tmp_path / "shanghaitech/testing/frames/01_0015" / f"{index:03d}.jpg"),
                                   cv2.IMREAD_GRAYSCALE) for index in range(5)])
    assert_reads_back(dataset.video("test", "01_0015"), decoded)
    assert np.abs(decoded.astype(int) - test["01_0015"]).max() <= 8  # and they are the frames written
    assert_masks(dataset.video("test", "01_0014"), masks)
    assert not dataset.video("test", "01_0015").has_masks
    for video_id, video_labels in labels.items():
        np.testing.assert_array_equal(dataset.frame_labels()[video_id], video_labels)
    dataset.validate()


def test_shanghaitech_frame_mask_that_disagrees_with_pixel_mask_names_the_video(tmp_path):
    build_shanghaitech(tmp_path, frame_labels_0014=np.array([0, 1, 1, 0, 0, 0], np.uint8))
    with pytest.raises(FastaedError, match=r"test video 01_0014: .*test_frame_mask/01_0014\.npy disagree.*frame 5"):
        open_dataset(tmp_path).validate()


# ---------------------------------------------------------------- re-packed
def test_repacked_layout_reads_back_exactly_with_masks_and_json_labels(tmp_path):
    written = build_repacked(tmp_path)
    dataset = open_dataset(tmp_path)
    assert dataset.layout == "ucsd-repacked"
    for video in dataset.train + dataset.test:
        assert_reads_back(video, written[video.split][video.id])
    for video_id, labels in written["labels"].items():
        np.testing.assert_array_equal(dataset.frame_labels()[video_id], labels)
        assert_masks(dataset.video("test", video_id), masks_for(labels))
    dataset.validate()
    assert dataset.summary() == {"name": tmp_path.name, "layout": "ucsd-repacked",
                                 "train": {"videos": 2, "frames": 9},
                                 "test": {"videos": 2, "frames": 11, "anomalous_frames": 5}}


def test_repacked_jpg_frames_are_what_opencv_decodes_and_ped2_mat_ranges_are_one_based(tmp_path):
    frames = smooth_frames(40, 7)
    write_images(tmp_path / "training" / "frames" / "01", frames[:3], "{:03d}.jpg")
    write_images(tmp_path / "testing" / "frames" / "01", frames[3:], "{:03d}.jpg")
    save_ranges_mat(tmp_path / "ped2.mat", [[(1, 1), (3, 4)]])
    dataset = open_dataset(tmp_path)
    decoded = np.stack([cv2.imread(str(tmp_path / "testing/frames/01" / f"{index:03d}.jpg"), cv2.IMREAD_GRAYSCALE)
                        for index in range(4)])
    assert_reads_back(dataset.test[0], decoded)
    np.testing.assert_array_equal(dataset.test[0].labels, [1, 0, 1, 1])


def test_repacked_json_ucsd_m_and_mat_must_all_agree(tmp_path):
    build_repacked(tmp_path, masks=False)
    (tmp_path / "gt" / "UCSDped2.m").write_text("TestVideoFile{end+1}.gt_frame = [3:5];\n"
                                                "TestVideoFile{end+1}.gt_frame = [1:2];\n")
    save_ranges_mat(tmp_path / "gt" / "ped2.mat", [[(3, 5)], [(1, 2)]])
    np.testing.assert_array_equal(open_dataset(tmp_path).video("test", "02").labels, [1, 1, 0, 0, 0])
    save_ranges_mat(tmp_path / "gt" / "ped2.mat", [[(3, 5)], [(1, 3)]])
    with pytest.raises(FastaedError, match=r"test video 02: .*disagree"):
        open_dataset(tmp_path).video("test", "02").labels


# ---------------------------------------------------------------- plain folder
def test_plain_folder_of_videos_and_frame_folders_is_all_training(tmp_path):
    clip = random_frames(50, 6)
    frames = random_frames(51, 11)
    write_avi(tmp_path / "cam_a.avi", clip)
    write_images(tmp_path / "cam_b", frames, "frame{}.png", first=1)  # frame1 .. frame11
    (tmp_path / "notes.txt").write_text("not a video")
    dataset = open_dataset(tmp_path)
    assert dataset.layout == "folder" and dataset.test == []
    assert [video.id for video in dataset.train] == ["cam_a", "cam_b"]
    assert_reads_back(dataset.video("train", "cam_a"), clip)
    assert_reads_back(dataset.video("train", "cam_b"), frames)
    assert dataset.train[0].labels is None and not dataset.train[0].has_masks
    assert dataset.summary()["test"] == {"videos": 0, "frames": 0, "anomalous_frames": 0}


def test_plain_folder_with_train_and_test_subfolders(tmp_path):
    normal, unusual = random_frames(52, 5), random_frames(53, 4)
    write_avi(tmp_path / "train" / "monday.avi", normal)
    write_images(tmp_path / "test" / "tuesday", unusual)
    dataset = open_dataset(tmp_path)
    assert [(video.split, video.id) for video in dataset.train + dataset.test] == [("train", "monday"),
                                                                                  ("test", "tuesday")]
    assert_reads_back(dataset.video("test", "tuesday"), unusual)
    assert dataset.frame_labels() == {}


def test_a_folder_of_frames_is_one_video_named_after_it(tmp_path):
    frames = random_frames(54, 4)
    write_images(tmp_path / "lobby", frames)
    dataset = open_dataset(tmp_path / "lobby")
    assert [video.id for video in dataset.train] == ["lobby"]
    assert_reads_back(dataset.train[0], frames)


def test_layout_can_be_forced(tmp_path):
    write_images(tmp_path / "training" / "frames" / "01", random_frames(55, 3))
    write_avi(tmp_path / "training" / "clip.avi", random_frames(56, 4))
    assert [video.id for video in open_dataset(tmp_path).train] == ["01"]
    forced = open_dataset(tmp_path, layout="folder")
    assert forced.layout == "folder" and [video.id for video in forced.train] == ["clip"]


def test_synth_style_json_labels_keep_their_order(tmp_path):
    written = build_repacked(tmp_path, masks=False)
    assert json.loads((tmp_path / "gt" / "frame_labels.json").read_text())["01"] == written["labels"]["01"].tolist()
    video = open_dataset(tmp_path).video("test", "01")
    assert not video.has_masks
    np.testing.assert_array_equal(video.labels, written["labels"]["01"])
