"""`fastaed benchmark-fps`: fps.json and its plot, the speed-up from real shards, no teacher loaded, one-line errors."""
import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.precompute.report import write_report
from pipeline.shards import shard_path, shard_relpath, write_manifest, write_shard
from pipeline.shards.manifest import new_manifest
from pipeline.speed_report import teacher_speed
from student import build_student, save_checkpoint

ROW_KEYS = {"batch_size", "fps_forward", "fps_end_to_end", "latency_ms_p50", "latency_ms_p95"}
INTERFACE_KEYS = {"device", "threads", "torch", "runtime", "results", "teacher_fps", "speedup_vs_teachers"}
QUICK = ["--batch-sizes", "1,2", "--warmup", "1", "--repeats", "3", "--frame-size", "48x72"]


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "run" / "student.pt"
    save_checkpoint(path, build_student("fast", ["motion", "appearance"], (48, 72)))
    return path


def write_shards(root, seconds_per_frame_by_video, report_seconds_per_frame=None):
    """A shards folder written by the real writers: one test shard per video, its manifest, maybe report.json."""
    manifest = new_manifest({"demo": True}, "abc", [shard_relpath("test", v) for v in seconds_per_frame_by_video])
    for video, (frames, seconds_per_frame) in seconds_per_frame_by_video.items():
        info = write_shard(shard_path(root, "test", video), frames=np.zeros((frames, 16, 24), np.uint8),
                           maps={"motion": np.zeros((frames, 2, 3))}, boxes=np.zeros((0, 6)),
                           scores={"motion": np.zeros(0)},
                           attrs={"dataset": "demo", "video": video, "split": "test", "num_frames": frames,
                                  "frame_size": (16, 24), "config_hash": "abc",
                                  "teacher_seconds_per_frame": seconds_per_frame, "source_fingerprint": "f",
                                  "fold": -1})
        manifest["shards"][shard_relpath("test", video)] = {**info, "split": "test", "video": video,
                                                             "num_frames": frames}
    write_manifest(root, manifest)
    if report_seconds_per_frame is not None:
        write_report(root / "report.json",
                     {"teachers": {}, "ensemble": {}, "seconds_per_frame": report_seconds_per_frame})
    return root


def check_rows(report, batch_sizes):
    assert [row["batch_size"] for row in report["results"]] == batch_sizes
    for row in report["results"]:
        assert set(row) == ROW_KEYS
        assert all(math.isfinite(row[key]) and row[key] > 0 for key in ROW_KEYS)
        assert row["latency_ms_p95"] >= row["latency_ms_p50"]


