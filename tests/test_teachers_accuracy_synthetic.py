"""Every teacher finds the synthetic anomalies: micro AUC >= 0.90 on a small synthetic scene.

The scene is the synthetic default's frame size (160x240) with fewer and shorter videos, the
teachers are the defaults except for fewer auto-encoder steps, and the AUC is the one
``report.json`` states (Gaussian sigma 3, the command's default). About 45 s on 2 idle cores.
"""
import json

import pytest

from pipeline.precompute import PrecomputeOptions, precompute_teachers
from pipeline.synthetic import write_synthetic

SCENE = dict(seed=0, train_videos=3, test_videos=2, frames=60, size=(160, 240))
OPTIONS = dict(frame_size=(80, 120), teachers=("density", "autoencoder"),
               teacher_options={"autoencoder": {"steps": 200}}, pseudo_anomalies=())


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("accuracy") / "synthetic"
    write_synthetic(root, progress=False, **SCENE)
    out = root.parent / "shards"
    returned = precompute_teachers(root, out, PrecomputeOptions(**OPTIONS), workers=2, progress=False)
    assert json.loads((out / "report.json").read_text())["teachers"] == returned["teachers"]
    return returned


def test_every_teacher_reaches_micro_auc_090_on_a_small_synthetic_scene(report):
    numbers = {t: round(v["micro_auc"], 3) for t, v in report["teachers"].items()}
    print(f"\nmicro AUC (sigma {report['smoothing']['sigma']}): {numbers}, "
          f"ensemble {report['ensemble']['micro_auc']:.3f}, {report['seconds_per_frame'] * 1000:.1f} ms/frame")
    assert set(numbers) == set(OPTIONS["teachers"])
    assert report["smoothing"]["sigma"] == 3.0 and report["labelled_test_videos"] == SCENE["test_videos"]
    for teacher, auc in numbers.items():
        assert auc >= 0.90, f"{teacher}: micro AUC {auc} < 0.90 (report: {report})"
    assert report["ensemble"]["micro_auc"] >= 0.90
