"""Timing a student with the torch or the ONNX Runtime path, batch size by batch size (never a teacher).

Example:
    >>> from student import build_student
    >>> rows, settings = measure_student(build_student("fast", 1), batch_sizes=[2], warmup=1, repeats=2,
    ...                                  progress=False)
    >>> settings["runtime"], [row["batch_size"] for row in rows]
    ('torch', [2])
"""
import torch
from tqdm import tqdm

from pipeline.errors import FastaedError
from student import measure_fps, native_bf16

RUNTIMES = ("torch", "onnx")


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


def measure_student(model, runtime="torch", device="cpu", batch_sizes=(1, 8, 64), threads=None, bf16=None,
                    channels_last=True, warmup=3, repeats=20, source_size=(240, 360), progress=True):
    """Time ``model`` at each batch size; return the rows and the settings they were measured with.

    Returns ``(rows, settings)``: the rows of :func:`student.measure_fps` and ``{"runtime",
    "device", "threads", "dtype", "channels_last", "warmup", "repeats", "source_size"}`` (plus the
    ``"onnxruntime"`` version for ONNX). ``runtime="torch"`` uses :func:`student.measure_fps`
    (bf16 when ``bf16`` is True, or None and the device has it natively); ``runtime="onnx"``
    exports the model and runs it on ONNX Runtime in float32 with the same protocol. ``threads``
    defaults to torch's thread count and is given to either runtime.

    Example:
        >>> from student import build_student
        >>> measure_student(build_student("fast", 1), "onnx", batch_sizes=[1], warmup=1, repeats=2,
        ...                 progress=False)[1]["dtype"]
        'float32'
    """
    if runtime not in RUNTIMES:
        raise FastaedError(f"--runtime {runtime}: unknown runtime: use one of {', '.join(RUNTIMES)}")
    device = check_device(device)
    threads = torch.get_num_threads() if threads is None else int(threads)
    settings = {"runtime": runtime, "device": str(device), "threads": threads, "channels_last": None,
                "warmup": int(warmup), "repeats": int(repeats), "source_size": [int(v) for v in source_size]}
    if runtime == "onnx":
        if bf16:
            raise FastaedError("--bf16 with --runtime onnx: the exported model runs in float32 on ONNX Runtime: "
                               "leave --bf16 out, or use --runtime torch")
        import onnxruntime

        from pipeline.onnx_runtime import measure_onnx_fps, onnx_student

        runner = onnx_student(model, threads, device)

        def measure(batch_size):
            return measure_onnx_fps(runner, [batch_size], warmup, repeats, source_size)[0]
        settings.update(dtype="float32", onnxruntime=onnxruntime.__version__)
    else:
        bf16 = native_bf16(device) if bf16 is None else bf16

        def measure(batch_size):
            return measure_fps(model, [batch_size], device, threads, bf16, channels_last, warmup=warmup,
                               repeats=repeats, source_size=source_size)[0]
        settings.update(dtype="bfloat16" if bf16 else "float32", channels_last=bool(channels_last))
    rows = [measure(batch_size) for batch_size in tqdm(batch_sizes, desc=f"{runtime} batch sizes", unit="size",
                                                        disable=not progress)]
    return rows, settings
