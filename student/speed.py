"""Measuring a student's speed: forward-only and end-to-end (decoded uint8 frames to frame scores)."""
import time

import numpy as np
import torch

from student.inference import iter_frame_scores, prepare_for_inference


def measure_fps(model, batch_sizes=(1, 8, 64, 256), device="cpu", threads=None, bf16=None, channels_last=True,
                compile=False, warmup=3, repeats=20, source_size=(240, 360), input_size=None, dtype=None):
    """Time a student at each batch size; return one dict per size.

    Keys: ``batch_size``, ``fps_forward`` (network alone on a ready input batch), ``fps_end_to_end``
    (a stream of ``source_size`` uint8 frames through resizing, triplets, the network and frame
    scores, as :func:`student.inference.iter_frame_scores` runs it), ``latency_ms_p50`` and
    ``latency_ms_p95`` (end-to-end time of one batch). Rates come from the median of ``repeats``
    timed calls after ``warmup`` untimed ones, so a busy machine disturbs them less. The model is
    copied, never changed. ``bf16=None`` uses bfloat16 where the device has it natively;
    ``dtype`` (a torch dtype) overrides ``bf16``; ``compile`` wraps the copy in ``torch.compile``
    (CUDA graphs on CUDA); ``input_size`` overrides the model's own.

    Example:
        >>> from student.networks import build_student
        >>> rows = measure_fps(build_student("fast", 1), batch_sizes=(2,), warmup=1, repeats=2)
        >>> sorted(rows[0])
        ['batch_size', 'fps_end_to_end', 'fps_forward', 'latency_ms_p50', 'latency_ms_p95']
    """
    device = torch.device(device)
    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        model, dtype = prepare_for_inference(model, device, bf16, channels_last, dtype)
        if input_size is not None:
            model.config = {**model.config, "input_size": [int(v) for v in input_size]}
        if compile:
            mode = "reduce-overhead" if device.type == "cuda" else None
            runnable = torch.compile(model, dynamic=False, mode=mode)
        else:
            runnable = model
        runnable.config, runnable.input_channels_last = model.config, model.input_channels_last
        return [_measure_batch(runnable, b, device, dtype, channels_last, warmup, repeats, source_size)
                for b in batch_sizes]
    finally:
        torch.set_num_threads(previous_threads)


def speed_result(batch_size, forward_seconds, chunk_seconds):
    """One row of the speed report from timed forward calls and timed end-to-end chunks.

    FPS come from the medians; the latencies are percentiles of the end-to-end chunk times.

    Example:
        >>> speed_result(8, [0.01, 0.01], [0.02, 0.02])["fps_forward"]
        800.0
    """
    return {
        "batch_size": int(batch_size),
        "fps_forward": batch_size / float(np.median(forward_seconds)),
        "fps_end_to_end": batch_size / float(np.median(chunk_seconds)),
        "latency_ms_p50": 1000 * float(np.percentile(chunk_seconds, 50)),
        "latency_ms_p95": 1000 * float(np.percentile(chunk_seconds, 95)),
    }


def _synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _measure_batch(model, batch_size, device, dtype, channels_last, warmup, repeats, source_size):
    height, width = model.config["input_size"]
    x = torch.rand(batch_size, 3, height, width, device=device).to(dtype)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        forward = []
        for i in range(warmup + repeats):
            _synchronize(device)
            started = time.perf_counter()
            model(x)
            _synchronize(device)
            if i >= warmup:
                forward.append(time.perf_counter() - started)
    chunk_seconds = _time_stream(model, batch_size, warmup + repeats, source_size, device, dtype)[warmup:]
    return speed_result(batch_size, forward, chunk_seconds)


def _time_stream(model, batch_size, chunks, source_size, device, dtype):
    """Seconds each full chunk of ``batch_size`` frames took, streaming ``chunks * batch_size`` frames."""
    rng = np.random.default_rng(0)
    distinct = rng.integers(0, 256, size=(8, *source_size), dtype=np.uint8)
    stream = (distinct[i % len(distinct)] for i in range(chunks * batch_size))
    seconds, started = [], time.perf_counter()
    for _ in iter_frame_scores(model, stream, batch_size, device=device, dtype=dtype):
        now = time.perf_counter()
        seconds.append(now - started)
        started = now
    return seconds
