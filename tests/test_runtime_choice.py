"""The runtime chosen by measurement: never emulated bf16, forcing works, int8 keeps the scores, the choice is cached."""
import json
import threading

import numpy as np
import onnx
import pytest
import torch
from click.testing import CliRunner

from pipeline.calibration_frames import frames_from_shards
from pipeline.cli import main
from pipeline.errors import FastaedError
from pipeline.evaluation.inference import prefetched
from pipeline.runtime_choice import (
    Candidate, build_runner, cache_dir, choose_runtime, list_candidates, rank_agreement)
from pipeline.shards import open_shards
from student import build_student, frame_scores, load_student, native_bf16, prepare_for_inference, save_checkpoint
from student.cpu_features import CPU_FLAGS_VARIABLE, cpu_flags

NO_BF16 = "fpu sse2 avx avx2 fma avx512f avx512bw avx512vl avx512_vnni"  # AVX-512 with VNNI: bf16 emulated
NATIVE_BF16 = NO_BF16 + " avx512_bf16 amx_bf16 amx_tile amx_int8"
QUICK = ["--batch-sizes", "1,2", "--warmup", "1", "--repeats", "2", "--frame-size", "48x72"]


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "run" / "student.pt"
    save_checkpoint(path, build_student("fast", ["motion", "appearance"], (48, 72)))
    return path


def benchmark(checkpoint, out, *args):
    result = CliRunner().invoke(main, ["benchmark-fps", "--checkpoint", str(checkpoint), *QUICK, "--threads", "1",
                                       *map(str, args), "--out", str(out)])
    return result, (json.loads(out.read_text()) if result.exit_code == 0 else None)


def test_the_flags_decide_bf16_and_can_be_faked(monkeypatch):
    monkeypatch.setenv(CPU_FLAGS_VARIABLE, NO_BF16)
    assert "avx512_vnni" in cpu_flags() and not native_bf16("cpu")
    assert prepare_for_inference(build_student("fast", 1))[1] == torch.float32
    names, skipped = list_candidates(int8_ready=True)
    assert [c.name for c in names] == ["torch-float32", "onnx-float32", "onnx-int8"]
    assert skipped[0]["name"] == "torch-bfloat16" and "avx512_bf16" in skipped[0]["reason"]
    monkeypatch.setenv(CPU_FLAGS_VARIABLE, NATIVE_BF16)
    assert native_bf16("cpu") and prepare_for_inference(build_student("fast", 1))[1] == torch.bfloat16
    assert "torch-bfloat16" in [c.name for c in list_candidates()[0]]


def test_auto_never_picks_bf16_on_a_cpu_without_native_bf16(tmp_path, checkpoint, monkeypatch):
    monkeypatch.setenv(CPU_FLAGS_VARIABLE, NO_BF16)
    result, report = benchmark(checkpoint, tmp_path / "fps.json")
    assert result.exit_code == 0, result.output
    assert report["dtype"] == "float32" and report["runtime"] in ("torch", "onnx")
    tried = {c["name"]: c for c in report["candidates"]}
    assert set(tried) == {"torch-float32", "onnx-float32"}
    assert all(c["fps"] > 0 and [r["batch_size"] for r in c["results"]] == [1, 2] for c in tried.values())
    best = max(tried.values(), key=lambda c: c["fps"])
    assert (best["runtime"], best["dtype"]) == (report["runtime"], report["dtype"])
    assert [s["name"] for s in report["skipped_candidates"]] == ["torch-bfloat16", "onnx-int8"]
    assert "torch-bfloat16" in result.output and "not tried" in result.output


def test_with_native_flags_bf16_is_measured_but_never_taken_unchecked(tmp_path, checkpoint, monkeypatch):
    monkeypatch.setenv(CPU_FLAGS_VARIABLE, NATIVE_BF16)
    result, report = benchmark(checkpoint, tmp_path / "fps.json")
    assert result.exit_code == 0, result.output
    tried = {c["name"]: c for c in report["candidates"]}
    assert tried["torch-bfloat16"]["fps"] > 0 and tried["torch-bfloat16"]["accepted"] is False
    assert report["dtype"] == "float32"  # no training frames (--shards) to check bf16's scores on


@pytest.mark.parametrize("args, runtime, dtype", [
    (["--runtime", "torch", "--dtype", "bfloat16"], "torch", "bfloat16"),
    (["--bf16"], "torch", "bfloat16"),
    (["--runtime", "torch"], "torch", "float32"),
    (["--runtime", "onnx"], "onnx", "float32"),
])
def test_a_forced_runtime_or_dtype_is_used_even_where_auto_would_not(tmp_path, checkpoint, monkeypatch, args,
                                                                      runtime, dtype):
    monkeypatch.setenv(CPU_FLAGS_VARIABLE, NO_BF16)
    result, report = benchmark(checkpoint, tmp_path / "fps.json", *args)
    assert result.exit_code == 0, result.output
    assert (report["runtime"], report["dtype"]) == (runtime, dtype)
    assert [c["name"] for c in report["candidates"]] == [Candidate(runtime, dtype).name]
    assert "--runtime/--dtype" in report["runtime_reason"]


