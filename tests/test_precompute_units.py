"""Precomputation pieces that need no cluster: cross-fitting plan, configuration hash, options,
resume decisions on real shard files, the lock, the teacher store."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from pipeline.errors import FastaedError
from pipeline.precompute.config import PrecomputeOptions, config_document, features_key, short_hash
from pipeline.precompute.lock import LOCK, shards_lock
from pipeline.precompute.plan import ALL, effective_folds, make_plan
from pipeline.precompute.resume import survey
from pipeline.precompute.teacher_store import load_teacher_state, save_teacher
from pipeline.shards import format as fmt
from pipeline.shards import write_shard
from pipeline.cli.precompute_teachers import parse_frame_size, parse_option, parse_teacher_options


def test_cross_fitting_never_scores_a_training_video_with_a_teacher_that_saw_it():
    ids = [f"{i:02d}" for i in range(1, 12)]
    plan = make_plan(ids, folds=4)
    assert sorted(v for fold in plan.folds for v in fold) == ids
    assert [len(fold) for fold in plan.folds] == [3, 3, 3, 2]
    for video in ids:
        fit = plan.fold_scoring("train", video)
        assert video not in plan.fit_videos(fit)
        assert len(plan.fit_videos(fit)) >= 8
    assert plan.fit_videos(ALL) == tuple(ids)
    assert plan.fold_scoring("test", "01") == ALL
    assert plan.fits == (0, 1, 2, 3, ALL)


def test_folds_are_limited_by_the_training_videos():
    assert effective_folds(4, 3) == 3 and effective_folds(4, 16) == 4
    with pytest.raises(FastaedError, match="at least 2 folds"):
        effective_folds(1, 10)
    with pytest.raises(FastaedError, match="1 training video"):
        effective_folds(4, 1)


def test_config_hash_changes_with_what_changes_shards_only():
    base = PrecomputeOptions(frame_size=(80, 120))
    doc = config_document(base, "syn", "fp1", folds=4)
    same = config_document(PrecomputeOptions(frame_size=(80, 120)), "syn", "fp1", folds=4)
    assert short_hash(doc) == short_hash(same)
    variants = [
        config_document(PrecomputeOptions(frame_size=(64, 96)), "syn", "fp1", folds=4),
        config_document(base, "syn", "fp2", folds=4),
        config_document(base, "syn", "fp1", folds=3),
        config_document(PrecomputeOptions((80, 120), teacher_options={"density": {"k": 5}}), "syn", "fp1", 4),
        config_document(PrecomputeOptions((80, 120), detector_options={"threshold": 9}), "syn", "fp1", 4),
        config_document(PrecomputeOptions((80, 120), teachers=("autoencoder", "density")), "syn", "fp1", 4),
        config_document(PrecomputeOptions((80, 120), link_radius=0), "syn", "fp1", 4),
    ]
    hashes = {short_hash(d) for d in variants} | {short_hash(doc)}
    assert len(hashes) == len(variants) + 1
    # the per-video feature cache survives a change of folds, frame size or linking, not of teachers
    assert features_key(doc, "v") == features_key(variants[0], "v") == features_key(variants[2], "v")
    assert features_key(doc, "v") != features_key(variants[3], "v")


def test_command_line_values_are_parsed_or_refused_in_one_line():
    assert parse_frame_size("80x120") == (80, 120)
    with pytest.raises(FastaedError, match="HEIGHTxWIDTH"):
        parse_frame_size("80,120")
    assert parse_option("percentiles=[50, 90]", "--x") == ("percentiles", [50, 90])
    assert parse_option("checkpoint=/m/a.pt", "--x") == ("checkpoint", "/m/a.pt")
    with pytest.raises(FastaedError, match="KEY=VALUE"):
        parse_option("threshold", "--detector-option")
    assert parse_teacher_options(["density.k=5", "density.flow_preset=fast"], ["density"]) == {
        "density": {"k": 5, "flow_preset": "fast"}}
    with pytest.raises(FastaedError, match="TEACHER.KEY=VALUE"):
        parse_teacher_options(["other.k=5"], ["density"])


def _shard(out, split, video, config_hash):
    frames = np.zeros((4, 8, 8), np.uint8)
    grid = fmt.map_grid((16, 16))
    attrs = {"dataset": "d", "video": video, "split": split, "num_frames": 4, "frame_size": (16, 16),
             "config_hash": config_hash, "teacher_seconds_per_frame": 0.0, "source_fingerprint": "f", "fold": -1}
    return write_shard(fmt.shard_path(out, split, video), frames=frames, maps={"t": np.zeros((4, *grid))},
                       boxes=np.zeros((0, 6)), scores={"t": np.zeros(0)}, attrs=attrs)


def test_survey_keeps_complete_shards_lists_unlisted_ones_and_redoes_damaged_ones(tmp_path):
    lines = []
    expected = ["test/01.h5", "test/02.h5", "test/03.h5", "train/01.h5"]
    _shard(tmp_path, "test", "01", "h1")     # complete, not yet in a manifest (killed before listing)
    _shard(tmp_path, "test", "02", "h1")
    path = tmp_path / "test" / "02.h5"
    path.write_bytes(path.read_bytes()[:500])                       # truncated
    (tmp_path / "test" / "03.h5.tmp-123").write_bytes(b"partial")   # leftover temporary file
    manifest, todo = survey(tmp_path, {"a": 1}, "h1", expected, overwrite=False, log=lines.append)
    assert sorted(manifest["shards"]) == ["test/01.h5"]
    assert todo == ["test/02.h5", "test/03.h5", "train/01.h5"]
    assert not path.exists() and not (tmp_path / "test" / "03.h5.tmp-123").exists()
    assert any("02.h5: not a complete shard" in line for line in lines)


def test_survey_refuses_another_configuration_unless_overwrite(tmp_path):
    _shard(tmp_path, "test", "01", "old")
    with pytest.raises(FastaedError, match=r"another configuration \(config_hash old, expected new\)"):
        survey(tmp_path, {"a": 1}, "new", ["test/01.h5"], overwrite=False, log=print)
    assert (tmp_path / "test" / "01.h5").exists()
    (tmp_path / "test" / "notes.txt").write_text("not ours")
    manifest, todo = survey(tmp_path, {"a": 1}, "new", ["test/01.h5"], overwrite=True, log=print)
    assert todo == ["test/01.h5"] and not (tmp_path / "test" / "01.h5").exists()
    assert (tmp_path / "test" / "notes.txt").read_text() == "not ours"


def test_survey_names_the_changed_fields_of_a_manifest_of_another_configuration(tmp_path):
    from pipeline.shards.manifest import new_manifest, write_manifest

    manifest = new_manifest({"folds": 4, "seed": 0}, "old", ["test/01.h5"])
    write_manifest(tmp_path, manifest)  # an earlier run that wrote nothing is simply replaced
    assert survey(tmp_path, {"folds": 3, "seed": 0}, "new", ["test/01.h5"], overwrite=False, log=print)[1] == [
        "test/01.h5"]
    manifest["shards"]["test/01.h5"] = {**_shard(tmp_path, "test", "01", "old"), "split": "test", "video": "01",
                                        "num_frames": 4}
    write_manifest(tmp_path, manifest)
    with pytest.raises(FastaedError, match=r"changed: folds\): rerun with --overwrite"):
        survey(tmp_path, {"folds": 3, "seed": 0}, "new", ["test/01.h5"], overwrite=False, log=print)


def test_a_live_lock_is_refused_and_a_stale_one_taken_over(tmp_path):
    with shards_lock(tmp_path):
        with pytest.raises(FastaedError, match="another `fastaed precompute-teachers`"):
            with shards_lock(tmp_path):
                pass
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket
    (tmp_path / LOCK).write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname()}))
    with shards_lock(tmp_path):
        assert json.loads((tmp_path / LOCK).read_text())["pid"] == os.getpid()
    assert not (tmp_path / LOCK).exists()


def test_teacher_state_round_trips_without_pickle(tmp_path):
    state = {"teacher": "density", "format_version": 1, "options": "{}", "motion.bank": np.arange(6.0).reshape(3, 2),
             "motion.median": 0.5}
    save_teacher(tmp_path / "t.h5", state, "h1", 2, ["01", "03"], 0.25)
    loaded, info = load_teacher_state(tmp_path / "t.h5", "h1")
    np.testing.assert_array_equal(loaded["motion.bank"], state["motion.bank"])
    assert loaded["motion.median"] == 0.5 and loaded["teacher"] == "density"
    assert info == {"config_hash": "h1", "fit": "fold-2", "videos": ["01", "03"], "fit_seconds": 0.25}
    with pytest.raises(FastaedError, match="another configuration"):
        load_teacher_state(tmp_path / "t.h5", "h2")


def test_overwrite_replaces_another_configuration_but_keeps_complete_shards_of_this_one(tmp_path):
    from pipeline.shards.manifest import new_manifest, write_manifest

    manifest = new_manifest({"folds": 4}, "h1", ["test/01.h5", "test/02.h5"])
    manifest["shards"]["test/01.h5"] = {**_shard(tmp_path, "test", "01", "h1"), "split": "test", "video": "01",
                                        "num_frames": 4}
    write_manifest(tmp_path, manifest)
    kept, todo = survey(tmp_path, {"folds": 4}, "h1", ["test/01.h5", "test/02.h5"], overwrite=True, log=print)
    assert sorted(kept["shards"]) == ["test/01.h5"] and todo == ["test/02.h5"]
    lines = []
    _, todo = survey(tmp_path, {"folds": 3}, "h2", ["test/01.h5", "test/02.h5"], overwrite=True, log=lines.append)
    assert todo == ["test/01.h5", "test/02.h5"] and not (tmp_path / "test" / "01.h5").exists()
    assert "changed: folds" in lines[0]
