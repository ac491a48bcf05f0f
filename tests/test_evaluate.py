"""`fastaed evaluate` end to end on real files: a synthetic dataset, a real checkpoint, the report it writes."""
import csv
import json

import cv2
import numpy as np
import pytest
import torch
from click.testing import CliRunner

from pipeline.cli import main
from student import build_student, frame_scores, load_student, save_checkpoint

FRAMES, SIZE = 40, 64
METRIC_KEYS = ("micro_auc", "macro_auc", "macro_auc_plain", "rbdc", "tbdc")


def write_checkpoint(path, seed=0):
    """An untrained two-teacher `fast` student at a small input size: right shapes, arbitrary scores."""
    torch.manual_seed(seed)
    save_checkpoint(path, build_student("fast", ["motion", "appearance"], (32, 32)))
    return path


def run(*args):
    return CliRunner().invoke(main, ["evaluate", *map(str, args), "--quiet"])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evaluate")
    made = CliRunner().invoke(main, ["synth", str(folder / "data"), "--train-videos", "1", "--test-videos", "2",
                                     "--frames", str(FRAMES), "--size", f"{SIZE}x{SIZE}"])
    assert made.exit_code == 0, made.output
    return folder, write_checkpoint(folder / "student.pt")


@pytest.fixture(scope="module")
def report(files):
    """A report whose region threshold is below every map value: one region, the whole frame, per frame."""
    folder, checkpoint = files
    out = folder / "reports" / "r1"
    result = run("--checkpoint", checkpoint, "--dataset", folder / "data", "--out", out,
                 "--region-threshold", -1e9, "--batch-size", 16)
    assert result.exit_code == 0, result.output
    assert "micro AUC" in result.stdout
    return out


def read_csv(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def test_metrics_json_has_every_metric_in_unit_range_and_the_settings(report, files):
    metrics = json.loads((report / "metrics.json").read_text())
    for key in METRIC_KEYS:
        assert 0.0 <= metrics[key] <= 1.0, key
    assert set(metrics["per_video_auc"]) == {"01", "02"}
    assert all(0.0 <= auc <= 1.0 for auc in metrics["per_video_auc"].values())
    assert metrics["checkpoint"] == str(files[1]) and metrics["dataset"] == str(files[0] / "data")
    assert metrics["sigma"] == 3.0 and metrics["smoothing"] == "gaussian" and metrics["window"] is None
    assert "pixel masks" in metrics["tracks"]
    assert metrics["macro_auc_convention"] == "padded"
    assert metrics["num_frames"] == 2 * FRAMES and metrics["num_regions"] == 2 * FRAMES
    assert metrics["student"]["input_size"] == [32, 32]


def test_report_holds_scores_regions_tracks_plots_and_overlay(report):
    assert sorted(p.name for p in report.iterdir()) == [
        "metrics.json", "overlay_01.mp4", "plots", "raw_scores.json", "regions.csv", "scores.json", "tracks.csv"]
    scores = json.loads((report / "scores.json").read_text())
    assert {video: len(values) for video, values in scores.items()} == {"01": FRAMES, "02": FRAMES}
    regions = read_csv(report / "regions.csv")
    assert [(r["video"], int(r["frame"])) for r in regions] == [(v, f) for v in ("01", "02") for f in range(FRAMES)]
    assert {(r["x1"], r["y1"], r["x2"], r["y2"]) for r in regions} == {("0", "0", str(SIZE - 1), str(SIZE - 1))}
    assert read_csv(report / "tracks.csv")
    plots = sorted(p.name for p in (report / "plots").iterdir())
    assert plots == ["roc.png", "scores_01.png", "scores_02.png"]
    assert all((report / "plots" / name).read_bytes().startswith(b"\x89PNG") for name in plots)
    capture = cv2.VideoCapture(str(report / "overlay_01.mp4"))
    count = 0
    while capture.read()[0]:
        count += 1
    assert count == FRAMES
    assert (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))) == (SIZE, SIZE)
    assert [p.name for p in report.parent.iterdir()] == ["r1"]  # no partial folder left beside it


