"""`fastaed validate-student` on real tiny shards: which videos it leaves out, what it compares, refusals."""
import json

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score

from pipeline.cli import main
from pipeline.errors import FastaedError
from pipeline.metrics import smooth_scores
from pipeline.precompute.report import read_fusion
from pipeline.shards import open_shards
from pipeline.student_validation import held_out_videos
from pipeline.training_data import ShardTrainingSet

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def validate(shards, out, *extra):
    args = ["validate-student", "--shards", str(shards), "--out", str(out), "--batch-size", "16", "--workers", "0",
            "--quiet", *map(str, extra)]
    return CliRunner().invoke(main, args)


@pytest.fixture(scope="module")
def validation(tiny_shards, tmp_path_factory):
    out = tmp_path_factory.mktemp("validation") / "val"
    result = validate(tiny_shards, out, "--epochs", 1)
    assert result.exit_code == 0, result.output
    return out, result


def test_held_out_videos_are_spread_over_the_recording_and_leave_some_to_train_on():
    videos = [f"{i:02d}" for i in range(1, 17)]
    assert held_out_videos(videos, 0.25) == ["03", "07", "11", "15"]
    assert held_out_videos(videos[:2], 0.9) == ["02"]
    assert held_out_videos(list(reversed(videos)), 0.01) == ["09"]
    for bad_videos, fraction in ((["01"], 0.25), (videos, 0.0), (videos, 1.0)):
        with pytest.raises(FastaedError):
            held_out_videos(bad_videos, fraction)


def test_the_training_set_leaves_out_a_video_and_the_clips_made_from_it(tiny_shards):
    whole = ShardTrainingSet(tiny_shards, pseudo_anomalies=True)
    left = ShardTrainingSet(tiny_shards, pseudo_anomalies=True, exclude_videos=["02"])
    kept = {(shard.split, shard.video) for shard in left.shards}
    assert ("train", "02") not in kept and ("train", "01") in kept
    assert all(shard.attrs["source_video"] == "01" for shard in left.shards if shard.split == "pseudo")
    assert {shard.video for shard in whole.shards} > {shard.video for shard in left.shards}
    assert 0 < len(left) < len(whole)
    for videos, fragment in ((["09"], "no training video 09"), (["01", "02"], "leaves no training video")):
        with pytest.raises(FastaedError, match=fragment):
            ShardTrainingSet(tiny_shards, exclude_videos=videos)


def test_the_report_compares_student_and_teachers_on_the_held_out_video_only(tiny_shards, validation):
    out, result = validation
    report = json.loads((out / "validation.json").read_text())
    log = json.loads((out / "train_log.json").read_text())
    assert report["held_out_videos"] == ["02"] and report["trained_on"] == ["01"]
    assert log["left_out_videos"] == ["02"] and log["train_videos"] == ["01"]
    assert all(not clip.startswith("02-") for clip in log["pseudo_clips"])
    assert (out / "validation_roc.png").stat().st_size > 0 and "held out 02" in result.output

    fusion = read_fusion(tiny_shards)
    normal = [s for s in open_shards(tiny_shards, "train") if s.video == "02"]
    clips = [s for s in open_shards(tiny_shards, "pseudo") if s.attrs["source_video"] == "02"]
    scores = {s.video: fusion.frame_scores({t: s.read_map(t).astype(np.float32) for t in fusion.calibration})
              for s in normal + clips}
    smoothed = smooth_scores(scores, 3.0)
    labels = np.concatenate([np.full(s.num_frames, s.split == "pseudo", float) for s in normal + clips])
    expected = roc_auc_score(labels, np.concatenate([smoothed[s.video] for s in normal + clips]))
    assert report["teachers"]["micro_auc"] == pytest.approx(expected, abs=1e-9)
    assert report["teachers"]["fusion"] == fusion.name
    assert report["normal_frames"] == normal[0].num_frames
    assert report["pseudo_frames"] == sum(s.num_frames for s in clips)
    assert 0 <= report["student"]["micro_auc"] <= 1 and -1 <= report["rank_correlation"] <= 1
    assert report["relative_micro_auc"] == pytest.approx(report["student"]["micro_auc"] / expected)
    assert report["recipe"]["epochs"] == 1


def test_refusals_are_one_line(tiny_shards, validation, tmp_path):
    out, _ = validation
    for args, fragment in (((out, "--epochs", 1), "--overwrite"),
                           ((tmp_path / "v", "--pseudo-anomalies", "false"), "pseudo-anomaly clips"),
                           ((tmp_path / "v", "--held-out", 1.5), "--held-out 1.5")):
        result = validate(tiny_shards, *args)
        assert result.exit_code != 0
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in result.output, result.output
