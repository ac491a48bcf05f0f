"""`fastaed precompute-teachers` end to end on a small synthetic scene: shards, cross-fitting,
a real dask cluster, SIGKILL and resume, refusals, checksums, and the teachers' accuracy."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from pipeline.atomic_files import is_temporary
from pipeline.cli import main
from pipeline.errors import FastaedError
from pipeline.precompute import PrecomputeOptions, precompute_teachers
from pipeline.precompute.plan import ALL
from pipeline.shards import format as fmt
from pipeline.shards import list_shards, open_shard, read_manifest, verify
from pipeline.synthetic import write_synthetic

TEACHERS = ("density", "autoencoder")
# The auto-encoders train for fewer steps than their default (1500), and there are 2 folds (3 fits
# per teacher), to keep these tests short.
TEACHER_OPTIONS = {"autoencoder": {"steps": 60}}
FOLDS = 2
FRAME_SIZE = (48, 72)
SCENE = dict(seed=0, train_videos=3, test_videos=2, frames=40, size=(120, 176))
PSEUDO = ("skip4", "patch")  # two of the four kinds, to keep the runs short
EXPECTED = ["pseudo/01-patch.h5", "pseudo/01-skip4.h5", "pseudo/02-patch.h5", "pseudo/02-skip4.h5",
            "pseudo/03-patch.h5", "pseudo/03-skip4.h5",
            "test/01.h5", "test/02.h5", "train/01.h5", "train/02.h5", "train/03.h5"]
TIMING_ATTRS = {"teacher_seconds_per_frame", "teacher_seconds"}


def cli_args(dataset, out, *extra):
    teacher_options = [f"--teacher-option={t}.{k}={v}" for t, opts in TEACHER_OPTIONS.items() for k, v in opts.items()]
    return ["precompute-teachers", "--dataset", str(dataset), "--out", str(out), "--teachers", ",".join(TEACHERS),
            *teacher_options, "--frame-size", "x".join(map(str, FRAME_SIZE)), "--folds", str(FOLDS),
            "--pseudo-anomalies", ",".join(PSEUDO), "--quiet", *extra]


def api_options():
    return PrecomputeOptions(frame_size=FRAME_SIZE, teachers=TEACHERS, teacher_options=TEACHER_OPTIONS, folds=FOLDS,
                             pseudo_anomalies=PSEUDO)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    root = tmp_path_factory.mktemp("scene") / "synthetic"
    write_synthetic(root, progress=False, **SCENE)
    return root


@pytest.fixture(scope="module")
def reference(scene, tmp_path_factory):
    """One local-cluster run that the other tests compare against."""
    out = tmp_path_factory.mktemp("reference") / "shards"
    started = time.perf_counter()
    report = precompute_teachers(scene, out, api_options(), workers=2, progress=False)
    print(f"\nreference run on {SCENE}: {time.perf_counter() - started:.1f} s")
    return out, report


def shard_content(path):
    """Every dataset's values and every attribute but the timings, for comparing runs."""
    content = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, node: content.__setitem__(name, node[()])
                          if isinstance(node, h5py.Dataset) else None)
        attrs = {k: v for k, v in handle.attrs.items() if k not in TIMING_ATTRS}
    return content, attrs


def assert_same_shards(out_a, out_b):
    for relpath in EXPECTED:
        (data_a, attrs_a), (data_b, attrs_b) = shard_content(out_a / relpath), shard_content(out_b / relpath)
        assert sorted(data_a) == sorted(data_b), relpath
        for name in data_a:
            np.testing.assert_array_equal(data_a[name], data_b[name], err_msg=f"{relpath}:{name}")
        assert sorted(attrs_a) == sorted(attrs_b)
        for name in attrs_a:
            np.testing.assert_array_equal(attrs_a[name], attrs_b[name], err_msg=f"{relpath}@{name}")


def file_state(path):
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns, path.read_bytes()


