"""ONNX export: ONNX Runtime gives the same maps as torch, for any batch size."""
import numpy as np
import onnxruntime
import pytest
import torch

from student import build_student
from student.export import ONNX_INPUT, ONNX_OUTPUTS, export_onnx


@pytest.mark.parametrize("size, input_size",
                         [("fast", None), ("accurate", None), ("separable", None), ("paper", (64, 96))])
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


def test_large_batches_run_on_a_session_whose_threads_sleep_and_give_the_same_scores(tmp_path):
    import cv2

    from pipeline.onnx_runtime import QUIET_FROM_BATCH, OnnxStudent
    from student import frame_scores

    torch.manual_seed(0)
    model = build_student("fast", ["motion"]).eval()
    runner = OnnxStudent(export_onnx(model, tmp_path / "student.onnx"), model.config, threads=1)
    assert runner.threads_spin(1) and not runner.threads_spin(QUIET_FROM_BATCH)
    video = np.random.default_rng(0).integers(0, 256, (QUIET_FROM_BATCH + 5, 96, 144), dtype=np.uint8)
    small = frame_scores(runner, video, batch_size=8)
    assert list(runner.sessions) == [True]
    seen = []

    def frames():
        for frame in video:
            seen.append(cv2.getNumThreads())
            yield frame

    cv2.setNumThreads(2)
    try:
        large = frame_scores(runner, frames(), batch_size=QUIET_FROM_BATCH)
        frame_scores(runner, frames(), batch_size=8)
    finally:
        cv2.setNumThreads(-1)
    assert seen == [2] * len(video) + [1] * len(video), "OpenCV keeps its threads only beside sleeping ones"
    assert sorted(runner.sessions) == [False, True]
    np.testing.assert_allclose(large, small, rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        np.testing.assert_allclose(large, frame_scores(model, video, batch_size=16), rtol=1e-4, atol=1e-5)
