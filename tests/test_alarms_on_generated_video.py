"""Alarms end to end on real video files: a student distilled from the density teacher, calibrated
by `train-student` on the training frames it held out, raises an event over a generated video's
known anomalous interval (a runner) with `score --false-alarm-rate 0.01`, and none over a normal
video of the same scene that neither the teachers nor the student saw.

Cost: about 40-70 s on 2 cores (synthetic scene, density teacher, 15-epoch student), once per module.
"""
import json
import shutil

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from pipeline.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SCENE = ["--seed", "0", "--train-videos", "6", "--test-videos", "4", "--frames", "60", "--size", "160x240"]
"""The scene: its 6th training video is kept out of the dataset as the unseen normal video."""


def cli(*args):
    result = CliRunner().invoke(main, [*map(str, args)])
    assert result.exit_code == 0, result.output
    return result


def write_avi(path, folder):
    frames = [cv2.imread(str(image), cv2.IMREAD_GRAYSCALE) for image in sorted(folder.glob("*.jpg"))]
    height, width = frames[0].shape
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (width, height))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """The trained checkpoint, the anomalous test video with its runner's interval, and the unseen normal video."""
    folder = tmp_path_factory.mktemp("alarm_scene")
    data = folder / "data"
    cli("synth", data, *SCENE)
    unseen = folder / "unseen"
    shutil.move(str(data / "training" / "frames" / "06"), unseen)
    runner = next(event for event in json.loads((data / "gt" / "anomalies.json").read_text())["events"]
                  if event["kind"] == "too_fast")
    cli("precompute-teachers", "--dataset", data, "--out", folder / "shards", "--teachers", "density", "--folds", 2,
        "--workers", 1, "--frame-size", "80x120", "--pseudo-anomalies", "skip4", "--quiet")
    cli("train-student", "--shards", folder / "shards", "--out", folder / "run", "--epochs", 15, "--batch-size", 32, "--lr", "3e-3",
        "--workers", 0, "--quiet")
    anomalous = write_avi(folder / f"test_{runner['video']}.avi", data / "testing" / "frames" / runner["video"])
    normal = write_avi(folder / "normal.avi", unseen)
    return folder / "run" / "student.pt", anomalous, (runner["first_frame"], runner["last_frame"]), normal


def events_of(checkpoint, video, folder, overlay=None):
    events = folder / f"{video.stem}.jsonl"
    extra = ["--overlay", overlay] if overlay else []
    cli("score", video, "--checkpoint", checkpoint, "--out", folder / f"{video.stem}.csv", "--false-alarm-rate",
        "0.01", "--events", events, *extra, "--quiet")
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