def test_torch_run_writes_fps_json_with_every_key_and_a_plot(tmp_path, checkpoint):
    out = tmp_path / "bench" / "fps.json"
    result = CliRunner().invoke(main, ["benchmark-fps", "--checkpoint", str(checkpoint), *QUICK, "--runtime", "torch",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert INTERFACE_KEYS <= set(report)
    assert {"model_size", "input_size", "dtype", "cpu", "date"} <= set(report)
    check_rows(report, [1, 2])
    assert (report["device"], report["runtime"], report["torch"]) == ("cpu", "torch", torch.__version__)
    assert report["threads"] == torch.get_num_threads()
    assert report["model_size"] == "fast" and report["input_size"] == [48, 72]
    assert report["dtype"] in ("float32", "bfloat16") and report["source_size"] == [48, 72]
    assert report["teacher_fps"] is None and report["speedup_vs_teachers"] is None
    assert sorted(p.name for p in out.parent.iterdir()) == ["fps.json", "fps.png"]
    assert (out.parent / "fps.png").read_bytes().startswith(b"\x89PNG")
    assert re.search(r"^\s+2\s+\d+\.\d", result.stdout, re.MULTILINE)  # the table has a batch-2 row
    assert "--shards" in result.stdout


def test_speed_up_over_teachers_and_no_teacher_module_imported(tmp_path, checkpoint):
    shards = write_shards(tmp_path / "shards", {"01": (4, 0.5)}, report_seconds_per_frame=0.05)
    out = tmp_path / "fps.json"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pipeline", "benchmark-fps", "--checkpoint", str(checkpoint),
         *QUICK, "--shards", str(shards), "--out", str(out), "--plot", str(tmp_path / "speed.png")],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    imported = re.findall(r"^import time:.*\|\s*([\w.]+)\s*$", result.stderr, re.MULTILINE)
    assert "student" in imported and "pipeline.speed_report" in imported
    assert not [name for name in imported if name.split(".")[0] == "teachers"]
    report = json.loads(out.read_text())
    assert report["teacher_fps"] == pytest.approx(20.0)  # report.json's 0.05 s, not the shard's 0.5 s
    best = max(row["fps_end_to_end"] for row in report["results"])
    assert report["speedup_vs_teachers"] == pytest.approx(best / 20.0)
    assert "speed-up" in result.stdout and (tmp_path / "speed.png").is_file()


def test_onnx_runtime_run(tmp_path, checkpoint):
    out, threads_before = tmp_path / "fps.json", torch.get_num_threads()
    result = CliRunner().invoke(main, ["benchmark-fps", "--checkpoint", str(checkpoint), *QUICK, "--runtime", "onnx",
                                       "--threads", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    check_rows(report, [1, 2])
    assert (report["runtime"], report["dtype"], report["threads"]) == ("onnx", "float32", 1)
    assert report["onnxruntime"]
    assert torch.get_num_threads() == threads_before  # torch's thread count is left as it was


def test_teacher_speed_without_report_is_the_frame_weighted_mean_of_the_shards(tmp_path):
    shards = write_shards(tmp_path / "shards", {"01": (2, 0.1), "02": (6, 0.02)})
    speed = teacher_speed(shards)
    assert speed["seconds_per_frame"] == pytest.approx((2 * 0.1 + 6 * 0.02) / 8)


@pytest.mark.parametrize("case, expected", [
    ("corrupt", "is not a fastaed student checkpoint"),
    ("batch-sizes", "--batch-sizes"),
    ("shards", "--shards"),
    ("bf16-onnx", "--bf16"),
    ("cuda", "--device cuda"),
])
def test_bad_input_gives_one_line_and_writes_nothing(tmp_path, checkpoint, case, expected):
    if case == "cuda" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"PK\x03\x04 truncated")
    out = tmp_path / "out" / "fps.json"
    args = {"corrupt": ["--checkpoint", bad],
            "batch-sizes": ["--checkpoint", checkpoint, "--batch-sizes", "1,x"],
            "shards": ["--checkpoint", checkpoint, "--shards", tmp_path / "no-shards"],
            "bf16-onnx": ["--checkpoint", checkpoint, "--runtime", "onnx", "--bf16"],
            "cuda": ["--checkpoint", checkpoint, "--device", "cuda"]}[case]
    result = CliRunner().invoke(main, ["benchmark-fps", *map(str, args), "--out", str(out)])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert expected in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_each_batch_size_takes_the_fastest_accepted_runtime_there():
    from pipeline.benchmark import _fastest_at_each_batch_size
    from pipeline.runtime_choice import Candidate

    torch_bf16, onnx = Candidate("torch", "bfloat16"), Candidate("onnx", "float32")
    int8 = Candidate("onnx-int8", "int8")
    rows = {torch_bf16: [{"fps_end_to_end": 1000.0}, {"fps_end_to_end": 7000.0}],
            onnx: [{"fps_end_to_end": 2500.0}, {"fps_end_to_end": 5000.0}],
            int8: [{"fps_end_to_end": 9000.0}, {"fps_end_to_end": 9000.0}]}
    entries = [{"accepted": True}, {"accepted": True}, {"accepted": False}]  # int8 failed its score check
    chosen, names = _fastest_at_each_batch_size([torch_bf16, onnx, int8], entries, rows, [1, 64])
    assert [row["fps_end_to_end"] for row in chosen] == [2500.0, 7000.0]
    assert names == {"1": "onnx-float32", "64": "torch-bfloat16"}
