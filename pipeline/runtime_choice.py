"""How the student runs on this machine, chosen by measurement: torch or ONNX Runtime, float32, bfloat16 or int8.

The candidates (:func:`list_candidates`) are torch float32, torch bfloat16 only where the CPU
flags show it in hardware (``avx512_bf16`` or ``amx_bf16``; on CUDA where the GPU has it, and
float16 there too), ONNX Runtime float32, and ONNX Runtime int8 (static QDQ quantisation
calibrated on normal training frames). Each is timed briefly on a ready batch and checked
against torch float32: its frame scores on held-out training frames must keep their order
(Spearman rank correlation >= :data:`MIN_RANK_CORRELATION`), otherwise it is not chosen;
bfloat16 and int8 are never chosen unchecked. The fastest that passes wins. The choice, with every candidate's
measured FPS, is cached per machine and model in ``~/.cache/fastaed`` (``FASTAED_CACHE_DIR``
or ``XDG_CACHE_HOME`` move it), with the exported and quantised ONNX files, so that only the
first run on a machine pays for the probe.

Example:
    >>> from student import build_student
    >>> runner, dtype, record = choose_runtime(build_student("fast", 1), runtime="torch", dtype="float32")
    >>> record["name"], dtype
    ('torch-float32', torch.float32)
"""
import hashlib
import json
import os
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from pipeline.atomic_files import atomic_output
from pipeline.errors import FastaedError
from student.cpu_features import NATIVE_BF16_FLAGS, cpu_flags, cpu_has_native_bf16

RUNTIMES = ("auto", "torch", "onnx", "onnx-int8")
DTYPES = ("auto", "float32", "bfloat16", "float16")
TORCH_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
MIN_RANK_CORRELATION = 0.995
"""Frame scores of a candidate must keep float32's order this well on held-out training frames."""
PROBE_SECONDS = 0.2
"""Time each candidate is run for when probing (after one warm-up call)."""
CACHE_VARIABLE = "FASTAED_CACHE_DIR"
CHOICES_FILE = "runtime_choices.json"
NO_INT8_FRAMES = ("--runtime onnx-int8 needs normal training frames to calibrate on and none are at hand: give "
                  "benchmark-fps --shards SHARDS, or run evaluate once on a dataset with a training split (its "
                  "int8 model is then cached for score on this machine), or use --runtime onnx")


class Candidate(NamedTuple):
    """One way to run the student: ``runtime`` ("torch", "onnx" or "onnx-int8") and ``dtype``."""

    runtime: str
    dtype: str

    @property
    def name(self):
        """``torch-float32``, ``torch-bfloat16``, ``onnx-float32``, ``onnx-int8``."""
        return self.runtime if self.runtime == "onnx-int8" else f"{self.runtime}-{self.dtype}"


REFERENCE = Candidate("torch", "float32")