def test_shards_follow_the_schema_with_cross_fitted_teachers(scene, reference):
    out, _ = reference
    manifest = verify(out)
    assert sorted(manifest["shards"]) == EXPECTED == manifest["expected"]
    assert [p.name for p in list_shards(out, "train")] == ["01.h5", "02.h5", "03.h5"]
    source = (SCENE["size"][0], SCENE["size"][1])
    grid = (-(-source[0] // 8), -(-source[1] // 8))
    for relpath in EXPECTED:
        with h5py.File(out / relpath, "r") as handle:
            split, video = relpath[:-3].split("/")
            source_video, _, kind = video.partition("-")
            length = SCENE["frames"] // 4 if kind == "skip4" else SCENE["frames"]
            frames = handle["frames"]
            assert frames.dtype == np.uint8 and frames.shape == (length, *FRAME_SIZE)
            assert frames.chunks == (1, *FRAME_SIZE) and frames.compression == "gzip"
            boxes = handle["boxes"][()]
            assert boxes.dtype == np.float32 and boxes.ndim == 2 and boxes.shape[1] == 6 and len(boxes) > 5
            assert boxes[:, 0].min() >= 0 and boxes[:, 0].max() < length
            assert (boxes[:, 3] >= boxes[:, 1]).all() and (boxes[:, 4] >= boxes[:, 2]).all()
            assert sorted(handle["maps"]) == sorted(TEACHERS) == sorted(handle["scores"])
            for teacher in TEACHERS:
                maps = handle["maps"][teacher]
                assert maps.dtype == np.float16 and maps.shape == (length, *grid)
                assert maps.chunks == (1, *grid) and maps.compression == "gzip" and maps.shuffle
                assert np.isfinite(maps[()]).all() and maps[()].min() >= 0
                assert maps[()].max() > 0 or split != "test"  # every test video has an anomaly
                scores = handle["scores"][teacher]
                assert scores.dtype == np.float32 and scores.shape == (len(boxes),)
            attrs = handle.attrs
            assert attrs["format_version"] == fmt.FORMAT_VERSION and attrs["dataset"] == "synthetic"
            assert (attrs["split"], attrs["video"]) == (split, video)
            assert attrs["num_frames"] == length and tuple(attrs["frame_size"]) == source
            if split == "pseudo":
                assert (attrs["source_video"], attrs["pseudo_kind"]) == (source_video, kind)
            assert list(attrs["teachers"]) == list(TEACHERS)
            assert attrs["config_hash"] == manifest["config_hash"]
            assert 0 < attrs["teacher_seconds_per_frame"] < 5 and len(attrs["source_fingerprint"]) == 16
            fold = int(attrs["fold"])
            assert fold == ALL if split == "test" else 0 <= fold < FOLDS
            for teacher in TEACHERS:
                with h5py.File(out / "teachers" / ("all" if fold == ALL else f"fold-{fold}") / f"{teacher}.h5") as saved:
                    fitted_on = json.loads(saved.attrs["videos"])
                assert (source_video not in fitted_on) if split != "test" else fitted_on == ["01", "02", "03"]


def test_every_fold_teacher_is_calibrated_on_the_unseen_videos_of_its_fold(reference):
    """On its own fold's training videos, which it never saw, each fold teacher scores the
    normal objects with median 0 and high quantile 1: one scale for every fold's maps."""
    from pipeline.precompute.feature_cache import cache_path
    from pipeline.precompute.plan import make_plan
    from pipeline.precompute.teacher_store import load_teacher

    out, _ = reference
    plan = make_plan(["01", "02", "03"], FOLDS)
    for fold in range(FOLDS):
        for teacher in TEACHERS:
            fitted = load_teacher(out / "teachers" / f"fold-{fold}" / f"{teacher}.h5")
            features = []
            for video in plan.held_out_videos(fold):
                with h5py.File(cache_path(out, "train", video), "r") as cache:
                    features.append(cache["features"][teacher][()])
            scores = fitted.score(np.concatenate(features))
            assert abs(np.median(scores)) < 1e-4, (fold, teacher)
            assert abs(np.quantile(scores, fitted.options["quantile"]) - 1) < 1e-4, (fold, teacher)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A real `dask scheduler` and two `dask worker` processes on 127.0.0.1, stopped afterwards."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    commands = {"scheduler": ["dask", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]}
    for k in range(2):
        commands[f"worker{k}"] = ["dask", "worker", address, "--nworkers", "1", "--nthreads", "1",
                                  "--host", "127.0.0.1", "--no-dashboard"]
    processes = []
    try:
        for name, command in commands.items():
            with open(logs / f"{name}.log", "w") as log:
                processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_real_dask_cluster_writes_the_same_shards_as_the_local_run(scene, reference, dask_cluster, tmp_path):
    out = tmp_path / "shards"
    result = CliRunner().invoke(main, cli_args(scene, out, "--scheduler", dask_cluster))
    assert result.exit_code == 0, result.output
    assert "micro AUC" in result.output
    verify(out)
    assert_same_shards(reference[0], out)


def test_a_dask_worker_killed_mid_task_does_not_lose_the_run(scene, reference, dask_cluster, tmp_path):
    from distributed import Client

    out = tmp_path / "shards"
    with open(tmp_path / "run.log", "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "pipeline", *cli_args(scene, out, "--scheduler", dask_cluster)],
                                   stdout=subprocess.DEVNULL, stderr=log)
    try:
        with Client(dask_cluster, timeout=30) as client:
            deadline, busy = time.monotonic() + 240, []
            while not busy and time.monotonic() < deadline and process.poll() is None:
                busy = [worker for worker, keys in client.processing().items()
                        if any(str(key).startswith(("features-", "fit-")) for key in keys)]
                time.sleep(0.02)
            assert busy, "no task ever ran on the cluster"
            victim = busy[0]
            pid = client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)  # the worker process itself; its nanny starts a new one
        assert process.wait(timeout=600) == 0, (tmp_path / "run.log").read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    verify(out)
    assert_same_shards(reference[0], out)
    assert not [p for p in out.rglob("*") if is_temporary(p)]


def test_sigkill_part_way_then_rerun_completes_without_redoing_complete_shards(scene, reference, tmp_path):
    out = tmp_path / "shards"
    shutil.copytree(reference[0] / "cache", out / "cache")  # detections + features: only fits and shards remain
    command = [sys.executable, "-m", "pipeline", *cli_args(scene, out, "--workers", "2")]
    with open(tmp_path / "run1.log", "w") as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    started = time.monotonic()
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if read_manifest(out, missing_ok=True) and read_manifest(out)["shards"]:
                    break
            except FastaedError:
                pass
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL, "the run finished before it could be killed"
    finally:
        try:  # its worker processes stop by themselves once their parent is gone; make sure
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    listed = read_manifest(out)["shards"]
    complete = {relpath: file_state(out / relpath) for relpath in EXPECTED if (out / relpath).exists()}
    assert listed and set(listed) <= set(complete) and len(complete) < len(EXPECTED), complete.keys()
    missing = next(r for r in EXPECTED if r not in complete)
    half = (out / next(iter(complete))).read_bytes()
    (out / f"{missing}.tmp-424242").parent.mkdir(parents=True, exist_ok=True)
    (out / f"{missing}.tmp-424242").write_bytes(half[: len(half) // 2])

    killed_at = time.monotonic()
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    print(f"\nkilled after {killed_at - started:.1f} s with {len(complete)} shard(s) complete; "
          f"rerun {time.monotonic() - killed_at:.1f} s")
    assert rerun.returncode == 0, rerun.stderr
    assert "resuming" in rerun.stderr and "temporary file" in rerun.stderr
    manifest = verify(out)
    assert sorted(manifest["shards"]) == EXPECTED
    for relpath in EXPECTED:
        open_shard(out / relpath, config_hash=manifest["config_hash"], full=True)
    assert not [p for p in out.rglob("*") if is_temporary(p)]
    for relpath, state in complete.items():
        assert file_state(out / relpath) == state, f"{relpath} was rewritten"
    assert_same_shards(reference[0], out)


def test_shards_of_another_configuration_are_refused_in_one_line(scene, reference):
    out = reference[0]
    before = (out / "manifest.json").read_bytes()
    result = CliRunner().invoke(main, cli_args(scene, out, "--link-radius", "0"))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "another configuration" in lines[0] and "--overwrite" in lines[0], result.output
    assert "changed: link_radius" in lines[0]
    assert (out / "manifest.json").read_bytes() == before


def test_truncated_and_bit_flipped_shards_are_caught_and_redone(reference, scene, tmp_path):
    out = tmp_path / "shards"
    shutil.copytree(reference[0], out)
    truncated, flipped = out / "test" / "01.h5", out / "train" / "02.h5"
    truncated.write_bytes(truncated.read_bytes()[:3000])
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0x10
    flipped.write_bytes(bytes(data))
    with pytest.raises(FastaedError, match=r"test/01\.h5: size"):
        verify(out)
    with pytest.raises(FastaedError, match=r"train/02\.h5: checksum differs"):
        verify(out, ["train/02.h5"])
    untouched = {r: file_state(out / r) for r in EXPECTED if r not in ("test/01.h5", "train/02.h5")}
    lines = []
    precompute_teachers(scene, out, api_options(), workers=2, progress=False, log=lines.append)
    assert any("test/01.h5: size" in line for line in lines) and any("train/02.h5: checksum" in line for line in lines)
    verify(out)
    for relpath, state in untouched.items():
        assert file_state(out / relpath) == state
    assert_same_shards(reference[0], out)  # deterministic: the redone shards hold the same values
