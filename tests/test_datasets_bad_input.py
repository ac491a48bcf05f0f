"""Every bad dataset input a user can give gets one stderr line naming the file, exit 2, no traceback, no output.

Each case writes a real dataset on disk and runs ``fastaed dataset-info`` on it through click's
CliRunner, with pytest's ``capfd`` watching file descriptor 2 as well: the C decoders (libjpeg,
libpng, libtiff, FFmpeg, OpenCV's logger) write there directly, and nothing of theirs may show.
A few cases also run as a real ``python -m pipeline dataset-info`` process.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import scipy.io
from click.testing import CliRunner

from pipeline.cli import main
from test_datasets_builders import (build_repacked, cut_in_half, masks_for, non_utf8, random_frames, save_ranges_mat,
                                    save_vol_label, write_avi, write_images)

REPO = Path(__file__).resolve().parents[1]
SIZE = (48, 64)  # large enough that half a JPEG still has its whole header


def clip(root, extension="png", count=4, size=SIZE):
    """A plain-folder dataset ``root`` with one frame-folder video ``clip``; returns the frame folder."""
    return write_images(root / "clip", random_frames(20, count, size), "{:03d}." + extension)


# ------------------------------------------------------------------ frames, videos, names
def zero_byte_frame(root):
    (clip(root) / "001.png").write_bytes(b"")
    return r"clip/001\.png is empty \(0 bytes\): replace or remove the file"


def truncated_jpeg_frame(root):
    cut_in_half(clip(root, "jpg") / "002.jpg")
    return r"clip/002\.jpg is truncated \(a JPEG file of \d+ bytes without its end marker\)"


def truncated_png_frame(root):
    cut_in_half(clip(root) / "002.png")
    return r"clip/002\.png is truncated \(a PNG file of \d+ bytes without its end marker\)"


def truncated_tiff_frame(root):
    cut_in_half(clip(root, "tif") / "003.tif")
    return r"clip/003\.tif is not a readable image \(.*\): replace or remove the file"


def text_file_in_frame_folder(root):
    (clip(root) / "notes.txt").write_text("shot on Monday")
    return (r"clip/notes\.txt is not a frame image, but the frame folder .*clip must hold only images "
            r"\(.*hidden files, Thumbs\.db and desktop\.ini are ignored\): move it out")


def folder_in_frame_folder(root):
    (clip(root) / "rejected").mkdir()
    return r"clip/rejected is a folder, but the frame folder .*clip must hold only images"


def mixed_frame_sizes(root):
    assert cv2.imwrite(str(clip(root) / "003.png"), random_frames(21, 1, size=(30, 40))[0])
    return r"clip/003\.png is 40x30 but the video's frames are 64x48 \(width x height\)"


def empty_video_folder(root):
    build_repacked(root)
    (root / "testing" / "frames" / "03").mkdir()
    return r"test video 03 has no frames \(.*testing/frames/03\): add its frames or remove it"


def empty_folder_beside_a_video(root):
    write_avi(root / "monday.avi", random_frames(22, 3))
    (root / "tuesday").mkdir()
    return r"train video tuesday has no frames \(.*/tuesday\)"


def zero_byte_video(root):
    root.mkdir()
    (root / "cam.avi").write_bytes(b"")
    return r"video .*cam\.avi is empty \(0 bytes\)"


def truncated_video(root):
    cut_in_half(write_avi(root / "cam.avi", random_frames(23, 40, SIZE)))
    return r"cannot decode frame \d+ of video .*cam\.avi \(its container says 40 frames\): the file may be truncated"


def not_a_video(root):
    root.mkdir()
    (root / "cam.mp4").write_text("<html>404 not found</html>")
    return r"cannot open video .*cam\.mp4: check that it is a complete video file"


def video_name_not_utf8(root):
    folder = non_utf8(root, b"cam\xe9ra")  # Latin-1 "caméra", as copied from an old system
    folder.mkdir(parents=True)
    for index, frame in enumerate(random_frames(24, 2)):  # OpenCV cannot write to such a name: Python does
        (folder / f"{index:03d}.png").write_bytes(cv2.imencode(".png", frame)[1].tobytes())
    return r"video name 'cam\\udce9ra' in .* is not valid UTF-8: rename it"


def video_under_a_folder_not_utf8(root):
    inner = non_utf8(root, b"d\xe9p\xf4t")
    inner.mkdir(parents=True)
    (inner / "cam.avi").write_bytes(write_avi(root / "cam.avi", random_frames(25, 3)).read_bytes())
    (root / "cam.avi").unlink()
    return inner, r"video path .*cam\.avi is not valid UTF-8, which OpenCV cannot open: rename the file or its folders"


def video_name_with_a_newline(root):
    write_images(root / "cam\n2", random_frames(26, 2))
    return r"video name 'cam\\n2' in .* is not a safe file name: rename it"


def video_name_too_long(root):
    write_images(root / ("c" * 201), random_frames(27, 2))
    return r"video name 'c+'\.\.\. in .* is 201 bytes long: rename it to at most 200 bytes"


def truncated_mask(root):
    build_repacked(root)
    cut_in_half(root / "testing" / "pixel_masks" / "01" / "003.png")
    return r"pixel_masks/01/003\.png is truncated \(a PNG file"


def zero_byte_mask(root):
    build_repacked(root)
    (root / "testing" / "pixel_masks" / "02" / "000.png").write_bytes(b"")
    return r"pixel_masks/02/000\.png is empty \(0 bytes\)"


MEDIA_CASES = [zero_byte_frame, truncated_jpeg_frame, truncated_png_frame, truncated_tiff_frame,
               text_file_in_frame_folder, folder_in_frame_folder, mixed_frame_sizes, empty_video_folder,
               empty_folder_beside_a_video, zero_byte_video, truncated_video, not_a_video, video_name_not_utf8,
               video_under_a_folder_not_utf8, video_name_with_a_newline, video_name_too_long, truncated_mask,
               zero_byte_mask]
REAL_PROCESS_CASES = [truncated_jpeg_frame, truncated_video, video_name_not_utf8]


# ------------------------------------------------------------------ inputs that must be read as good
def hidden_and_system_files_are_ignored(root):
    folder = clip(root)
    for name in [".DS_Store", "._000.png", "Thumbs.db", "desktop.ini", ".gitkeep"]:
        (folder / name).write_bytes(b"\x00junk")
    return {"train": {"videos": 1, "frames": 4}}


def video_of_one_frame(root):
    clip(root, count=1)
    return {"train": {"videos": 1, "frames": 1}}


def names_with_spaces_and_accents(root):
    write_images(root / "vidéo 01", random_frames(28, 3))
    write_avi(root / "caméra nord 2.avi", random_frames(29, 5))
    return {"train": {"videos": 2, "frames": 8}}


GOOD_CASES = [hidden_and_system_files_are_ignored, video_of_one_frame, names_with_spaces_and_accents]


def build(case, tmp_path):
    """Write the dataset of ``case`` under ``tmp_path``: ``(root to pass, expected message or counts)``."""
    root = tmp_path / "dataset"
    outcome = case(root)
    return outcome if isinstance(outcome, tuple) else (root, outcome)


def dataset_info(root, capfd):
    """``fastaed dataset-info --json ROOT`` in-process: (exit code, stdout, stderr); C-level output fails the test."""
    result = CliRunner().invoke(main, ["dataset-info", "--json", str(root)])
    leaked = capfd.readouterr()
    assert leaked.out == leaked.err == "", f"written past click, straight to the terminal: {leaked}"
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_error(exit_code, stdout, stderr, message):
    """Exit 2, nothing on stdout, one ``fastaed: error:`` line on stderr matching ``message``, no traceback."""
    assert exit_code == 2, (exit_code, stderr)
    assert stdout == ""
    assert "Traceback" not in stderr
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("fastaed: error: "), stderr
    assert re.search(message, stderr), stderr


@pytest.mark.parametrize("case", MEDIA_CASES, ids=lambda case: case.__name__)
def test_bad_frames_videos_and_names_give_one_line(tmp_path, capfd, case):
    root, message = build(case, tmp_path)
    assert_one_line_error(*dataset_info(root, capfd), message)


@pytest.mark.parametrize("case", GOOD_CASES, ids=lambda case: case.__name__)
def test_harmless_oddities_are_read(tmp_path, capfd, case):
    root, counts = build(case, tmp_path)
    exit_code, stdout, stderr = dataset_info(root, capfd)
    assert exit_code == 0 and stderr == "", stderr
    assert json.loads(stdout)["train"] == counts["train"]


@pytest.mark.parametrize("case", REAL_PROCESS_CASES, ids=lambda case: case.__name__)
def test_a_real_process_shows_the_same_one_line(tmp_path, case):
    root, message = build(case, tmp_path)
    result = subprocess.run([sys.executable, "-m", "pipeline", "dataset-info", str(root)], capture_output=True,
                            text=True, errors="backslashreplace", cwd=REPO, timeout=120)
    assert_one_line_error(result.returncode, result.stdout, result.stderr, message)


# ------------------------------------------------------------------ ground truth (Python readers only)
def shanghaitech(root, test_ids=("01_0014",)):
    """ShanghaiTech layout: one training video, 4-frame test videos, .npy frame labels and pixel masks."""
    write_avi(root / "training" / "videos" / "01_001.avi", random_frames(30, 3))
    for number, video_id in enumerate(test_ids):
        write_images(root / "testing" / "frames" / video_id, random_frames(31 + number, 4))
        (root / "testing" / "test_frame_mask").mkdir(parents=True, exist_ok=True)
        (root / "testing" / "test_pixel_mask").mkdir(parents=True, exist_ok=True)
        np.save(root / "testing" / "test_frame_mask" / f"{video_id}.npy", np.array([0, 1, 1, 0]))
        np.save(root / "testing" / "test_pixel_mask" / f"{video_id}.npy", masks_for([0, 1, 1, 0]))
    return root / "testing"


def avenue(root):
    """Avenue layout: one training and one 4-frame test video with its volLabel masks."""
    write_avi(root / "training_videos" / "01.avi", random_frames(35, 3))
    write_avi(root / "testing_videos" / "01.avi", random_frames(36, 4))
    save_vol_label(root / "testing_label_mask" / "1_label.mat", masks_for([0, 1, 1, 0]))
    return root / "testing_label_mask" / "1_label.mat"


def repacked_with_labels(root, labels_text):
    """Re-packed layout (test videos 01: 6 frames, 02: 5 frames) whose frame_labels.json is ``labels_text``."""
    build_repacked(root, masks=False)
    (root / "gt" / "frame_labels.json").write_text(labels_text)


def labels_of_wrong_length(root):
    np.save(shanghaitech(root) / "test_frame_mask" / "01_0014.npy", np.array([0, 1, 1]))
    return r"test video 01_0014: .*01_0014\.npy gives 3 frame labels but the video has 4 frames"


def npy_masks_of_another_size(root):
    np.save(shanghaitech(root) / "test_pixel_mask" / "01_0014.npy", np.zeros((4, 12, 16), np.uint8))
    return r"test_pixel_mask/01_0014\.npy is 16x12 but the video's frames are 32x24"


def mat_masks_of_another_size(root):
    save_vol_label(avenue(root), masks_for([0, 1, 1, 0], size=(12, 16)))
    return r"1_label\.mat is 16x12 but the video's frames are 32x24"


def mask_missing_for_a_frame(root):
    build_repacked(root)
    (root / "testing" / "pixel_masks" / "02" / "002.png").unlink()
    return r"test video 02: 4 pixel masks in .*pixel_masks/02 but 5 frames \(.*frames/02/002\.png has no mask\)"


def mat_masks_missing_for_a_frame(root):
    save_vol_label(avenue(root), masks_for([0, 1, 1]))
    return r"test video 01: 3 pixel masks in .*1_label\.mat but 4 frames: give every frame one mask"


def mat_that_is_no_mat_file(root):
    build_repacked(root, masks=False)
    (root / "gt" / "frame_labels.json").unlink()
    (root / "gt" / "ped2.mat").write_text("gt = {[61; 180]}")
    return r"cannot read .*gt/ped2\.mat as a MATLAB file \(.*\): save it as a MATLAB v5 \.mat file with a variable 'gt'"


def zero_byte_mat(root):
    avenue(root).write_bytes(b"")
    return r"1_label\.mat is empty \(0 bytes\): save it as a MATLAB v5 \.mat file with a variable 'volLabel'"


def mat_without_its_variable(root):
    scipy.io.savemat(avenue(root), {"masks": np.zeros((2, 2))})
    return r"1_label\.mat has no 'volLabel' variable"


def mat_ranges_that_are_text(root):
    build_repacked(root, masks=False)
    cells = np.empty((1, 2), dtype=object)
    cells[0, 0], cells[0, 1] = "61:180", "1:5"
    scipy.io.savemat(root / "gt" / "ped2.mat", {"gt": cells})
    return r"gt/ped2\.mat: 'gt' cell 1 must be \[start; end\] frame numbers, not array\(\['61:180'\]"


def npy_that_is_no_npy_file(root):
    (shanghaitech(root) / "test_frame_mask" / "01_0014.npy").write_text("0,1,1,0")
    return r"01_0014\.npy is not a \.npy file \(it does not start like one\): replace it with a \(frames,\) array"


def zero_byte_npy(root):
    (shanghaitech(root) / "test_pixel_mask" / "01_0014.npy").write_bytes(b"")
    return r"test_pixel_mask/01_0014\.npy is empty \(0 bytes\)"


def truncated_npy(root):
    cut_in_half(shanghaitech(root) / "test_pixel_mask" / "01_0014.npy")
    return r"cannot read .*test_pixel_mask/01_0014\.npy as a \.npy array \(.*\): replace it"


def npz_saved_as_npy(root):
    path = shanghaitech(root) / "test_frame_mask" / "01_0014.npy"
    with open(path, "wb") as file:
        np.savez(file, labels=np.array([0, 1, 1, 0]))
    return r"01_0014\.npy is not a \.npy file"


def npy_labels_of_wrong_shape(root):
    np.save(shanghaitech(root) / "test_frame_mask" / "01_0014.npy", np.zeros((4, 2)))
    return r"01_0014\.npy: the labels of test video 01_0014 must be a list of 0 and 1, one per frame, not an array of shape \(4, 2\)"


def npy_labels_of_strings(root):
    np.save(shanghaitech(root) / "test_frame_mask" / "01_0014.npy", np.array(["0", "1", "1", "0"]))
    return r"01_0014\.npy holds <U1 values, not numbers"


def npy_masks_of_wrong_shape(root):
    np.save(shanghaitech(root) / "test_pixel_mask" / "01_0014.npy", np.zeros((4, 24 * 32), np.uint8))
    return r"pixel masks .*01_0014\.npy have shape \(4, 768\), not \(frames, height, width\)"


def npy_masks_of_strings(root):
    np.save(shanghaitech(root) / "test_pixel_mask" / "01_0014.npy", np.full((4, 24, 32), "x"))
    return r"test_pixel_mask/01_0014\.npy holds <U1 values, not numbers"


def npy_labels_missing_for_a_video(root):
    folder = shanghaitech(root, test_ids=("01_0014", "01_0015"))
    (folder / "test_frame_mask" / "01_0015.npy").unlink()
    return r"test_frame_mask has no 01_0015\.npy for test video 01_0015: add its frame labels"


def labels_json_that_is_no_json(root):
    repacked_with_labels(root, "{'01': [0, 0, 1]}")
    return r"gt/frame_labels\.json is not valid JSON \(.*\): fix or remove it"


def labels_json_that_is_a_list(root):
    repacked_with_labels(root, "[[0, 0, 1, 1, 1, 0], [1, 1, 0, 0, 0]]")
    return r"gt/frame_labels\.json must hold an object"


def labels_json_with_a_2(root):
    repacked_with_labels(root, json.dumps({"01": [0, 0, 1, 2, 1, 0], "02": [0] * 5}))
    return r"frame_labels\.json: the labels of test video 01 must be a list of 0 and 1, but frame 3 \(0-based\) has 2"


def labels_json_of_strings(root):
    repacked_with_labels(root, json.dumps({"01": ["0"] * 6, "02": [0] * 5}))
    return r"frame_labels\.json: the labels of test video 01 must be a list of 0 and 1, one per frame, not \['0'"


def labels_json_of_nested_lists(root):
    repacked_with_labels(root, json.dumps({"01": [0, [1, 1], 0, 0, 0, 0], "02": [0] * 5}))
    return r"frame_labels\.json: the labels of test video 01 must be a list of 0 and 1, one per frame, not \[0, \[1, 1\]"


def labels_json_missing_a_video(root):
    repacked_with_labels(root, json.dumps({"01": [0] * 6}))
    return r"gt/frame_labels\.json has no labels for test video 02: add its frame labels \(one 0/1 per frame\)"


def labels_json_naming_a_path(root, outside="/etc/passwd"):
    repacked_with_labels(root, json.dumps({"01": [0] * 6, "02": [0] * 5, outside: [0] * 5}))
    return rf"frame_labels\.json has labels for '{re.escape(outside)}', which is not a test video here"


def npz_that_is_no_npz(root):
    build_repacked(root, masks=False)
    (root / "gt" / "frame_labels.json").unlink()
    np.save(root / "gt" / "labels.npy", np.zeros(3))
    os.rename(root / "gt" / "labels.npy", root / "gt" / "frame_labels.npz")
    return r"gt/frame_labels\.npz is not an \.npz archive"


def ranges_for_frames_the_video_lacks(root):
    build_repacked(root, masks=False)
    (root / "gt" / "frame_labels.json").unlink()
    save_ranges_mat(root / "gt" / "ped2.mat", [[(2, 3)], [(4, 9)]])
    return r"ped2\.mat: anomalous frames 4-9 of test video 02 do not fit its 5 frames"


GROUND_TRUTH_CASES = [labels_of_wrong_length, npy_masks_of_another_size, mat_masks_of_another_size,
                      mask_missing_for_a_frame, mat_masks_missing_for_a_frame, mat_that_is_no_mat_file, zero_byte_mat,
                      mat_without_its_variable, mat_ranges_that_are_text, npy_that_is_no_npy_file, zero_byte_npy,
                      truncated_npy, npz_saved_as_npy, npy_labels_of_wrong_shape, npy_labels_of_strings,
                      npy_masks_of_wrong_shape, npy_masks_of_strings, npy_labels_missing_for_a_video,
                      labels_json_that_is_no_json, labels_json_that_is_a_list, labels_json_with_a_2,
                      labels_json_of_strings, labels_json_of_nested_lists, labels_json_missing_a_video,
                      labels_json_naming_a_path, npz_that_is_no_npz, ranges_for_frames_the_video_lacks]


@pytest.mark.parametrize("case", GROUND_TRUTH_CASES, ids=lambda case: case.__name__)
def test_bad_ground_truth_gives_one_line(tmp_path, capfd, case):
    root, message = build(case, tmp_path)
    assert_one_line_error(*dataset_info(root, capfd), message)


@pytest.mark.parametrize("outside", ["../01", "/etc/passwd", "01/../../x"])
def test_label_keys_that_are_paths_are_refused(tmp_path, capfd, outside):
    message = labels_json_naming_a_path(tmp_path, outside)
    assert_one_line_error(*dataset_info(tmp_path, capfd), message)
