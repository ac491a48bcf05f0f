"""`fastaed metrics` end to end: real files in, the metrics JSON and plots out, one-line errors."""
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from pipeline.cli import main

METRIC_KEYS = {"micro_auc", "macro_auc", "macro_auc_plain", "per_video_auc"}

# The hand-derived case of test_metrics_frame_auc.py: micro 0.6, macro padded (8/9 + 7/8) / 2,
# plain 0.75; regions/tracks below give RBDC 0.5, TBDC 1 (derivation in test_good_run).
SCORES = {"a": [0.1, 0.4, 0.35, 0.8], "b": [0.2, 0.9, 0.5]}
LABELS = {"a": [0, 0, 1, 1], "b": [0, 0, 0]}


@pytest.fixture
def inputs(tmp_path):
    (tmp_path / "s.json").write_text(json.dumps(SCORES))
    (tmp_path / "l.json").write_text(json.dumps(LABELS))
    (tmp_path / "r.csv").write_text("video,frame,x1,y1,x2,y2,score\na,2,0,0,9,9,0.9\nb,0,50,50,60,60,0.5\n")
    (tmp_path / "t.csv").write_text("video,track,frame,x1,y1,x2,y2\na,0,2,0,0,9,9\na,0,3,1,0,10,9\n")
    return tmp_path


def run(*args):
    return CliRunner().invoke(main, ["metrics", *map(str, args)])


def test_good_run_writes_all_keys_and_plots(inputs):
    out, plots = inputs / "report" / "metrics.json", inputs / "plots"
    result = run("--scores", inputs / "s.json", "--labels", inputs / "l.json", "--regions", inputs / "r.csv",
                 "--tracks", inputs / "t.csv", "--out", out, "--plots", plots)
    assert result.exit_code == 0, result.output
    metrics = json.loads(out.read_text())
    assert METRIC_KEYS | {"rbdc", "tbdc", "sigma", "smoothing"} <= set(metrics)
    assert metrics["micro_auc"] == pytest.approx(0.6)
    assert metrics["macro_auc"] == pytest.approx((8 / 9 + 7 / 8) / 2)
    assert metrics["macro_auc_plain"] == pytest.approx(0.75)
    assert metrics["per_video_auc"] == pytest.approx({"a": 8 / 9, "b": 7 / 8})
    # 7 labelled frames. GT: track 0 = frames 2 and 3 of "a". Region 0.9 covers a/2 exactly (TP),
    # region 0.5 in b/0 has no GT (FP): points (0, 0), (0, 1/2), (1/7, 1/2) -> (1, 1/2): RBDC 0.5.
    # The track has 1 of 2 regions matched (50% >= 10%) from threshold 0.9 on: TBDC 1.
    assert metrics["rbdc"] == pytest.approx(0.5)
    assert metrics["tbdc"] == pytest.approx(1.0)
    assert metrics["sigma"] == 0.0 and metrics["smoothing"] == "gaussian"
    assert all(0.0 <= metrics[key] <= 1.0 for key in ("micro_auc", "macro_auc", "rbdc", "tbdc"))
    assert sorted(p.name for p in plots.iterdir()) == ["roc.png", "scores_a.png", "scores_b.png"]
    assert (plots / "roc.png").read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in out.parent.iterdir()] == ["metrics.json"]
    assert "micro AUC 0.6000" in result.stdout


def test_reference_smoothing_settings_are_recorded(inputs):
    out = inputs / "m.json"
    result = run("--scores", inputs / "s.json", "--labels", inputs / "l.json", "--smoothing", "reference",
                 "--out", out)
    assert result.exit_code == 0, result.output
    metrics = json.loads(out.read_text())
    assert (metrics["smoothing"], metrics["sigma"], metrics["window"]) == ("reference", 21.0, 302)
    assert "rbdc" not in metrics


def test_gaussian_sigma_changes_the_scores_evaluated(inputs):
    plain, smoothed = inputs / "plain.json", inputs / "smoothed.json"
    run("--scores", inputs / "s.json", "--labels", inputs / "l.json", "--out", plain)
    run("--scores", inputs / "s.json", "--labels", inputs / "l.json", "--sigma", "1", "--out", smoothed)
    assert json.loads(plain.read_text())["micro_auc"] != json.loads(smoothed.read_text())["micro_auc"]


