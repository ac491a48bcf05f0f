"""The teachers' fusion and the label-free validation of report.json, on hand-made shards (real HDF5
files written by the shard writer): calibration on training frames, every combination's arithmetic,
the choice by validation AUC, and the report's sections."""
import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from pipeline.errors import FastaedError
from pipeline.precompute.fusion import fit_calibration, fusion_names
from pipeline.precompute.report import (VALIDATION_TIE, build_report, plot_validation_roc, shard_frame_scores,
                                        write_report)
from pipeline.shards import write_shard
from student.fusion import Fusion

FRAME_SIZE = (16, 16)  # a 2 x 2 map grid
FRAMES = 50


def write_video(root, split, video, maps, extra=None):
    """One shard with the given {teacher: (T, 2, 2)} maps (float16-exact values) and no boxes."""
    count = len(next(iter(maps.values())))
    attrs = {"dataset": "hand", "video": video, "split": split, "num_frames": count, "frame_size": FRAME_SIZE,
             "config_hash": "h", "teacher_seconds_per_frame": 0.01, "source_fingerprint": "f", "fold": 0,
             **(extra or {})}
    path = root / split / f"{video}.h5"
    write_shard(path, frames=np.zeros((count, 8, 8), np.uint8), maps=maps, boxes=np.zeros((0, 6)),
                scores={t: np.zeros(0) for t in maps}, attrs=attrs)
    return path


