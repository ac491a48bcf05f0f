"""Exporting a student to ONNX: maps as a tuple (1x1, 4x4, 16x16), batch norms folded, dynamic batch."""
import os
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn

from student.inference import prepare_for_inference
from student.scales import SCALES

ONNX_OPSET = 17
ONNX_INPUT = "frames"
ONNX_OUTPUTS = tuple(f"maps_{s}x{s}" for s in SCALES)


class TupleOutputs(nn.Module):
    """Wrap a student so that it returns its maps as a tuple in :data:`~student.scales.SCALES` order.

    Tracing exporters cannot return a dict keyed by ints; this wrapper can be exported.

    Example:
        >>> from student.networks import build_student
        >>> outputs = TupleOutputs(build_student("fast", 2).eval())(torch.zeros(1, 3, 80, 120))
        >>> [tuple(o.shape) for o in outputs]
        [(1, 2, 1, 1), (1, 2, 4, 4), (1, 2, 16, 16)]
    """

    def __init__(self, student):
        super().__init__()
        self.student = student

    def forward(self, frames):
        maps = self.student(frames)
        return tuple(maps[s] for s in SCALES)


def export_onnx(model, path, opset=ONNX_OPSET):
    """Write ``model`` as an ONNX file (float32, dynamic batch) atomically; return the path.

    Input ``frames`` (B, 3, H, W) float in [0, 1] at the model's input size; outputs
    ``maps_1x1``, ``maps_4x4``, ``maps_16x16`` (B, K, s, s) in the student's units (see
    :func:`student.inference.maps_to_scores` for frame scores).

    Example:
        >>> import tempfile
        >>> from student.networks import build_student
        >>> path = export_onnx(build_student("fast", 1), Path(tempfile.mkdtemp()) / "student.onnx")
        >>> path.stat().st_size > 10_000
        True
    """
    path = Path(path)
    inference_copy, _ = prepare_for_inference(model, "cpu", bf16=False, channels_last=False)
    height, width = model.config["input_size"]
    example = torch.rand(2, 3, height, width)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)  # spatial sizes are fixed by design
            warnings.simplefilter("ignore", DeprecationWarning)  # the dynamo exporter needs onnxscript
            torch.onnx.export(
                TupleOutputs(inference_copy), (example,), temporary, dynamo=False, opset_version=opset,
                input_names=[ONNX_INPUT], output_names=list(ONNX_OUTPUTS),
                dynamic_axes={name: {0: "batch"} for name in (ONNX_INPUT, *ONNX_OUTPUTS)})
        os.replace(temporary, path)
    except OSError as error:  # a full disk: say which file could not be written
        Path(temporary).unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror, str(path)) from error
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
