"""ONNX export: ONNX Runtime gives the same maps as torch, for any batch size."""
import numpy as np
import onnxruntime
import pytest
import torch

from student import build_student
from student.export import ONNX_INPUT, ONNX_OUTPUTS, export_onnx


@pytest.mark.parametrize("size, input_size", [("fast", None), ("accurate", None), ("paper", (64, 96))])
def test_onnx_runtime_matches_torch_with_a_dynamic_batch(tmp_path, size, input_size):
    torch.manual_seed(0)
    model = build_student(size, ["motion", "appearance"], input_size).eval()
    path = export_onnx(model, tmp_path / "student.onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["student.onnx"]
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == list(ONNX_OUTPUTS)
    height, width = model.config["input_size"]
    for batch in (1, 3):
        x = torch.rand(batch, 3, height, width)
        got = session.run(None, {ONNX_INPUT: x.numpy()})
        with torch.no_grad():
            expected = model(x)
        for scale, array in zip((1, 4, 16), got):
            np.testing.assert_allclose(array, expected[scale].numpy(), atol=1e-4)
