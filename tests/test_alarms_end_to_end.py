"""Alarms on real files: `train-student` calibrates on the training frames it held out, and `score`
refuses alarms on a checkpoint without calibration, naming `fastaed calibrate`.
"""
import json

import cv2
import numpy as np
import pytest
import torch
from click.testing import CliRunner

from pipeline.cli import main
from student import build_student, load_checkpoint, save_checkpoint

pytestmark = pytest.mark.usefixtures("one_torch_thread")

FOOTAGE_VIDEOS = 3
"""Normal videos of the scene written by `fastaed synth`."""


def cli(*args):
    return CliRunner().invoke(main, [*map(str, args)])


def succeeded(result):
    assert result.exit_code == 0, result.output
    return result


def write_avi(path, frames):
    height, width = frames[0].shape
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (width, height))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


def read_frames(folder):
    return [cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) for path in sorted(folder.glob("*.jpg"))]


@pytest.fixture(scope="module")
def trained(tiny_shards, tmp_path_factory):
    """A student trained 3 epochs on the tiny shards, with train-student's own held-out calibration."""
    run = tmp_path_factory.mktemp("alarms") / "run"
    result = succeeded(cli("train-student", "--shards", tiny_shards, "--out", run, "--epochs", 3, "--batch-size", 16,
                           "--lr", "3e-3", "--workers", 0, "--quiet"))
    assert "alarms calibrated on" in result.stdout
    return run / "student.pt"


@pytest.fixture(scope="module")
def footage(tmp_path_factory):
    """Normal synthetic videos of the tiny scene's walkway as .avi files."""
    folder = tmp_path_factory.mktemp("footage")
    succeeded(cli("synth", folder / "data", "--train-videos", FOOTAGE_VIDEOS, "--test-videos", 1, "--frames", 40,
                  "--size", "80x120"))
    videos = [write_avi(folder / f"{video.name}.avi", read_frames(video))
              for video in sorted((folder / "data" / "training" / "frames").iterdir())]
    return videos[:-1], videos[-1]


def test_train_student_calibrates_on_the_tails_it_held_out(trained, tiny_shards):
    calibration = load_checkpoint(trained)["calibration"]
    # 10% of each 40-frame training video: frames 36-39 of both, never fitted (nor frames 33-35)
    assert calibration["num_frames"] == 8 and calibration["videos"] == ["01", "02"]
    assert len(calibration["quantiles"]) == 1001 and calibration["causal_sigma"] == 3.0
    assert np.all(np.diff(calibration["quantiles"]) >= 0)
    log = json.loads((trained.parent / "train_log.json").read_text())
    assert log["calibration_held_out"] == {"01": "frames 36-", "02": "frames 36-"}


def test_a_checkpoint_without_calibration_names_fastaed_calibrate(footage, tmp_path):
    torch.manual_seed(0)
    checkpoint = tmp_path / "student.pt"
    save_checkpoint(checkpoint, build_student("fast", ["density"], (32, 32)))
    result = cli("score", footage[1], "--checkpoint", checkpoint, "--false-alarm-rate", "0.01")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no calibration" in lines[0] and "fastaed calibrate" in lines[0], result.stderr
    for bad, words in ((["--false-alarm-rate", "1.5"], "strictly between 0 and 1"),
                       (["--false-alarm-rate", "0.01", "--threshold", "1"], "exclude each other"),
                       (["--events", tmp_path / "e.jsonl"], "needs --false-alarm-rate")):
        result = cli("score", footage[1], "--checkpoint", checkpoint, *bad)
        assert result.exit_code == 2 and words in result.stderr, result.stderr
    assert not (tmp_path / "e.jsonl").exists()


def test_calibrate_records_the_normal_footage_it_is_given(trained, footage, tmp_path):
    checkpoint = tmp_path / "student.pt"
    checkpoint.write_bytes(trained.read_bytes())
    succeeded(cli("calibrate", "--checkpoint", checkpoint, *sum((["--videos", v] for v in footage[0]), []), "--quiet"))
    calibration = load_checkpoint(checkpoint)["calibration"]
    assert calibration["num_frames"] == 80 and len(calibration["quantiles"]) == 1001
    assert np.all(np.diff(calibration["quantiles"]) >= 0)
    assert load_checkpoint(checkpoint)["calibration"] != load_checkpoint(trained)["calibration"]


def test_score_threshold_writes_events_as_json_lines(trained, footage, tmp_path):
    video = footage[1]
    for threshold, expected in ((-1e9, [(0, 39)]), (1e9, [])):
        events = tmp_path / f"events{threshold:g}.jsonl"
        succeeded(cli("score", video, "--checkpoint", trained, "--out", tmp_path / "s.csv", "--threshold", threshold,
                      "--events", events, "--quiet"))
        found = [json.loads(line) for line in events.read_text().splitlines()]
        assert [(event["start"], event["end"]) for event in found] == expected
        assert all(event["video"] == video.stem and event["start"] <= event["peak_frame"] <= event["end"]
                   for event in found)
