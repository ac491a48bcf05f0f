"""report.json of a real tiny precomputation: its label-free validation section, the fusion chosen
by it, its cost; and the same shards and AUCs from another run with another number of workers, or
from one worker process with two threads (a real dask cluster in each case)."""
import json

import h5py
import numpy as np
import pytest

from pipeline.precompute import precompute_teachers
from pipeline.shards import read_manifest

TIMING_ATTRS = {"teacher_seconds_per_frame", "teacher_seconds"}
"""Measured seconds: the only shard content that differs from run to run (and so the checksums)."""


def shard_content(path):
    content = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, node: content.__setitem__(name, node[()])
                          if isinstance(node, h5py.Dataset) else None)
        attrs = {name: value for name, value in handle.attrs.items() if name not in TIMING_ATTRS}
    return content, attrs


def aucs(report):
    """Every AUC in the report, by its path of keys."""
    found = {}

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif "auc" in path[-1] or (len(path) > 1 and path[-2] == "by_kind"):
            found[path] = node
    walk(report, ())
    return found


def test_the_report_validates_on_training_video_and_says_what_it_cost(tiny_shards):
    report = json.loads((tiny_shards / "report.json").read_text())
    manifest = read_manifest(tiny_shards)["shards"]
    validation = report["validation"]
    assert validation["normal_frames"] == sum(e["num_frames"] for e in manifest.values() if e["split"] == "train")
    assert validation["pseudo_frames"] == sum(e["num_frames"] for e in manifest.values() if e["split"] == "pseudo")
    for name in ("density", "autoencoder"):
        values = validation["teachers"][name]
        assert 0 <= values["micro_auc"] <= 1 and 0 <= values["macro_auc"] <= 1
        assert sorted(values["by_kind"]) == ["patch", "skip4"]
    candidates = report["fusion"]["candidates"]
    chosen = report["fusion"]["name"]
    best = max(candidate["validation"]["micro_auc"] for candidate in candidates.values())
    assert candidates[chosen]["validation"]["micro_auc"] == best
    assert validation["fused"] == candidates[chosen]["validation"]
    assert report["fused"] == report["ensemble"] == candidates[chosen]["test_for_information"]
    assert set(report["fusion"]["calibration"]) == {"density", "autoencoder"}
    assert (tiny_shards / validation["roc_plot"]).read_bytes()[:4] == b"\x89PNG"
    assert report["wall_seconds"] > 0 and set(report["fit_seconds"]) == {"density", "autoencoder"}
    assert all(seconds > 0 for seconds in report["fit_seconds"].values())
    assert {"detector", "density", "autoencoder.score"} <= set(report["seconds_per_frame_by_part"])


@pytest.fixture
def threaded_scheduler():
    """A real dask cluster of one worker process with two threads."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


@pytest.mark.parametrize("run", ["two worker processes", "one worker process, two threads"])
def test_another_worker_count_gives_the_same_shards_and_aucs(run, tiny_scene, tiny_options, tiny_shards, tmp_path,
                                                             request):
    out = tmp_path / "shards"
    if run == "two worker processes":
        precompute_teachers(tiny_scene, out, tiny_options, workers=2, progress=False)
    else:
        precompute_teachers(tiny_scene, out, tiny_options, scheduler=request.getfixturevalue("threaded_scheduler"),
                            progress=False)
    first, second = read_manifest(tiny_shards), read_manifest(out)
    assert first["config_hash"] == second["config_hash"] and sorted(first["shards"]) == sorted(second["shards"])
    for relpath in first["shards"]:
        (data_a, attrs_a), (data_b, attrs_b) = shard_content(tiny_shards / relpath), shard_content(out / relpath)
        assert sorted(data_a) == sorted(data_b) and sorted(attrs_a) == sorted(attrs_b), relpath
        for name in data_a:
            np.testing.assert_array_equal(data_a[name], data_b[name], err_msg=f"{relpath}:{name}")
        for name in attrs_a:
            np.testing.assert_array_equal(attrs_a[name], attrs_b[name], err_msg=f"{relpath}@{name}")
    report_a = json.loads((tiny_shards / "report.json").read_text())
    report_b = json.loads((out / "report.json").read_text())
    aucs_a, aucs_b = aucs(report_a), aucs(report_b)
    assert len(aucs_a) > 40 and sorted(aucs_a) == sorted(aucs_b)
    for path, value in aucs_a.items():
        if value is None:
            assert aucs_b[path] is None, path
        else:
            assert aucs_b[path] == pytest.approx(value, abs=1e-6), path
    assert report_a["fusion"] == report_b["fusion"]
