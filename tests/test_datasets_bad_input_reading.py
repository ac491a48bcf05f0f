"""Frames and masks read after opening (Video[i], iter_frames, mask, labels) fail with a FastaedError naming the file.

open_dataset reads structure only, so a file damaged (or replaced) after opening, or never
validated, is met when its frame is read: that must be a FastaedError naming the file, not a
cv2.error, a None, or a TypeError further down.
"""
import cv2
import numpy as np
import pytest

from pipeline.datasets import open_dataset
from pipeline.errors import FastaedError
from test_datasets_builders import build_repacked, cut_in_half, non_utf8, random_frames, write_avi, write_images

SIZE = (48, 64)


def one_line(match):
    """pytest.raises for a one-line FastaedError matching ``match``."""
    return pytest.raises(FastaedError, match=rf"^(?!.*\n).*{match}")


@pytest.fixture(params=["png", "jpg"])
def clip(request, tmp_path):
    """An opened 4-frame frame-folder video, its frame folder and its extension."""
    folder = write_images(tmp_path / "clip", random_frames(40, 4, SIZE), "{:03d}." + request.param)
    return open_dataset(tmp_path).video("train", "clip"), folder, request.param


def test_a_frame_emptied_after_opening(clip, capfd):
    video, folder, extension = clip
    (folder / f"002.{extension}").write_bytes(b"")
    for read in (lambda: video[2], lambda: video[-2], lambda: list(video.iter_frames()), lambda: video[1:4]):
        with one_line(rf"clip/002\.{extension} is empty \(0 bytes\)"):
            read()
    assert video[1].shape == SIZE  # the other frames still read
    assert capfd.readouterr().err == ""


def test_a_frame_cut_short_after_opening(clip, capfd):
    video, folder, extension = clip
    cut_in_half(folder / f"003.{extension}")
    frames = video.iter_frames()
    assert next(frames).shape == SIZE
    with one_line(rf"clip/003\.{extension} is truncated \(a (JPEG|PNG) file of \d+ bytes without its end marker\)"):
        list(frames)
    with one_line(rf"clip/003\.{extension} is truncated"):
        video.validate()
    assert capfd.readouterr().err == ""  # libjpeg's and OpenCV's own warnings never show


def test_a_damaged_first_frame_is_named_when_the_size_is_asked(tmp_path):
    folder = write_images(tmp_path / "clip", random_frames(41, 3, SIZE))
    (folder / "000.png").write_bytes(b"GIF89a, or so it says")
    video = open_dataset(tmp_path).train[0]
    assert len(video) == 3
    with one_line(r"clip/000\.png is not a readable image \(no image format recognised"):
        video.frame_size
    with one_line(r"clip/000\.png is not a readable image"):
        video[0]


def test_a_video_cut_short_fails_at_the_first_missing_frame(tmp_path, capfd):
    frames = random_frames(42, 40, SIZE)
    cut_in_half(write_avi(tmp_path / "cam.avi", frames))
    video = open_dataset(tmp_path).train[0]
    assert len(video) == 40  # the container's header still counts all of them
    read = []
    with one_line(r"cannot decode frame (\d+) of video .*cam\.avi \(its container says 40 frames\)") as error:
        for frame in video.iter_frames():
            read.append(frame)
    assert 0 < len(read) < 40
    assert f"frame {len(read)} of" in str(error.value)
    np.testing.assert_array_equal(np.stack(read), frames[:len(read)])  # frames before the cut are exact
    with one_line(r"cannot decode frame 39 of video .*cam\.avi"):
        video[39]
    assert capfd.readouterr().err == ""  # FFmpeg's complaints stay quiet


def test_a_video_emptied_after_opening(tmp_path):
    path = write_avi(tmp_path / "cam.avi", random_frames(43, 5))
    video = open_dataset(tmp_path).train[0]
    assert len(video) == 5
    path.write_bytes(b"")
    with one_line(r"video .*cam\.avi is empty \(0 bytes\)"):
        video[0]
    with one_line(r"video .*cam\.avi is empty"):
        next(iter(video))


def test_masks_damaged_after_opening(tmp_path, capfd):
    build_repacked(tmp_path)
    dataset = open_dataset(tmp_path)
    video = dataset.video("test", "01")
    cut_in_half(tmp_path / "testing" / "pixel_masks" / "01" / "004.png")
    (tmp_path / "testing" / "pixel_masks" / "01" / "001.png").write_bytes(b"")
    with one_line(r"pixel_masks/01/004\.png is truncated"):
        video.mask(4)
    with one_line(r"pixel_masks/01/001\.png is empty \(0 bytes\)"):
        video.labels
    assert capfd.readouterr().err == ""


def test_a_video_of_one_frame_reads_like_any_other(tmp_path):
    """Accepted: consumers that need frames t-3 and t+3 clamp them to the video, giving this frame three times."""
    frame = random_frames(44, 1, SIZE)
    write_images(tmp_path / "clip", frame)
    video = open_dataset(tmp_path).train[0]
    assert len(video) == 1 and video.frame_size == SIZE
    np.testing.assert_array_equal(video[0], frame[0])
    np.testing.assert_array_equal(video[-1], frame[0])
    np.testing.assert_array_equal(np.stack(list(video.iter_frames(-3, 4))), frame)
    with pytest.raises(IndexError):
        video[1]


def test_names_with_spaces_and_accents_read_back(tmp_path):
    frames = random_frames(45, 3)
    write_images(tmp_path / "vidéo 01", frames)
    write_avi(tmp_path / "caméra nord.avi", frames)
    dataset = open_dataset(tmp_path)
    assert [video.id for video in dataset.train] == ["caméra nord", "vidéo 01"]
    for video in dataset.train:
        np.testing.assert_array_equal(video[:], frames)


def test_frame_files_named_in_another_encoding_still_read(tmp_path):
    """Frame file names never become ids; their bytes are decoded by Python, not handed to OpenCV."""
    frames = random_frames(46, 2)
    folder = tmp_path / "clip"
    folder.mkdir()
    for index, frame in enumerate(frames):
        (non_utf8(folder, b"image_%d_\xe9t\xe9.png" % index)).write_bytes(cv2.imencode(".png", frame)[1].tobytes())
    video = open_dataset(tmp_path).train[0]
    assert len(video) == 2
    video.validate()
    np.testing.assert_array_equal(video[:], frames)
