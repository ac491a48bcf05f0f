"""Running an exported student with ONNX Runtime the way the torch path runs it (``--runtime onnx``).

:class:`OnnxStudent` is called like a student network (a float (B, 3, H, W) tensor in, ``{scale:
maps}`` out) and carries the checkpoint's ``config``, so the student's own streaming inference
(:func:`student.iter_frame_scores`: resizing, triplets, scaling, frame scores) runs on it
unchanged. :func:`measure_onnx_fps` times it with the protocol of :func:`student.measure_fps`.
"""
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime
import torch
from torch import nn

from pipeline.errors import FastaedError
from student import export_onnx, iter_frame_scores
from student.export import ONNX_INPUT
from student.scales import SCALES
from student.speed import speed_result

PROVIDERS = {"cpu": ("CPUExecutionProvider",), "cuda": ("TensorrtExecutionProvider", "CUDAExecutionProvider")}
"""Execution providers per device, best first; on CUDA the first one installed is used (CPU beside it as fallback)."""
QUIET_FROM_BATCH = 64
"""Batch size from which the session's threads sleep between calls instead of spinning. Spinning
answers the next small batch sooner; with large batches it only takes cores from the resizing of
the next frames. On 2 cores of an AMD EPYC with AVX2, end to end at batch 64, spinning threads
with OpenCV on the scoring thread against sleeping threads with OpenCV on both cores: 1,646
against 1,701 frames/s for ``fast``, 2,463 against 2,898 for ``separable``; at batch 32
``separable`` ran 2,458 against 1,660, the other way round."""


class OnnxStudent(nn.Module):
    """An ONNX Runtime session over an exported student, called like the torch student (in eval mode).

    It is a torch module so that code written for students (``model.training``,
    ``next(model.parameters())`` for the input device and dtype, ``model(x)``) runs on it as it is.
    ``threads`` sets ONNX Runtime's intra-op threads (None: its own default, one per core);
    ``device`` picks the execution provider ("cpu" or "cuda"). Inputs and outputs stay on the CPU.
    Batches of :data:`QUIET_FROM_BATCH` frames or more run on a second session of the same file
    whose threads sleep between calls (see :meth:`threads_spin`).

    Example:
        >>> from student import build_student
        >>> model = build_student("fast", 1)
        >>> runner = OnnxStudent(export_onnx(model, Path(tempfile.mkdtemp()) / "s.onnx"), model.config, threads=1)
        >>> runner(torch.zeros(2, 3, 80, 120))[16].shape
        torch.Size([2, 1, 16, 16])
    """

    def __init__(self, path, config, threads=None, device="cpu"):
        super().__init__()
        wanted = PROVIDERS[torch.device(device).type]
        installed = [provider for provider in wanted if provider in onnxruntime.get_available_providers()]
        if not installed:
            raise FastaedError(f"--runtime onnx --device {device}: this onnxruntime {onnxruntime.__version__} has none "
                               f"of {', '.join(wanted)} (it has {', '.join(onnxruntime.get_available_providers())}): "
                               f"install onnxruntime-gpu for CUDA, or use --runtime torch")
        self.path = str(path)
        self.providers = installed[:1] + (["CPUExecutionProvider"] if installed[0] != "CPUExecutionProvider" else [])
        self.threads = threads
        self.sessions = {}
        self._session(spinning=True)  # opened now, so that a bad file fails here
        self.config = dict(config)
        self.input_channels_last = False  # ONNX Runtime takes contiguous NCHW: build it so, no copy on the way
        # Holds no weights: its device and dtype are those of the inputs the session takes.
        self.input_marker = nn.Parameter(torch.empty(0), requires_grad=False)
        self.eval()

    def threads_spin(self, batch_size):
        """Whether the session's threads spin between calls at ``batch_size`` (they sleep from
        :data:`QUIET_FROM_BATCH` on, and the frames' resizing may then use every core)."""
        return batch_size < QUIET_FROM_BATCH

    def _session(self, spinning):
        if spinning not in self.sessions:
            options = onnxruntime.SessionOptions()
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
            options.inter_op_num_threads = 1  # the graph is a chain: parallel branches would only compete for cores
            options.intra_op_num_threads = 0 if self.threads is None else int(self.threads)
            options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
            self.sessions[spinning] = onnxruntime.InferenceSession(self.path, options, providers=self.providers)
        return self.sessions[spinning]

    def run(self, frames):
        """The raw outputs (1x1, 4x4, 16x16 maps) for a float32 (B, 3, H, W) numpy batch."""
        return self._session(self.threads_spin(len(frames))).run(None, {ONNX_INPUT: frames})

    def forward(self, frames):
        """``{1, 4, 16: (B, K, s, s)}`` maps for a float (B, 3, H, W) tensor in [0, 1], as the student returns them."""
        batch = frames.detach().to("cpu", torch.float32).contiguous().numpy()
        return {scale: torch.from_numpy(maps) for scale, maps in zip(SCALES, self.run(batch))}