@pytest.mark.parametrize("scores, message", [
    ({"a": [0.1, 0.4, 0.35, 0.8], "b": [0.2, 0.9, 0.5], "zz": [0.3]}, "scores for unknown videos ['zz']"),
    ({"a": [0.1, 0.4, 0.35], "b": [0.2, 0.9, 0.5]}, "video 'a' has 3 scores but"),
    ({"a": [0.1, float("nan"), 0.35, 0.8], "b": [0.2, 0.9, 0.5]}, "score is nan"),
])
def test_bad_scores_give_one_line_and_no_output(inputs, scores, message):
    (inputs / "s.json").write_text(json.dumps(scores))
    out = inputs / "m.json"
    result = run("--scores", inputs / "s.json", "--labels", inputs / "l.json", "--out", out, "--plots", inputs / "p")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr and str(inputs / "s.json") in result.stderr
    assert not out.exists() and not (inputs / "p").exists()
    assert list(inputs.glob("*.tmp")) == []


def test_console_script_error_is_one_line_without_traceback(inputs):
    (inputs / "s.json").write_text('{"a": [0.1, NaN, 0.35, 0.8], "b": [0.2, 0.9, 0.5]}')
    out = inputs / "m.json"
    result = subprocess.run([sys.executable, "-m", "pipeline", "metrics", "--scores", str(inputs / "s.json"),
                             "--labels", str(inputs / "l.json"), "--out", str(out)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"fastaed: error: {inputs / 's.json'}: video 'a' frame 1: score is nan: "
        "scores must be finite numbers (no NaN or infinity)"]
    assert result.stdout == "" and not out.exists()


@pytest.mark.parametrize("extra, message", [
    (["--regions", "r.csv"], "--regions needs ground-truth tracks"),
    (["--tracks", "t.csv"], "--tracks given without --regions"),
    (["--window", "30"], "only applies to --smoothing reference"),
    (["--smoothing", "reference", "--window", "31"], "even integer"),
])
def test_bad_option_combinations(inputs, extra, message):
    result = run("--scores", inputs / "s.json", "--labels", inputs / "l.json", "--out", inputs / "m.json",
                 *[inputs / e if e.endswith(".csv") else e for e in extra])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (inputs / "m.json").exists()


def test_region_in_an_unlabelled_frame_is_an_error(inputs):
    (inputs / "r.csv").write_text("video,frame,x1,y1,x2,y2,score\na,4,0,0,9,9,0.9\n")
    result = run("--scores", inputs / "s.json", "--labels", inputs / "l.json", "--regions", inputs / "r.csv",
                 "--tracks", inputs / "t.csv", "--out", inputs / "m.json")
    assert result.exit_code == 2
    assert "frame 4 of video 'a', which has 4 frames" in result.stderr
    assert not (inputs / "m.json").exists()


def write_tiny_dataset(root):
    """Re-packed Ped2 layout: 1 training and 1 test video of 6 frames, a square anomaly in frames 2-4."""
    for split, video in (("training", "01"), ("testing", "01")):
        (root / split / "frames" / video).mkdir(parents=True)
        for frame in range(6):
            cv2.imwrite(str(root / split / "frames" / video / f"{frame:03d}.jpg"), np.full((24, 32), 90, np.uint8))
    (root / "testing" / "pixel_masks" / "01").mkdir(parents=True)
    for frame in range(6):
        mask = np.zeros((24, 32), np.uint8)
        if 2 <= frame <= 4:
            mask[4:10, 6 + frame:12 + frame] = 255
        cv2.imwrite(str(root / "testing" / "pixel_masks" / "01" / f"{frame:03d}.png"), mask)
    (root / "gt").mkdir()
    (root / "gt" / "frame_labels.json").write_text(json.dumps({"01": [0, 0, 1, 1, 1, 0]}))


def test_dataset_root_as_labels_derives_tracks_from_masks(tmp_path):
    pytest.importorskip("pipeline.datasets")
    write_tiny_dataset(tmp_path / "ds")
    (tmp_path / "s.json").write_text(json.dumps({"01": [0.1, 0.2, 0.9, 0.8, 0.7, 0.3]}))
    # Masks: one square in frames 2-4, moving one pixel per frame -> one track of 3 regions,
    # box of frame 2 = (8, 4, 13, 9). The region covers it exactly: 1 of 3 matched (>= 10%), no FP.
    (tmp_path / "r.csv").write_text("video,frame,x1,y1,x2,y2,score\n01,2,8,4,13,9,0.9\n")
    out = tmp_path / "m.json"
    result = run("--scores", tmp_path / "s.json", "--labels", tmp_path / "ds", "--regions", tmp_path / "r.csv",
                 "--out", out)
    assert result.exit_code == 0, result.output
    metrics = json.loads(out.read_text())
    assert metrics["micro_auc"] == 1.0
    # region rate 1/3 from FP rate 0, extended flat: RBDC 1/3; the track is detected: TBDC 1
    assert metrics["rbdc"] == pytest.approx(1 / 3)
    assert metrics["tbdc"] == 1.0
    assert metrics["tracks"].startswith("pixel masks")