def list_candidates(runtime="auto", dtype="auto", device="cpu", flags=None, int8_ready=False):
    """The candidates that ``--runtime``/``--dtype`` allow on ``device``, and the ones left out with why.

    Returns ``(candidates, skipped)``; ``skipped`` is a list of ``{"name", "reason"}``. ``auto``
    offers bfloat16 only where it is native (``flags``: the CPU's, see
    :func:`student.cpu_features.cpu_flags`) and int8 only when ``int8_ready`` (training frames
    to calibrate on, or an int8 model already checked and cached). A forced runtime or dtype is
    offered as asked (bfloat16 then runs even where it is emulated); impossible pairs raise
    FastaedError.

    Example:
        >>> [c.name for c in list_candidates(flags={"avx2", "avx512f"})[0]]
        ['torch-float32', 'onnx-float32']
        >>> [c.name for c in list_candidates(flags={"amx_bf16"}, int8_ready=True)[0]]
        ['torch-float32', 'torch-bfloat16', 'onnx-float32', 'onnx-int8']
        >>> [c.name for c in list_candidates("torch", "bfloat16", flags=set())[0]]
        ['torch-bfloat16']
    """
    if runtime not in RUNTIMES:
        raise FastaedError(f"--runtime {runtime}: unknown runtime: use one of {', '.join(RUNTIMES)}")
    if dtype not in DTYPES:
        raise FastaedError(f"--dtype {dtype}: unknown dtype: use one of {', '.join(DTYPES)}")
    cuda = torch.device(device).type == "cuda"
    candidates, skipped = [], []
    if dtype == "float16" and not cuda:
        raise FastaedError("--dtype float16 runs on --device cuda only: on a CPU use --dtype float32 or bfloat16")
    if runtime in ("auto", "torch"):
        for name in ("float32", "bfloat16", "float16"):
            if dtype not in ("auto", name) or (name == "float16" and not cuda):
                continue
            if name == "bfloat16" and dtype == "auto" and not _native_bf16(cuda, flags):
                skipped.append({"name": "torch-bfloat16", "reason": _no_bf16_reason(cuda)})
                continue
            candidates.append(Candidate("torch", name))
    if runtime in ("auto", "onnx"):
        if dtype in ("auto", "float32"):
            if cuda and runtime == "auto" and not _onnx_gpu_provider():
                skipped.append({"name": "onnx-float32", "reason": "this onnxruntime has no CUDA or TensorRT provider "
                                                                  "(install onnxruntime-gpu)"})
            else:
                candidates.append(Candidate("onnx", "float32"))
        elif runtime == "onnx":
            raise FastaedError(f"--runtime onnx --dtype {dtype}: the exported model runs in float32 on ONNX Runtime: "
                               "use --dtype float32 (or auto), or --runtime torch")
    if runtime in ("auto", "onnx-int8"):
        if runtime == "onnx-int8" and dtype != "auto":
            raise FastaedError(f"--runtime onnx-int8 --dtype {dtype}: int8 is the dtype of that runtime: "
                               "leave --dtype out (or auto)")
        if dtype == "auto":
            if cuda:
                if runtime == "onnx-int8":
                    raise FastaedError("--runtime onnx-int8 runs on the CPU only: use --device cpu, or --runtime "
                                       "torch --dtype float16 on CUDA")
            elif not int8_ready:
                if runtime == "onnx-int8":
                    raise FastaedError(NO_INT8_FRAMES)
                skipped.append({"name": "onnx-int8", "reason": "no training frames to calibrate int8 on (give "
                                                               "--shards, or evaluate on a dataset first)"})
            else:
                candidates.append(Candidate("onnx-int8", "int8"))
    return candidates, skipped


def _onnx_gpu_provider():
    import onnxruntime

    from pipeline.onnx_runtime import PROVIDERS

    return any(provider in onnxruntime.get_available_providers() for provider in PROVIDERS["cuda"])


def _native_bf16(cuda, flags):
    return torch.cuda.is_bf16_supported() if cuda else cpu_has_native_bf16(flags)


def _no_bf16_reason(cuda):
    if cuda:
        return "this GPU has no native bfloat16"
    return (f"the CPU flags show no native bfloat16 (none of {', '.join(sorted(NATIVE_BF16_FLAGS))}): "
            "it would be emulated, slower than float32")


def cache_dir():
    """Where the runtime choices and the exported ONNX files are cached.

    Example:
        >>> str(cache_dir()).endswith("fastaed") or CACHE_VARIABLE in os.environ
        True
    """
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fastaed"


def model_fingerprint(model):
    """A short hash of a student's configuration and weights (the cache's key for that model).

    Example:
        >>> from student import build_student
        >>> torch.manual_seed(0) is not None and len(model_fingerprint(build_student("fast", 1)))
        20
    """
    digest = hashlib.sha256(json.dumps(model.config, sort_keys=True, default=str).encode())
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:20]


def machine_description(device="cpu", threads=None):
    """What the speed of a runtime depends on besides the model: CPU (and GPU), flags, threads, versions.

    Example:
        >>> sorted(machine_description())[:3]
        ['cpu', 'device', 'flags']
    """
    import onnxruntime

    from pipeline.speed_report import cpu_name

    device = torch.device(device)
    return {"cpu": cpu_name(), "flags": sorted(cpu_flags()), "device": device.type,
            "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
            "threads": torch.get_num_threads() if threads is None else int(threads),
            "torch": torch.__version__, "onnxruntime": onnxruntime.__version__}


