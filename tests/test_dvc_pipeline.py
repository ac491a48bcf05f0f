"""The main job end to end through DVC on a reduced synthetic configuration, and what `dvc status`
says after a parameter changes.

A copy of the repository's tracked files becomes a fresh git + DVC repository in a temporary
folder; `dvc exp run -S ...` (the documented override form) runs every stage of ``dvc.yaml`` with
small settings: synth -> precompute-teachers -> train-student -> evaluate -> benchmark-fps -> summary.
About 2 minutes on 2 cores.
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
REDUCED = {
    "synth.train_videos": 2, "synth.test_videos": 2, "synth.frames": 30, "synth.size": "80x120",
    "teachers.folds": 2, "teachers.workers": 1, "teachers.autoencoder_steps": 20, "teachers.pseudo_anomalies": "skip4",
    "student.epochs": 1, "student.batch_size": 16, "benchmark.batch_sizes": "'1,4'", "benchmark.repeats": 2,
}
STAGES = ["synth", "precompute-teachers", "train-student", "evaluate", "benchmark-fps", "summary"]


def run(args, cwd, timeout=900):
    result = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, args))}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def with_param(text, key, value):
    """params.yaml text with ``section.name`` set to ``value`` (the file is two levels deep)."""
    section, name = key.split(".")
    pattern = re.compile(rf"(^{section}:\n(?:[ \t].*\n|\n)*?[ \t]+{name}:)[^\n]*", re.M)
    changed, count = pattern.subn(rf"\g<1> {value}", text, count=1)
    assert count == 1, f"{key} is not in params.yaml"
    return changed


def changed_stages(repo):
    status = json.loads(run(["dvc", "status", "--json"], repo).stdout or "{}")
    return sorted(name.split(":")[-1] for name in status)


@pytest.fixture(scope="module")
def reduced_repo(tmp_path_factory):
    if shutil.which("git") is None or shutil.which("dvc") is None:
        pytest.skip("needs git and dvc on PATH")
    repo = tmp_path_factory.mktemp("dvc") / "fastaed"
    tracked = run(["git", "ls-files", "-z"], REPO).stdout.split("\0")
    for name in filter(None, tracked):
        if (REPO / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, repo / name)
    (repo / "dvc.lock").unlink(missing_ok=True)  # run every stage, whatever the committed lock says
    run(["git", "init", "-q"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-q", "-m", "copy"], repo)
    overrides = [arg for key, value in REDUCED.items() for arg in ("-S", f"{key}={value}")]
    result = run(["dvc", "exp", "run", *overrides], repo)
    return repo, result.stdout + result.stderr


def test_dvc_exp_run_runs_every_stage_and_ends_with_a_summary(reduced_repo):
    repo, output = reduced_repo
    for stage in STAGES:
        assert f"Running stage '{stage}'" in output, output[-3000:]
    summary = (repo / "data" / "summary.md").read_text()
    assert "| teachers fused (" in summary and "| student |" in summary and "frames/s" in summary
    teachers = json.loads((repo / "data" / "teacher_report.json").read_text())
    student = json.loads((repo / "data" / "student_metrics.json").read_text())
    fps = json.loads((repo / "data" / "fps.json").read_text())
    assert 0 <= teachers["ensemble"]["micro_auc"] <= 1 and 0 <= student["micro_auc"] <= 1
    assert [row["batch_size"] for row in fps["results"]] == [1, 4] and fps["results"][0]["fps_end_to_end"] > 0
    assert sorted(p.name for p in (repo / "data" / "shards" / "pseudo").iterdir()) == ["01-skip4.h5", "02-skip4.h5"]
    metrics = run(["dvc", "metrics", "show", "--json"], repo).stdout
    for name in ("teacher_report.json", "student_metrics.json", "fps.json", "train_metrics.json"):
        assert name in metrics
    assert changed_stages(repo) == []


@pytest.mark.parametrize(("key", "value", "affected"), [
    ("synth.seed", 1, ["synth"]),
    ("teachers.sigma", 2.0, ["precompute-teachers"]),
    ("student.epochs", 2, ["train-student"]),
    ("evaluate.sigma", 0.0, ["evaluate"]),
    ("benchmark.repeats", 3, ["benchmark-fps"]),
])
def test_a_changed_parameter_makes_dvc_status_name_only_its_stage(reduced_repo, key, value, affected):
    repo, _ = reduced_repo
    params = repo / "params.yaml"
    original = params.read_text()
    try:
        params.write_text(with_param(original, key, value))
        assert changed_stages(repo) == affected
    finally:
        params.write_text(original)
    assert changed_stages(repo) == []
