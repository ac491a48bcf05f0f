"""The synthetic dataset: layout, ground truth, determinism, options and the CLI."""
import hashlib
import json
import time

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import FastaedError
from pipeline.synthetic import ANOMALY_KINDS, write_synthetic


@pytest.fixture(scope="module")
def default_dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic") / "default"
    started = time.perf_counter()
    dataset = write_synthetic(root, progress=False)
    return dataset, root, time.perf_counter() - started


def _hashes(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _labels(root):
    return json.loads((root / "gt/frame_labels.json").read_text())


def test_default_dataset_is_written_in_seconds(default_dataset):
    _, _, seconds = default_dataset
    assert seconds < 30


def test_layout_is_the_repacked_ped2_layout(default_dataset):
    dataset, root, _ = default_dataset
    assert sorted(p.name for p in root.iterdir()) == ["gt", "testing", "training"]
    assert sorted(p.name for p in root.parent.iterdir()) == ["default"]  # no partial folder left
    names = [f"{t:03d}" for t in range(80)]
    for folder, ids, suffix in (("training/frames", dataset.train_videos, ".jpg"),
                                ("testing/frames", dataset.test_videos, ".jpg"),
                                ("testing/pixel_masks", dataset.test_videos, ".png")):
        assert sorted(p.name for p in (root / folder).iterdir()) == list(ids) == ["01", "02", "03", "04"]
        for video in ids:
            assert sorted(p.name for p in (root / folder / video).iterdir()) == [n + suffix for n in names]
    for path in (root / "training/frames/01/000.jpg", root / "testing/frames/04/079.jpg",
                 root / "testing/pixel_masks/02/040.png"):
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        assert image.shape == (160, 240) and image.dtype == np.uint8


def test_frame_labels_are_exactly_the_frames_with_mask_pixels(default_dataset):
    dataset, root, _ = default_dataset
    labels = _labels(root)
    assert list(labels) == list(dataset.test_videos)
    for video, video_labels in labels.items():
        assert len(video_labels) == 80
        for t, label in enumerate(video_labels):
            mask = cv2.imread(str(root / f"testing/pixel_masks/{video}/{t:03d}.png"), cv2.IMREAD_UNCHANGED)
            assert set(np.unique(mask)) <= {0, 255}
            assert int(mask.any()) == label, (video, t)


def test_every_test_video_has_normal_and_anomalous_stretches(default_dataset):
    _, root, _ = default_dataset
    labels = _labels(root)
    for video, video_labels in labels.items():
        assert 0 < sum(video_labels) < len(video_labels), video
        runs = np.flatnonzero(np.diff(video_labels)) + 1
        longest = max(np.diff(np.concatenate([[0], runs, [len(video_labels)]])))
        assert longest >= 15, video  # sustained stretches, not flicker
    share = sum(map(sum, labels.values())) / sum(map(len, labels.values()))
    assert 0.25 <= share <= 0.6


def test_all_anomaly_kinds_occur_and_events_cover_the_labelled_frames(default_dataset):
    dataset, root, _ = default_dataset
    assert {event.kind for event in dataset.events} == set(ANOMALY_KINDS)
    written = json.loads((root / "gt/anomalies.json").read_text())["events"]
    assert written == [event.__dict__ for event in dataset.events]
    labels = _labels(root)
    covered = {video: np.zeros(80, int) for video in labels}
    for event in dataset.events:
        assert labels[event.video][event.first_frame] == labels[event.video][event.last_frame] == 1
        covered[event.video][event.first_frame:event.last_frame + 1] = 1
    assert {video: list(c) for video, c in covered.items()} == labels
    assert set(dataset.kinds_by_video()) == set(dataset.test_videos)


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    options = dict(train_videos=1, test_videos=2, frames=30, size=(64, 96), progress=False)
    first = _hashes(write_synthetic(tmp_path / "a", seed=3, **options).root)
    again = _hashes(write_synthetic(tmp_path / "b", seed=3, **options).root)
    other = _hashes(write_synthetic(tmp_path / "c", seed=4, **options).root)
    assert first == again
    assert first.keys() == other.keys()
    frames = [name for name in first if name.endswith(".jpg")]
    assert all(first[name] != other[name] for name in frames)


def test_other_sizes_and_lengths_keep_the_layout(tmp_path):
    dataset = write_synthetic(tmp_path / "d", seed=1, train_videos=1, test_videos=1, frames=1001,
                              size=(64, 112), progress=False)
    folder = tmp_path / "d/testing/frames/01"
    names = sorted(p.name for p in folder.iterdir())
    assert names[0] == "0000.jpg" and names[-1] == "1000.jpg" and len(names) == 1001
    assert cv2.imread(str(folder / "0500.jpg"), cv2.IMREAD_UNCHANGED).shape == (64, 112)
    labels = _labels(tmp_path / "d")["01"]
    assert 0.2 < sum(labels) / len(labels) < 0.8
    assert len(dataset.events) >= 4  # a long video holds a sequence of anomalies


def test_refuses_a_non_empty_folder_unless_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    options = dict(train_videos=1, test_videos=1, frames=30, size=(64, 64), progress=False)
    with pytest.raises(FastaedError, match="not empty"):
        write_synthetic(out, **options)
    assert (out / "keep.txt").exists()
    write_synthetic(out, overwrite=True, **options)
    assert sorted(p.name for p in out.iterdir()) == ["gt", "testing", "training"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    empty = tmp_path / "empty"
    empty.mkdir()
    write_synthetic(empty, **options)  # an empty folder is fine
    assert (empty / "gt/frame_labels.json").exists()


@pytest.mark.parametrize("arguments, complaint", [
    (["--size", "160x241"], "multiples of 8"),
    (["--size", "160"], "HxW"),
    (["--size", "40x40"], "at least"),
    (["--frames", "0"], "--frames 0"),
    (["--train-videos", "0"], "--train-videos 0"),
    (["--test-videos", "0"], "--test-videos 0"),
    (["--seed", "-2"], "--seed -2"),
])
def test_bad_options_give_one_line_errors(tmp_path, arguments, complaint):
    result = CliRunner().invoke(main, ["synth", str(tmp_path / "x"), *arguments])
    assert result.exit_code == 2
    assert complaint in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_cli_writes_the_dataset_and_refuses_to_write_over_it(tmp_path):
    out = tmp_path / "syn"
    arguments = ["synth", str(out), "--seed", "2", "--train-videos", "1", "--test-videos", "1",
                 "--frames", "30", "--size", "64x96"]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    assert "wrote 1 training and 1 test videos" in result.stdout
    assert cv2.imread(str(out / "training/frames/01/029.jpg"), cv2.IMREAD_UNCHANGED).shape == (64, 96)
    again = CliRunner().invoke(main, arguments)
    assert again.exit_code == 2 and "--overwrite" in again.stderr and again.stderr.count("\n") == 1
    assert CliRunner().invoke(main, arguments + ["--overwrite"]).exit_code == 0
    (tmp_path / "file").write_text("")
    result = CliRunner().invoke(main, ["synth", str(tmp_path / "file")])
    assert result.exit_code == 2 and "is a file" in result.stderr