def build_runner(model, candidate, device="cpu", threads=None, calibration=None, compile=False):
    """A student-like callable for ``candidate`` and the input dtype it takes: ``(runner, torch dtype)``.

    torch candidates are inference copies (:func:`student.prepare_for_inference`; on CUDA with
    ``compile`` they are wrapped in ``torch.compile(mode="reduce-overhead")``, i.e. CUDA graphs);
    ONNX candidates are :class:`~pipeline.onnx_runtime.OnnxStudent` sessions over the model
    exported (and for int8 quantised with ``calibration``, runs of training frames) into the
    cache folder, reused when already there.

    Example:
        >>> from student import build_student
        >>> runner, dtype = build_runner(build_student("fast", 1), Candidate("onnx", "float32"), threads=1)
        >>> runner.input_channels_last, dtype
        (False, torch.float32)
    """
    from pipeline.onnx_runtime import OnnxStudent
    from student import prepare_for_inference

    if candidate.runtime == "torch":
        runner, dtype = prepare_for_inference(model, device, dtype=TORCH_DTYPES[candidate.dtype])
        if compile and torch.device(device).type == "cuda":
            compiled = torch.compile(runner, mode="reduce-overhead", dynamic=False)
            compiled.config, compiled.input_channels_last = runner.config, runner.input_channels_last
            runner = compiled
        return runner, dtype
    path = _onnx_file(model, "float32")
    if candidate.runtime == "onnx-int8":
        path = _int8_file(model, path, calibration)
    return OnnxStudent(path, model.config, threads, device), torch.float32


def _onnx_file(model, kind):
    from student import export_onnx

    path = cache_dir() / f"{model_fingerprint(model)}-{kind}.onnx"
    if not path.is_file():
        export_onnx(model, path)
    return path


def _int8_file(model, float_path, calibration):
    from pipeline.onnx_runtime import quantize_int8

    path = _int8_path(model)
    if not path.is_file():
        if not calibration:
            raise FastaedError(NO_INT8_FRAMES)
        quantize_int8(float_path, path, calibration_batches(calibration, model.config["input_size"]))
    return path