def test_written_files_reproduce_the_metrics(report, files):
    out = report.parent.parent / "again.json"
    result = CliRunner().invoke(main, ["metrics", "--scores", str(report / "raw_scores.json"),
                                       "--labels", str(files[0] / "data"), "--regions", str(report / "regions.csv"),
                                       "--tracks", str(report / "tracks.csv"), "--sigma", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    again, metrics = json.loads(out.read_text()), json.loads((report / "metrics.json").read_text())
    for key in ("micro_auc", "macro_auc", "rbdc", "tbdc"):
        assert again[key] == pytest.approx(metrics[key]), key


def test_raw_scores_are_the_students_scores_of_the_dataset_frames(report, files):
    from pipeline.datasets import open_dataset

    raw = json.loads((report / "raw_scores.json").read_text())
    model = load_student(files[1])
    for video in open_dataset(files[0] / "data").test:
        expected = frame_scores(model, np.stack(list(video)))
        np.testing.assert_allclose(raw[video.id], expected, rtol=1e-4, atol=1e-5)


def test_reference_smoothing_other_overlay_video_and_replacing_an_earlier_report(report, files):
    folder, checkpoint = files
    result = run("--checkpoint", checkpoint, "--dataset", folder / "data", "--out", report,
                 "--smoothing", "reference", "--window", 10, "--sigma", 2, "--overlay-video", "02")
    assert result.exit_code == 0, result.output
    metrics = json.loads((report / "metrics.json").read_text())
    assert (metrics["smoothing"], metrics["window"], metrics["sigma"]) == ("reference", 10, 2.0)
    assert metrics["num_regions"] == 0  # the default threshold: this untrained student's maps stay near 0
    assert (report / "overlay_02.mp4").is_file() and not (report / "overlay_01.mp4").exists()
    assert [p.name for p in report.parent.iterdir()] == ["r1"]


def check_one_line_error(result, out, *words):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastaed: error: "), result.stderr
    assert all(word in lines[0] for word in words), lines[0]
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}")]


@pytest.mark.parametrize("problem", ["corrupt", "another size", "missing"])
def test_bad_checkpoint_is_one_line_and_leaves_no_report(files, tmp_path, problem):
    checkpoint = tmp_path / "student.pt"
    if problem == "corrupt":
        checkpoint.write_bytes(write_checkpoint(tmp_path / "good.pt").read_bytes()[:2000])
    elif problem == "another size":
        save_checkpoint(checkpoint, build_student("paper", 1, (32, 32)))
        payload = torch.load(checkpoint, weights_only=True)
        payload["config"]["size"] = "fast"
        torch.save(payload, checkpoint)
    out = tmp_path / "report"
    result = run("--checkpoint", checkpoint, "--dataset", files[0] / "data", "--out", out)
    check_one_line_error(result, out, str(checkpoint))


def test_missing_dataset_or_one_without_labels_is_one_line(files, tmp_path):
    out = tmp_path / "report"
    result = run("--checkpoint", files[1], "--dataset", tmp_path / "nowhere", "--out", out)
    check_one_line_error(result, out, "nowhere", "does not exist")

    unlabelled = tmp_path / "unlabelled"
    for split in ("training", "testing"):
        for frame in (files[0] / "data" / split / "frames").rglob("*.jpg"):
            target = unlabelled / frame.relative_to(files[0] / "data")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(frame.read_bytes())
    result = run("--checkpoint", files[1], "--dataset", unlabelled, "--out", out)
    check_one_line_error(result, out, "no frame labels")


def test_unknown_overlay_video_and_a_folder_that_is_not_a_report_are_refused(files, tmp_path):
    out = tmp_path / "report"
    result = run("--checkpoint", files[1], "--dataset", files[0] / "data", "--out", out, "--overlay-video", "07")
    check_one_line_error(result, out, "--overlay-video 07", "01, 02")

    out.mkdir()
    (out / "thesis.tex").write_text("keep me")
    result = run("--checkpoint", files[1], "--dataset", files[0] / "data", "--out", out)
    assert result.exit_code == 2 and "not an earlier report" in result.stderr
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]


def test_alarms_block_is_the_assessment_at_the_checkpoints_calibrated_threshold(report, files, tmp_path):
    from pipeline.alarms.assessment import assess_alarms
    from pipeline.alarms.calibration import calibration_from_scores, write_calibration
    from pipeline.datasets import open_dataset

    assert "no calibration" in json.loads((report / "metrics.json").read_text())["alarms"]["note"]
    checkpoint = tmp_path / "student.pt"
    checkpoint.write_bytes(files[1].read_bytes())
    raw = json.loads((report / "raw_scores.json").read_text())
    calibration = calibration_from_scores([np.asarray(raw["01"])], source="test")
    write_calibration(checkpoint, calibration)
    out = tmp_path / "report"
    result = run("--checkpoint", checkpoint, "--dataset", files[0] / "data", "--out", out, "--false-alarm-rate", 0.2)
    assert result.exit_code == 0, result.output
    alarms = json.loads((out / "metrics.json").read_text())["alarms"]
    labels = {video.id: video.labels for video in open_dataset(files[0] / "data").test}
    expected = assess_alarms({v: np.asarray(s) for v, s in raw.items()}, labels, calibration, rate=0.2)
    assert {key: alarms[key] for key in expected} == pytest.approx(expected)
    assert alarms["false_alarm_rate"] == 0.2 and "alarms at false-alarm rate 0.2" in result.stdout
