"""Faults real runs meet, with real processes and real signals: Ctrl-C during training, and a full disk.

The full-disk tests run each command in a private mount namespace (``unshare -rm``) whose output
folder is a 128 KiB tmpfs, so the writes fail with the kernel's own ENOSPC; they are skipped
where user namespaces are not allowed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from student import load_checkpoint

ENV = {**os.environ, "DVC_NO_ANALYTICS": "1"}


def fastaed(*args):
    return [sys.executable, "-m", "pipeline", *map(str, args)]


def epochs_logged(run):
    try:
        return len(json.loads((run / "train_log.json").read_text())["log"])
    except (OSError, ValueError, KeyError):
        return 0


def test_ctrl_c_during_training_keeps_the_last_checkpoint_and_resume_finishes(tiny_shards, tmp_path):
    run = tmp_path / "run"
    process = subprocess.Popen(fastaed("train-student", "--shards", tiny_shards, "--out", run, "--epochs", 200,
                                       "--batch-size", 16, "--workers", 2, "--quiet"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while epochs_logged(run) < 2 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.poll() is None, process.communicate()
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1].startswith("fastaed: interrupted"), stderr
    assert "Traceback" not in stderr
    saved = load_checkpoint(run / "student.pt")
    assert 2 <= saved["epoch"] < 200 and len(saved["log"]) == saved["epoch"]
    assert not [p.name for p in run.iterdir() if p.name.endswith(".tmp") or ".tmp-" in p.name]

    target = saved["epoch"] + 1
    resumed = subprocess.run(fastaed("train-student", "--shards", tiny_shards, "--out", run, "--epochs", target,
                                     "--batch-size", 16, "--workers", 0, "--quiet", "--resume"),
                             capture_output=True, text=True, env=ENV, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    after = load_checkpoint(run / "student.pt")
    assert after["epoch"] == target and [e["epoch"] for e in after["log"]] == list(range(1, target + 1))


def _can_mount_a_private_tmpfs():
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                           capture_output=True)
    return probe.returncode == 0


needs_private_tmpfs = pytest.mark.skipif(not _can_mount_a_private_tmpfs(),
                                         reason="needs `unshare -rm` (user and mount namespaces) to mount a tmpfs")


def run_on_a_full_disk(tmp_path, args, size="128k"):
    """Run ``fastaed ARGS`` with FULL (in ARGS) a fresh tmpfs of ``size``; return (result, files left in it)."""
    full, listing = tmp_path / "full", tmp_path / "left.txt"
    full.mkdir()
    script = 'mount -t tmpfs -o size="$1" tmpfs "$2" && shift 3 && "$@"; code=$?; find "$FULL" -type f -printf "%P\\n" > "$LISTING"; exit $code'
    argv = [str(a).replace("FULL/", f"{full}/") for a in args]
    result = subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", size, str(full), "--", *fastaed(*argv)],
                            capture_output=True, text=True, env={**ENV, "FULL": str(full), "LISTING": str(listing)},
                            timeout=600)
    return result, listing.read_text().split()


@needs_private_tmpfs
@pytest.mark.parametrize("command", ["train-student", "export", "synth"])
def test_a_full_disk_gives_one_line_and_no_half_written_file(command, tiny_shards, tiny_scene, tmp_path):
    args = {
        "train-student": ["train-student", "--shards", tiny_shards, "--out", "FULL/run", "--epochs", 1,
                          "--workers", 0, "--quiet"],
        "export": ["export", "--checkpoint", "CHECKPOINT", "--out", "FULL/student.onnx"],
        "synth": ["synth", "FULL/data", "--frames", 40],
    }[command]
    if command == "export":
        trained = subprocess.run(fastaed("train-student", "--shards", tiny_shards, "--out", tmp_path / "run",
                                         "--epochs", 1, "--workers", 0, "--quiet"),
                                 capture_output=True, text=True, env=ENV, timeout=300)
        assert trained.returncode == 0, trained.stderr
        args[2] = tmp_path / "run" / "student.pt"
    result, left = run_on_a_full_disk(tmp_path, args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    # OpenCV's imwrite only says that it failed, not why
    expected = "could not write" if command == "synth" else "no space left on the device"
    assert lines[-1].startswith("fastaed: error: ") and expected in lines[-1], result.stderr
    assert "Traceback" not in result.stderr
    assert left == [], f"{command} left files behind on the full disk: {left}"


@needs_private_tmpfs
def test_a_full_disk_during_precompute_keeps_no_shard_or_cache_half_written(tiny_scene, tmp_path):
    result, left = run_on_a_full_disk(tmp_path, [
        "precompute-teachers", "--dataset", tiny_scene, "--out", "FULL/shards", "--workers", 1, "--folds", 2,
        "--teachers", "density", "--pseudo-anomalies", "none", "--quiet"], size="96k")
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("fastaed: error: ") and "no space left on the device" in last, result.stderr
    assert not [name for name in left if ".tmp-" in name], left
    # only complete files: the (empty) manifest and whatever finished before the disk filled up
    assert "shards/manifest.json" in left and all(name.endswith((".h5", ".json")) for name in left), left