def calibration_batches(runs, input_size, batch_size=16):
    """Float32 NCHW triplet batches from the first half of each run of training frames (what int8 calibrates on).

    Example:
        >>> runs = [np.zeros((20, 80, 120), np.uint8)]
        >>> [b.shape for b in calibration_batches(runs, (80, 120))]
        [(10, 3, 80, 120)]
    """
    from student import triplet_indices, triplets_to_input

    batches = []
    for run in runs:
        half = run[: len(run) // 2]
        if half.shape[1:] != tuple(input_size):
            raise ValueError(f"calibration frames are {half.shape[1:]}, the student takes {tuple(input_size)}")
        for start in range(0, len(half), batch_size):
            rows = triplet_indices(np.arange(start, min(start + batch_size, len(half))), len(half))
            batches.append(triplets_to_input(half, rows, torch.float32, channels_last=False).numpy())
    return batches


def check_scores(runner, dtype, runs, batch_size=32):
    """Frame scores of ``runner`` on the second half of each run of training frames (never calibrated on).

    Example:
        >>> from student import build_student, prepare_for_inference
        >>> runner, dtype = prepare_for_inference(build_student("fast", 1), bf16=False)
        >>> check_scores(runner, dtype, [np.zeros((20, 80, 120), np.uint8)]).shape
        (10,)
    """
    from student import frame_scores

    return np.concatenate([frame_scores(runner, run[len(run) // 2:], batch_size, dtype=dtype) for run in runs])


def rank_agreement(scores, reference):
    """Spearman rank correlation of ``scores`` with ``reference`` (1.0 where both agree to float precision).

    Example:
        >>> rank_agreement(np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.5, 0.4]))
        0.5
    """
    from scipy.stats import spearmanr

    scores, reference = np.asarray(scores, np.float64), np.asarray(reference, np.float64)
    if np.allclose(scores, reference, rtol=1e-4, atol=1e-6):
        return 1.0
    value = spearmanr(scores, reference).statistic
    return float(value) if np.isfinite(value) else 0.0


def probe_fps(runner, dtype, batch_size, device="cpu", seconds=PROBE_SECONDS):
    """Forward frames per second of ``runner`` on one ready batch, from the median of the calls in ``seconds``.

    Example:
        >>> from student import build_student, prepare_for_inference
        >>> runner, dtype = prepare_for_inference(build_student("fast", 1), bf16=False)
        >>> probe_fps(runner, dtype, 2, seconds=0.05) > 0
        True
    """
    from student import triplet_indices, triplets_to_input

    height, width = runner.config["input_size"]
    frames = np.random.default_rng(0).integers(0, 256, (batch_size + 6, height, width), dtype=np.uint8)
    rows = triplet_indices(np.arange(3, batch_size + 3), batch_size + 6)
    x = triplets_to_input(frames, rows, dtype, runner.input_channels_last, device)
    times = []
    with torch.inference_mode():
        runner(x)
        started = time.perf_counter()
        while len(times) < 3 or (time.perf_counter() - started < seconds and len(times) < 50):
            begun = time.perf_counter()
            runner(x)
            if torch.device(device).type == "cuda":
                torch.cuda.synchronize(device)
            times.append(time.perf_counter() - begun)
    return batch_size / float(np.median(times))


def choose_runtime(model, runtime="auto", dtype="auto", device="cpu", threads=None, batch_size=64, calibration=None,
                   use_cache=True, compile=False):
    """The fastest correct way to run ``model`` here: ``(runner, input dtype, record)``.

    ``record`` says what was chosen and why: ``runtime``, ``dtype``, ``name``, ``reason``,
    ``cached`` and ``candidates`` (each with its probed ``fps`` at ``batch_size``, its
    ``rank_correlation`` with torch float32 on held-out training frames where there were any,
    and ``accepted``), plus ``skipped`` (candidates left out, with why). ``calibration`` is a
    list of (T, h, w) uint8 runs of training frames at the model's input size (see
    :mod:`pipeline.calibration_frames`); without it int8 is a candidate only when an int8 model
    of this student was checked and cached on this machine before.

    Example:
        >>> runner, dtype, record = choose_runtime(model, batch_size=64)      # doctest: +SKIP
        >>> record["name"], record["reason"]                                  # doctest: +SKIP
        ('onnx-float32', 'fastest of 3 candidates: onnx-float32 2541 FPS, ...')
    """
    int8_record = _read_json(_int8_check_path(model)) if _int8_path(model).is_file() else None
    candidates, skipped = list_candidates(runtime, dtype, device, None, bool(calibration) or int8_record is not None)
    if len(candidates) > 1 and not calibration:  # unchecked bfloat16 could not be taken: do not probe it
        skipped += [{"name": c.name, "reason": "no training frames to check its scores on"}
                    for c in candidates if c.dtype == "bfloat16" or c.dtype == "float16"]
        candidates = [c for c in candidates if c.dtype not in ("bfloat16", "float16")]
    key = _choice_key(model, runtime, dtype, device, threads, batch_size, calibration is not None, compile)
    if len(candidates) == 1:
        runner, input_dtype = build_runner(model, candidates[0], device, threads, calibration, compile)
        entry = _candidate_entry(candidates[0], None, _int8_correlation(model, candidates[0], runner, input_dtype,
                                                                         calibration, device))
        entry["accepted"] = True
        reason = "the only candidate allowed by --runtime/--dtype" if (runtime, dtype) != ("auto", "auto") \
            else "the only candidate on this machine"
        return runner, input_dtype, _record(candidates[0], reason, [entry], skipped, batch_size, cached=False)
    cached = _read_json(cache_dir() / CHOICES_FILE) or {} if use_cache else {}
    if key in cached:
        record = cached[key]
        chosen = Candidate(record["runtime"], record["dtype"])
        try:
            runner, input_dtype = build_runner(model, chosen, device, threads, calibration, compile)
            return runner, input_dtype, {**record, "cached": True}
        except FastaedError:
            pass  # the cached int8 model is gone: probe again
    entries, runners = [], {}
    reference_scores = None
    for candidate in candidates:
        runner, input_dtype = build_runner(model, candidate, device, threads, calibration, compile)
        runners[candidate] = (runner, input_dtype)
        if candidate == REFERENCE and calibration:
            reference_scores = check_scores(runner, input_dtype, calibration)
    if calibration and reference_scores is None:
        reference, reference_dtype = build_runner(model, REFERENCE, device, threads)
        reference_scores = check_scores(reference, reference_dtype, calibration)
    for candidate, (runner, input_dtype) in runners.items():
        correlation = None
        if candidate == REFERENCE:
            correlation = 1.0 if calibration else None
        elif calibration:
            correlation = rank_agreement(check_scores(runner, input_dtype, calibration), reference_scores)
            if candidate.runtime == "onnx-int8":
                _write_json(_int8_check_path(model), {"rank_correlation": correlation})
        elif candidate.runtime == "onnx-int8":
            correlation = int8_record["rank_correlation"]
        entries.append(_candidate_entry(candidate, probe_fps(runner, input_dtype, batch_size, device), correlation))
    chosen, reason = pick_fastest(entries)
    record = _record(chosen, reason, entries, skipped, batch_size, cached=False)
    if use_cache:
        cached[key] = record
        _write_json(cache_dir() / CHOICES_FILE, cached)
    runner, input_dtype = runners[chosen]
    return runner, input_dtype, record


def pick_fastest(entries, fps_key="fps"):
    """The fastest accepted candidate among ``entries`` and a sentence saying why: ``(Candidate, reason)``.

    A candidate is accepted when its frame scores keep float32's order (rank correlation >=
    :data:`MIN_RANK_CORRELATION`); with nothing to check on, only float32 candidates are (bfloat16
    and int8 are never taken unchecked). Marks each entry's ``accepted``.

    Example:
        >>> entries = [{"name": "torch-float32", "runtime": "torch", "dtype": "float32", "fps": 900.0,
        ...             "rank_correlation": 1.0},
        ...            {"name": "onnx-int8", "runtime": "onnx-int8", "dtype": "int8", "fps": 2000.0,
        ...             "rank_correlation": 0.97}]
        >>> pick_fastest(entries)[0].name
        'torch-float32'
    """
    for entry in entries:
        correlation = entry["rank_correlation"]
        entry["accepted"] = (correlation >= MIN_RANK_CORRELATION if correlation is not None
                             else entry["dtype"] == "float32")
    accepted = [entry for entry in entries if entry["accepted"]]
    if not accepted:
        raise FastaedError("no runtime kept the float32 scores: use --runtime torch --dtype float32")
    best = max(accepted, key=lambda entry: entry[fps_key])
    measured = ", ".join(f"{entry['name']} {entry[fps_key]:.0f} FPS{_rejection(entry)}" for entry in entries)
    return Candidate(best["runtime"], best["dtype"]), f"fastest of {len(entries)} candidates: {measured}"


def _rejection(entry):
    if entry["accepted"]:
        return ""
    if entry["rank_correlation"] is None:
        return " (not taken: no training frames to check its scores on)"
    return f" (rejected: rank correlation {entry['rank_correlation']:.4f} < {MIN_RANK_CORRELATION})"


def _int8_correlation(model, candidate, runner, input_dtype, calibration, device):
    """Rank correlation of a forced int8 runner with float32 (None when it is not int8 or nothing to check on)."""
    if candidate.runtime != "onnx-int8":
        return None
    if calibration:
        reference, reference_dtype = build_runner(model, REFERENCE, device)
        correlation = rank_agreement(check_scores(runner, input_dtype, calibration),
                                     check_scores(reference, reference_dtype, calibration))
        _write_json(_int8_check_path(model), {"rank_correlation": correlation})
        return correlation
    return (_read_json(_int8_check_path(model)) or {}).get("rank_correlation")


def _candidate_entry(candidate, fps, correlation):
    return {"name": candidate.name, "runtime": candidate.runtime, "dtype": candidate.dtype, "fps": fps,
            "rank_correlation": correlation}


def _record(chosen, reason, entries, skipped, batch_size, cached):
    return {"runtime": chosen.runtime, "dtype": chosen.dtype, "name": chosen.name, "reason": reason,
            "probe_batch_size": int(batch_size), "candidates": entries, "skipped": skipped, "cached": cached}


def _choice_key(model, runtime, dtype, device, threads, batch_size, calibrated, compile):
    what = {"model": model_fingerprint(model), "machine": machine_description(device, threads), "runtime": runtime,
            "dtype": dtype, "batch_size": int(batch_size), "calibrated": calibrated, "compile": bool(compile)}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:24]


def _int8_path(model):
    return cache_dir() / f"{model_fingerprint(model)}-int8.onnx"


def _int8_check_path(model):
    return cache_dir() / f"{model_fingerprint(model)}-int8.json"


def _read_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def _write_json(path, value):
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(path) as temporary:
            temporary.write_text(json.dumps(value, indent=1) + "\n")
    except OSError:
        pass  # a read-only cache only costs the next run a probe
