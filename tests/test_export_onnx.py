"""`fastaed export`: an ONNX file with a dynamic batch axis whose maps match torch's, one-line errors."""
import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from click.testing import CliRunner

from pipeline.cli import main
from student import build_student, load_student, save_checkpoint

TEACHERS = ["motion", "appearance"]


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "run" / "student.pt"
    save_checkpoint(path, build_student("fast", TEACHERS, (48, 72)))
    return path


def export(*args):
    return CliRunner().invoke(main, ["export", *map(str, args)])


def test_onnx_runtime_gives_torch_maps_for_any_batch_size(tmp_path, checkpoint):
    out = tmp_path / "deploy" / "student.onnx"
    result = export("--checkpoint", checkpoint, "--out", out)
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.parent.iterdir()] == ["student.onnx"]  # no temporary file left behind
    assert "frames" in result.stdout and "['batch', 3, 48, 72]" in result.stdout
    assert "maps_16x16" in result.stdout and "['batch', 2, 16, 16]" in result.stdout

    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["maps_1x1", "maps_4x4", "maps_16x16"]
    assert isinstance(session.get_inputs()[0].shape[0], str)  # a symbolic, dynamic batch axis
    model = load_student(checkpoint)
    generator = torch.Generator().manual_seed(1)
    for batch in (2, 5):
        x = torch.rand(batch, 3, 48, 72, generator=generator)
        got = session.run(None, {"frames": x.numpy()})
        with torch.no_grad():
            expected = model(x)
        for scale, maps in zip((1, 4, 16), got):
            assert maps.shape == (batch, len(TEACHERS), scale, scale)
            np.testing.assert_allclose(maps, expected[scale].numpy(), rtol=1e-4, atol=1e-4)


def test_opset_is_the_one_asked_for(tmp_path, checkpoint):
    out = tmp_path / "student.onnx"
    assert export("--checkpoint", checkpoint, "--out", out, "--opset", "13").exit_code == 0
    opsets = {entry.domain: entry.version for entry in onnx.load(str(out)).opset_import}
    assert opsets[""] == 13


@pytest.mark.parametrize("case, expected", [
    ("corrupt", "is not a fastaed student checkpoint"),
    ("missing", "does not exist"),
    ("opset", "--opset"),
    ("out-folder", "is a folder"),
])
def test_bad_input_gives_one_line_and_writes_nothing(tmp_path, checkpoint, case, expected):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x80\x02 this is not a torch file")
    out = tmp_path / "out" / "student.onnx"
    args = {"corrupt": ["--checkpoint", bad, "--out", out],
            "missing": ["--checkpoint", tmp_path / "nothing.pt", "--out", out],
            "opset": ["--checkpoint", checkpoint, "--out", out, "--opset", "5"],
            "out-folder": ["--checkpoint", checkpoint, "--out", tmp_path]}[case]
    result = export(*args)
    assert result.exit_code != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert expected in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
