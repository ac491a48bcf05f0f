"""Alarms on real files: `train-student` calibrates on the training frames it held out, `score`
refuses alarms on a checkpoint without calibration, naming `fastaed calibrate`, and a student
distilled from the density teacher raises an event over a generated video's known anomalous
interval and none over a normal video of the same scene.
"""
import json
import shutil

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


ALARM_SCENE = ["--seed", "0", "--train-videos", "6", "--test-videos", "4", "--frames", "60", "--size", "160x240"]
"""The scene: its 6th training video is kept out of the dataset as the unseen normal video."""


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """The trained checkpoint, the anomalous test video with its runner's interval, and the unseen normal
    video: a 6-video scene whose 6th training video is kept out, the density teacher, a 15-epoch
    student calibrated by `train-student` (about 30-60 s on 2 cores)."""
    folder = tmp_path_factory.mktemp("alarm_scene")
    data = folder / "data"
    succeeded(cli("synth", data, *ALARM_SCENE))
    unseen = folder / "unseen"
    shutil.move(str(data / "training" / "frames" / "06"), unseen)
    runner = next(event for event in json.loads((data / "gt" / "anomalies.json").read_text())["events"]
                  if event["kind"] == "too_fast")
    succeeded(cli("precompute-teachers", "--dataset", data, "--out", folder / "shards", "--teachers", "density",
                  "--folds", 2, "--workers", 1, "--frame-size", "80x120", "--pseudo-anomalies", "skip4", "--quiet"))
    succeeded(cli("train-student", "--shards", folder / "shards", "--out", folder / "run", "--epochs", 15,
                  "--batch-size", 32, "--lr", "3e-3", "--workers", 0, "--quiet"))
    anomalous = write_avi(folder / f"test_{runner['video']}.avi",
                          read_frames(data / "testing" / "frames" / runner["video"]))
    normal = write_avi(folder / "normal.avi", read_frames(unseen))
    return folder / "run" / "student.pt", anomalous, (runner["first_frame"], runner["last_frame"]), normal


def events_of(checkpoint, video, folder, overlay=None):
    events = folder / f"{video.stem}.jsonl"
    extra = ["--overlay", overlay] if overlay else []
    succeeded(cli("score", video, "--checkpoint", checkpoint, "--out", folder / f"{video.stem}.csv",
                  "--false-alarm-rate", "0.01", "--events", events, *extra, "--quiet"))
    return [json.loads(line) for line in events.read_text().splitlines()]


def red_border_frames(overlay):
    capture = cv2.VideoCapture(str(overlay))
    red = []
    while True:
        ok, frame = capture.read()
        if not ok:
            return np.array(red)
        corner = frame[:2, :].reshape(-1, 3).mean(axis=0)  # BGR
        red.append(corner[2] > 150 and corner[0] < 100 and corner[1] < 100)


def test_an_event_covers_the_known_anomalous_interval(scene, tmp_path):
    checkpoint, anomalous, (first, last), _ = scene
    overlay = tmp_path / "overlay.mp4"
    events = events_of(checkpoint, anomalous, tmp_path, overlay)
    assert any(event["start"] <= last and first <= event["end"] for event in events), (events, first, last)
    assert all(event["video"] == anomalous.stem and event["start"] <= event["peak_frame"] <= event["end"]
               for event in events)
    border = red_border_frames(overlay)
    assert border[first:last + 1].any()


def test_no_event_on_a_normal_video_of_the_same_scene(scene, tmp_path):
    checkpoint, _, _, normal = scene
    assert events_of(checkpoint, normal, tmp_path) == []