@pytest.mark.parametrize("args, expected", [
    (["--runtime", "onnx", "--dtype", "bfloat16"], "--runtime onnx --dtype bfloat16"),
    (["--runtime", "onnx-int8"], "--runtime onnx-int8 needs normal training frames"),
    (["--dtype", "float16"], "--dtype float16 runs on --device cuda only"),
])
def test_impossible_runtime_and_dtype_pairs_are_one_line(tmp_path, checkpoint, args, expected):
    result, _ = benchmark(checkpoint, tmp_path / "fps.json", *args)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and expected in result.stderr, result.stderr
    assert not (tmp_path / "fps.json").exists()


@pytest.fixture(scope="module")
def trained(tiny_shards, tmp_path_factory):
    """A student trained 2 epochs on the tiny shards (80x120, about 20-40 s here)."""
    run = tmp_path_factory.mktemp("trained") / "run"
    result = CliRunner().invoke(main, ["train-student", "--shards", str(tiny_shards), "--out", str(run), "--epochs",
                                       "2", "--batch-size", "16", "--workers", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    return run / "student.pt"


def test_int8_is_quantised_and_its_test_scores_follow_float32(tiny_shards, trained):
    model = load_student(trained)
    calibration = frames_from_shards(tiny_shards, model.config["input_size"])
    assert calibration and all(run.dtype == np.uint8 and run.shape[1:] == (80, 120) for run in calibration)
    runner, dtype = build_runner(model, Candidate("onnx-int8", "int8"), threads=1, calibration=calibration)
    ops = {node.op_type for node in onnx.load(next(cache_dir().glob("*-int8.onnx"))).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    reference, reference_dtype = prepare_for_inference(model, bf16=False)
    test_frames = [shard.read_frames() for shard in open_shards(tiny_shards, "test")]
    int8 = np.concatenate([frame_scores(runner, frames, 16, dtype=dtype) for frames in test_frames])
    exact = np.concatenate([frame_scores(reference, frames, 16, dtype=reference_dtype) for frames in test_frames])
    assert not np.allclose(int8, exact, rtol=1e-6)  # it really runs in int8
    # this 2-epoch student's test scores span about 0.01 teacher units, so int8 rounding reorders
    # near-ties, more on some CPUs (VNNI) than others; trained students face choose_runtime's 0.995 gate
    assert rank_agreement(int8, exact) >= 0.9
    assert np.abs(int8 - exact).max() <= 0.05  # teacher units: 1 is the 95th percentile of normal objects


def test_auto_with_training_frames_checks_every_candidate_and_caches_the_choice(tiny_shards, trained):
    model = load_student(trained)
    calibration = frames_from_shards(tiny_shards, model.config["input_size"])
    _, _, first = choose_runtime(model, batch_size=8, calibration=calibration, threads=1)
    assert first["cached"] is False
    tried = {c["name"]: c for c in first["candidates"]}
    assert {"torch-float32", "onnx-float32", "onnx-int8"} <= set(tried)
    assert tried["onnx-float32"]["rank_correlation"] > 0.999 and tried["onnx-float32"]["accepted"]
    chosen = tried[first["name"]]
    assert chosen["accepted"] and chosen["fps"] == max(c["fps"] for c in tried.values() if c["accepted"])
    assert "fastest of" in first["reason"]
    runner, _, again = choose_runtime(model, batch_size=8, calibration=calibration, threads=1)
    assert again["cached"] is True and again["name"] == first["name"]
    assert "runtime_choices.json" in {p.name for p in cache_dir().iterdir()}


def test_score_and_evaluate_take_a_forced_runtime(tiny_scene, trained, tmp_path):
    video = tiny_scene / "testing" / "frames" / "01"
    outputs = {}
    for runtime in ("torch", "onnx"):
        result = CliRunner().invoke(main, ["score", str(video), "--checkpoint", str(trained), "--runtime", runtime,
                                           "--out", str(tmp_path / f"{runtime}.csv"), "--quiet"])
        assert result.exit_code == 0, result.output
        outputs[runtime] = np.loadtxt(tmp_path / f"{runtime}.csv", delimiter=",", skiprows=1)[:, 1]
    np.testing.assert_allclose(outputs["onnx"], outputs["torch"], rtol=1e-4, atol=1e-5)
    result = CliRunner().invoke(main, ["evaluate", "--checkpoint", str(trained), "--dataset", str(tiny_scene),
                                       "--out", str(tmp_path / "report"), "--runtime", "onnx-int8", "--dtype", "auto",
                                       "--quiet"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text())
    assert (metrics["runtime"], metrics["dtype"]) == ("onnx-int8", "int8")
    assert metrics["runtime_choice"]["candidates"][0]["rank_correlation"] is not None


def test_prefetching_keeps_order_raises_where_reading_failed_and_stops_with_the_consumer():
    assert list(prefetched(iter(range(50)), depth=4)) == list(range(50))

    def broken():
        yield 1
        raise FastaedError("frame 1 is damaged")

    reader = prefetched(broken(), depth=2)
    assert next(reader) == 1
    with pytest.raises(FastaedError, match="damaged"):
        next(reader)
    endless = prefetched(iter(int, 1), depth=3)  # iter(int, 1) never ends
    assert next(endless) == 0
    endless.close()
    assert not [t for t in threading.enumerate() if t.name == "fastaed-decode"]