def one_cell(values):
    """(T, 2, 2) maps with ``values`` in the top-left cell and zeros elsewhere."""
    maps = np.zeros((len(values), 2, 2), np.float16)
    maps[:, 0, 0] = values
    return maps


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory):
    """Teacher ``small`` scores on a scale of about 1 and sees the pseudo-anomalies; teacher ``big``
    scores on a scale of about 100 and does not. Test video 01's anomaly (frames 30-39) is seen
    by ``small`` only."""
    root = tmp_path_factory.mktemp("hand_made")
    rng = np.random.default_rng(0)
    paths, train = [], {}
    for video in ("01", "02"):
        train[video] = {"small": one_cell(rng.uniform(0, 1, FRAMES).astype(np.float16)),
                        "big": one_cell(rng.uniform(0, 100, FRAMES).astype(np.float16))}
        paths.append(write_video(root, "train", video, train[video]))
        for kind in ("skip4", "patch"):
            paths.append(write_video(root, "pseudo", f"{video}-{kind}", {
                "small": one_cell(rng.uniform(0.8, 2.0, 20).astype(np.float16)),
                "big": one_cell(rng.uniform(0, 100, 20).astype(np.float16))},
                {"source_video": video, "pseudo_kind": kind}))
    small = rng.uniform(0, 1, 60)
    small[30:40] += 1.5
    test = {"small": one_cell(small.astype(np.float16)), "big": one_cell(rng.uniform(0, 100, 60).astype(np.float16))}
    test["big"][:, 1, 1] = rng.uniform(0, 100, 60).astype(np.float16)  # a second object elsewhere
    paths.append(write_video(root, "test", "01", test))
    labels = {"01": (np.arange(60) // 10 == 3).astype(int).tolist()}
    return root, sorted(paths), train, test, labels


def test_calibration_uses_the_training_frames_minimum_and_quantile(hand_made):
    root, paths, train, _, _ = hand_made
    scores = shard_frame_scores(paths, ["small", "big"])
    for teacher in ("small", "big"):
        maxima = np.concatenate([train[v][teacher].astype(np.float64).max(axis=(1, 2)) for v in ("01", "02")])
        for fusion in scores.fusions:
            if fusion.quantile is not None:
                low, high = fusion.calibration[teacher]
                assert low == maxima.min() and high == pytest.approx(np.quantile(maxima, fusion.quantile))
    assert [f.name for f in scores.fusions] == fusion_names()
    assert fit_calibration({"a": np.array([3.0, 3.0, 3.0])}, 0.999) == {"a": (3.0, 4.0)}  # flat: a unit scale


def test_every_combination_computes_what_it_says(hand_made):
    _, paths, _, test, _ = hand_made
    scores = shard_frame_scores(paths, ["small", "big"])
    maps = {t: test[t].astype(np.float64) for t in test}
    for fusion in scores.fusions:
        got = scores.test[fusion.name]["01"]
        if fusion.combination == "mean_map":
            expected = ((maps["small"] + maps["big"]) / 2).max(axis=(1, 2))
        else:
            calibrated = {t: (maps[t] - low) / (high - low) for t, (low, high) in fusion.calibration.items()}
            per_teacher = np.array([calibrated[t].max(axis=(1, 2)) for t in ("small", "big")])
            expected = {"sum": per_teacher.sum(axis=0), "max": per_teacher.max(axis=0),
                        "sum_map": (calibrated["small"] + calibrated["big"]).max(axis=(1, 2))}[fusion.combination]
        np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=fusion.name)
    # the second object of "big" lies in another cell: the map sum and the sum of maxima differ
    assert not np.allclose(scores.test["sum@0.999"]["01"], scores.test["sum_map@0.999"]["01"])
    saved = Fusion.from_dict(json.loads(json.dumps(scores.fusions[0].to_dict())))
    np.testing.assert_array_equal(saved.frame_scores(test), scores.test[saved.name]["01"])


def test_validation_picks_the_fusion_and_the_report_says_so(hand_made, tmp_path):
    root, paths, train, _, labels = hand_made
    scores = shard_frame_scores(paths, ["small", "big"])
    report = build_report(scores, labels, sigma=0)
    validation = report["validation"]
    assert validation["normal_frames"] == 2 * FRAMES and validation["pseudo_frames"] == 4 * 20
    negatives = np.concatenate([train[v]["small"].astype(np.float64).max(axis=(1, 2)) for v in ("01", "02")])
    positives = np.concatenate([scores.pseudo["small"][c][2] for c in sorted(scores.pseudo["small"])])
    expected = roc_auc_score(np.r_[np.zeros(len(negatives)), np.ones(len(positives))], np.r_[negatives, positives])
    assert validation["teachers"]["small"]["micro_auc"] == pytest.approx(expected)
    assert validation["teachers"]["small"]["micro_auc"] > 0.9 > 0.7 > validation["teachers"]["big"]["micro_auc"]
    assert set(validation["teachers"]["small"]["by_kind"]) == {"skip4", "patch"}
    assert 0 <= validation["teachers"]["big"]["macro_auc"] <= 1
    candidates = report["fusion"]["candidates"]
    best = max(candidates.values(), key=lambda c: c["validation"]["micro_auc"])["validation"]["micro_auc"]
    chosen = report["fusion"]["name"]
    near_best = [name for name, c in candidates.items() if c["validation"]["micro_auc"] >= best - VALIDATION_TIE]
    assert chosen == near_best[0] and candidates[chosen]["validation"] == validation["fused"]
    assert candidates["mean_map"]["validation"]["micro_auc"] < best  # "big" drowns "small" in the raw mean
    assert report["fused"] == report["ensemble"] == candidates[chosen]["test_for_information"]
    assert report["unsmoothed"]["fused"] == report["unsmoothed"]["ensemble"]
    assert report["fused"]["micro_auc"] > report["teachers"]["big"]["micro_auc"]
    assert Fusion.from_dict(report["fusion"]).name == chosen and "validation" in report["fusion"]["chosen_by"]
    write_report(tmp_path / "report.json", report)
    assert json.loads((tmp_path / "report.json").read_text())["fusion"]["name"] == chosen
    assert plot_validation_roc(tmp_path / "roc.png", scores, report, sigma=0)
    assert (tmp_path / "roc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_named_fusion_is_used_and_an_unknown_one_refused(hand_made):
    _, paths, _, _, labels = hand_made
    scores = shard_frame_scores(paths, ["small", "big"])
    report = build_report(scores, labels, sigma=0, fusion="mean_map")
    assert report["fusion"]["name"] == "mean_map" and report["fusion"]["chosen_by"] == "named by the user"
    assert report["fused"] == report["fusion"]["candidates"]["mean_map"]["test_for_information"]
    with pytest.raises(FastaedError, match="--fusion sum@0.5: not a fusion"):
        build_report(scores, labels, fusion="sum@0.5")


def test_without_pseudo_anomalies_the_fallback_fusion_is_used(hand_made):
    _, paths, _, _, labels = hand_made
    scores = shard_frame_scores([p for p in paths if p.parent.name != "pseudo"], ["small", "big"])
    report = build_report(scores, labels, sigma=0)
    assert report["validation"]["fused"]["micro_auc"] is None and report["validation"]["pseudo_frames"] == 0
    assert report["fusion"]["name"] == "sum@0.999" and "default" in report["fusion"]["chosen_by"]
    assert not plot_validation_roc("unused.png", scores, report)


def test_reversed_clips_are_reported_but_not_pooled_while_other_kinds_exist():
    from pipeline.precompute.validation import validation_metrics

    normal = {"01": np.linspace(0, 1, 50), "02": np.linspace(0, 1, 50)}
    skips = {f"{v}-skip2": (v, "skip2", np.linspace(0.9, 2, 20)) for v in normal}
    reversed_clips = {f"{v}-reverse": (v, "reverse", np.linspace(0, 1, 50)) for v in normal}  # normal video
    alone = validation_metrics(normal, skips, sigma=0)
    both = validation_metrics(normal, {**skips, **reversed_clips}, sigma=0)
    assert both["micro_auc"] == alone["micro_auc"] > 0.99 and both["macro_auc"] == alone["macro_auc"]
    assert both["by_kind"]["reverse"] == pytest.approx(0.5, abs=0.02)
    assert validation_metrics(normal, reversed_clips, sigma=0)["micro_auc"] == pytest.approx(0.5, abs=0.02)