def quantize_int8(float_path, out_path, batches):
    """Quantise an exported float32 student to int8 (static, QDQ, per-channel weights), calibrated on ``batches``.

    ``batches`` are float32 (B, 3, H, W) inputs of normal training frames; activations get
    uint8 ranges from their min-max there, weights int8 per output channel (what the x86
    integer dot-product kernels, VNNI where present, run); the first convolution, on the raw
    pixels, stays float32. The file is written atomically.

    Example:
        >>> quantize_int8("student.onnx", "student-int8.onnx", batches)        # doctest: +SKIP
    """
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from pipeline.atomic_files import atomic_output

    class Batches(CalibrationDataReader):
        def __init__(self):
            self.remaining = iter(batches)

        def get_next(self):
            batch = next(self.remaining, None)
            return None if batch is None else {ONNX_INPUT: batch}

    if not batches:
        raise FastaedError("int8 quantisation needs calibration frames: none were given")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fastaed-int8-") as folder, atomic_output(out_path) as temporary:
        prepared = Path(folder) / "prepared.onnx"
        quant_pre_process(str(float_path), str(prepared))
        convolutions = [node.name for node in onnx.load(str(prepared)).graph.node if node.op_type == "Conv"]
        # The first convolution stays float32: in int8 it cost the frame scores' order on training frames
        # (rank correlation with float32 0.93; 0.997 with it kept float), for little speed.
        quantize_static(str(prepared), str(temporary), Batches(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                        nodes_to_exclude=convolutions[:1])
    return out_path


def onnx_student(model, threads=None, device="cpu"):
    """Export ``model`` to a temporary ONNX file and open it as an :class:`OnnxStudent` (the file is then removed).

    Example:
        >>> from student import build_student
        >>> onnx_student(build_student("fast", 1)).config["size"]
        'fast'
    """
    with tempfile.TemporaryDirectory(prefix="fastaed-onnx-") as folder:
        return OnnxStudent(export_onnx(model, Path(folder) / "student.onnx"), model.config, threads, device)


def measure_onnx_fps(runner, batch_sizes=(1, 8, 64, 256), warmup=3, repeats=20, source_size=(240, 360)):
    """Time an :class:`OnnxStudent` at each batch size; rows as :func:`student.measure_fps` returns.

    Same protocol as the torch path: ``fps_forward`` is the session alone on a ready float32
    batch, ``fps_end_to_end`` a stream of ``source_size`` uint8 frames through the student's
    preprocessing, the session and frame scores, ``latency_ms_p50``/``p95`` the end-to-end time
    of one batch; rates are medians of ``repeats`` timed calls after ``warmup`` untimed ones.
    The preprocessing runs on one torch thread meanwhile: torch's idle threads spin-waiting beside
    ONNX Runtime's slowed end-to-end rates ten-fold on a 2-core machine.

    Example:
        >>> from student import build_student
        >>> runner = onnx_student(build_student("fast", 1), threads=1)
        >>> rows = measure_onnx_fps(runner, batch_sizes=(2,), warmup=1, repeats=2)
        >>> rows[0]["batch_size"], rows[0]["fps_forward"] > 0
        (2, True)
    """
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return [_measure_batch(runner, batch_size, warmup, repeats, source_size) for batch_size in batch_sizes]
    finally:
        torch.set_num_threads(previous_threads)


def _measure_batch(runner, batch_size, warmup, repeats, source_size):
    height, width = runner.config["input_size"]
    batch = np.random.default_rng(0).random((batch_size, 3, height, width), dtype=np.float32)
    forward = []
    for i in range(warmup + repeats):
        started = time.perf_counter()
        runner.run(batch)
        if i >= warmup:
            forward.append(time.perf_counter() - started)
    chunk_seconds = _time_stream(runner, batch_size, warmup + repeats, source_size)[warmup:]
    return speed_result(batch_size, forward, chunk_seconds)


def _time_stream(runner, batch_size, chunks, source_size):
    """Seconds each chunk of ``batch_size`` frames took, streaming ``chunks * batch_size`` uint8 frames."""
    distinct = np.random.default_rng(0).integers(0, 256, size=(8, *source_size), dtype=np.uint8)
    stream = (distinct[i % len(distinct)] for i in range(chunks * batch_size))
    seconds, started = [], time.perf_counter()
    for _ in iter_frame_scores(runner, stream, batch_size, device="cpu", dtype=torch.float32):
        now = time.perf_counter()
        seconds.append(now - started)
        started = now
    return seconds
