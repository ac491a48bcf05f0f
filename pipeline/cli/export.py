"""`fastaed export`: the student as an ONNX file for deployment (float32, dynamic batch axis).

Example:
    $ fastaed export --checkpoint runs/fast/student.pt --out student.onnx
    $ fastaed export --checkpoint student.pt --out deploy/student.onnx --opset 18
"""
from pathlib import Path

import click

from pipeline.errors import FastaedError

# The exporter torch uses for these students (TorchScript-based) writes opsets up to 20; below 11
# its nearest-neighbour upsampling may not match torch.
OPSETS = click.IntRange(11, 20)


def describe_onnx(path):
    """``[(kind, name, shape)]`` of an ONNX model's inputs and outputs; a symbolic axis shows as its name.

    Example:
        >>> describe_onnx("student.onnx")[0]                                        # doctest: +SKIP
        ('input', 'frames', ['batch', 3, 80, 120])
    """
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return ([("input", node.name, list(node.shape)) for node in session.get_inputs()]
            + [("output", node.name, list(node.shape)) for node in session.get_outputs()])


@click.command("export")
@click.option("--checkpoint", required=True, type=click.Path(path_type=Path),
              help="Student checkpoint (student.pt from train-student).")
@click.option("--out", "out_path", required=True, type=click.Path(path_type=Path),
              help="ONNX file to write (written under a temporary name, then renamed).")
@click.option("--opset", type=OPSETS, default=17, show_default=True, help="ONNX opset version.")
def command(checkpoint, out_path, opset):
    """Export the student to ONNX with a dynamic batch axis.

    Input ``frames``: (batch, 3, H, W) float32 in [0, 1], frames t-3, t, t+3 at the student's input
    size. Outputs ``maps_1x1``, ``maps_4x4``, ``maps_16x16``: (batch, teachers, s, s) in the
    student's units (batch norms folded into the convolutions).
    """
    from student import export_onnx, load_student

    if out_path.is_dir():
        raise FastaedError(f"--out {out_path} is a folder: give the ONNX file's name, e.g. {out_path / 'student.onnx'}")
    try:
        model = load_student(checkpoint)
    except ValueError as error:
        raise FastaedError(str(error)) from None
    export_onnx(model, out_path, opset)
    config = model.config
    click.echo(f"exported student '{config['size']}' (teachers {', '.join(config['teachers'])}; "
               f"maps transformed by {config['target_transform']}) to {out_path}, opset {opset}")
    for kind, name, shape in describe_onnx(out_path):
        click.echo(f"  {kind:<6} {name:<12} {shape}")
