"""Timing a student on every runtime this machine offers, batch size by batch size, and keeping the fastest correct.

Each candidate of :func:`pipeline.runtime_choice.list_candidates` (torch float32, torch bfloat16
where native, ONNX Runtime float32, ONNX Runtime int8 with training frames to calibrate on) is
measured with the same protocol; where there are training frames, each one's frame scores are
checked against torch float32's first (int8 is never chosen unchecked). Each batch size's row is
that of the fastest accepted candidate at that batch size (``runtime_by_batch_size`` names it);
``runtime`` is the candidate with the best end-to-end rate overall. Never a teacher.

Example:
    >>> from student import build_student
    >>> rows, settings = measure_student(build_student("fast", 1), "torch", dtype="float32", batch_sizes=[2],
    ...                                  warmup=1, repeats=2, progress=False)
    >>> settings["runtime"], settings["dtype"], [row["batch_size"] for row in rows]
    ('torch', 'float32', [2])
"""
import torch
from tqdm import tqdm

from pipeline.errors import FastaedError
from pipeline.runtime_choice import (
    REFERENCE, RUNTIMES, build_runner, check_scores, list_candidates, pick_fastest, rank_agreement)
from student import measure_fps


def check_device(device):
    """``device`` as a torch.device, or FastaedError when torch cannot use it here.

    Example:
        >>> check_device("cpu")
        device(type='cpu')
    """
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise FastaedError(f"--device {device}: torch {torch.__version__} sees no CUDA device on this machine: "
                           f"use --device cpu, or run on a machine with an NVIDIA GPU and a CUDA build of torch")
    return device


def measure_student(model, runtime="auto", device="cpu", batch_sizes=(1, 8, 64), threads=None, bf16=None,
                    channels_last=True, warmup=3, repeats=20, source_size=(240, 360), progress=True, dtype="auto",
                    calibration=None, compile=False):
    """Time ``model`` on each candidate runtime at each batch size; return the chosen rows and the settings.

    Returns ``(rows, settings)``: the rows of :func:`student.measure_fps`, each from the fastest
    accepted candidate at its batch size, and ``{"runtime", "dtype", "runtime_reason",
    "runtime_by_batch_size", "candidates", "skipped_candidates", "device",
    "threads", "channels_last", "warmup", "repeats", "source_size", "onnxruntime"}``; each of
    ``candidates`` has ``name``, ``runtime``, ``dtype``, ``fps`` (its best end-to-end FPS),
    ``rank_correlation`` (with torch float32 on held-out ``calibration`` frames, None without
    them), ``accepted`` and its ``results``. ``runtime``/``dtype`` narrow the candidates
    ("auto": all); ``bf16`` True/False is the older way to say ``dtype`` bfloat16/float32.

    Example:
        >>> from student import build_student
        >>> rows, settings = measure_student(build_student("fast", 1), "onnx", batch_sizes=[1], warmup=1,
        ...                                  repeats=2, progress=False)
        >>> settings["dtype"], [c["name"] for c in settings["candidates"]]
        ('float32', ['onnx-float32'])
    """
    import onnxruntime

    if runtime not in RUNTIMES:
        raise FastaedError(f"--runtime {runtime}: unknown runtime: use one of {', '.join(RUNTIMES)}")
    if bf16 is not None:
        if runtime in ("onnx", "onnx-int8"):
            raise FastaedError(f"--bf16/--no-bf16 with --runtime {runtime}: that runtime has its own dtype: "
                               "leave --bf16 out, or use --runtime torch")
        runtime, dtype = "torch", "bfloat16" if bf16 else "float32"
    device = check_device(device)
    threads = torch.get_num_threads() if threads is None else int(threads)
    candidates, skipped = list_candidates(runtime, dtype, device, None, bool(calibration))
    reference_scores = None
    if calibration and len(candidates) > 1:
        reference, reference_dtype = build_runner(model, REFERENCE, device, threads)
        reference_scores = check_scores(reference, reference_dtype, calibration)

    entries, all_rows = [], {}
    with tqdm(total=len(candidates) * len(batch_sizes), desc="benchmark", unit="run", disable=not progress) as bar:
        for candidate in candidates:
            bar.set_description(f"benchmark {candidate.name}")
            runner, input_dtype = None, None
            if candidate.runtime != "torch" or reference_scores is not None:
                runner, input_dtype = build_runner(model, candidate, device, threads, calibration, compile)
            rows = []
            for batch_size in batch_sizes:
                rows.append(_measure(model, candidate, runner, batch_size, device, threads, channels_last, warmup,
                                     repeats, source_size, compile))
                bar.update(1)
            correlation = None
            if reference_scores is not None:
                correlation = 1.0 if candidate == REFERENCE else rank_agreement(
                    check_scores(runner, input_dtype, calibration), reference_scores)
            all_rows[candidate] = rows
            entries.append({"name": candidate.name, "runtime": candidate.runtime, "dtype": candidate.dtype,
                            "fps": max(row["fps_end_to_end"] for row in rows), "rank_correlation": correlation,
                            "results": [{key: row[key] for key in ("batch_size", "fps_forward", "fps_end_to_end")}
                                        for row in rows]})
    if len(entries) == 1:
        entries[0]["accepted"] = True
        chosen = candidates[0]
        reason = ("the only candidate allowed by --runtime/--dtype" if (runtime, dtype) != ("auto", "auto")
                  else "the only candidate on this machine")
    else:
        chosen, reason = pick_fastest(entries)
    rows, by_batch_size = _fastest_at_each_batch_size(candidates, entries, all_rows, batch_sizes)
    settings = {"runtime": chosen.runtime, "dtype": chosen.dtype, "runtime_reason": reason,
                "runtime_by_batch_size": by_batch_size, "candidates": entries,
                "skipped_candidates": skipped, "device": str(device), "threads": threads,
                "channels_last": bool(channels_last) if chosen.runtime == "torch" else None,
                "warmup": int(warmup), "repeats": int(repeats), "source_size": [int(v) for v in source_size],
                "onnxruntime": onnxruntime.__version__}
    return rows, settings


def _fastest_at_each_batch_size(candidates, entries, all_rows, batch_sizes):
    """Each batch size's row from the fastest accepted candidate there (``score --batch-size B`` and
    ``evaluate`` choose at their own batch size too), and ``{batch size: candidate name}``."""
    accepted = [candidate for candidate, entry in zip(candidates, entries) if entry["accepted"]]
    rows, names = [], {}
    for index, batch_size in enumerate(batch_sizes):
        best = max(accepted, key=lambda candidate: all_rows[candidate][index]["fps_end_to_end"])
        rows.append(all_rows[best][index])
        names[str(batch_size)] = best.name
    return rows, names


def _measure(model, candidate, runner, batch_size, device, threads, channels_last, warmup, repeats, source_size,
             compile):
    from pipeline.onnx_runtime import measure_onnx_fps
    from pipeline.runtime_choice import TORCH_DTYPES

    if candidate.runtime == "torch":
        return measure_fps(model, [batch_size], device, threads, channels_last=channels_last, compile=compile,
                           warmup=warmup, repeats=repeats, source_size=source_size,
                           dtype=TORCH_DTYPES[candidate.dtype])[0]
    return measure_onnx_fps(runner, [batch_size], warmup, repeats, source_size)[0]
