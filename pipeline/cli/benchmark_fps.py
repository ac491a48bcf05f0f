"""`fastaed benchmark-fps`: measure the student's speed from its checkpoint alone (never a teacher).

Example:
    $ fastaed benchmark-fps --checkpoint runs/fast/student.pt --batch-sizes 1,8,64,256 --out fps.json
    $ fastaed benchmark-fps --checkpoint student.pt --shards data/shards        # every runtime, the fastest kept
    $ fastaed benchmark-fps --checkpoint student.pt --runtime onnx --threads 2 --shards data/shards
    $ fastaed benchmark-fps --checkpoint student.pt --device cuda --out fps_gpu.json --plot fps_gpu.png
"""
import re
from pathlib import Path

import click

from pipeline.errors import FastaedError


def parse_batch_sizes(text):
    """``"1,8,64"`` -> [1, 8, 64]; FastaedError unless it is a comma-separated list of positive integers.

    Example:
        >>> parse_batch_sizes("1, 8,64")
        [1, 8, 64]
    """
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() and int(part) > 0 for part in parts):
        raise FastaedError(f"--batch-sizes {text!r}: give positive integers separated by commas, e.g. 1,8,64")
    return list(dict.fromkeys(int(part) for part in parts))


def parse_frame_size(text):
    """``"240x360"`` -> (240, 360); FastaedError unless it is HxW in pixels.

    Example:
        >>> parse_frame_size("240x360")
        (240, 360)
    """
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match or min(int(match.group(1)), int(match.group(2))) < 1:
        raise FastaedError(f"--frame-size {text!r} is not HxW: give the decoded frames' height x width, e.g. 240x360")
    return int(match.group(1)), int(match.group(2))


@click.command("benchmark-fps")
@click.option("--checkpoint", required=True, type=click.Path(path_type=Path),
              help="Student checkpoint (student.pt from train-student); nothing else is loaded.")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--batch-sizes", default="1,8,64", show_default=True, help="Comma-separated batch sizes to sweep.")
@click.option("--runtime", type=click.Choice(["auto", "torch", "onnx", "onnx-int8"]), default="auto",
              show_default=True,
              help="auto: measure every runtime below that runs here and keep the fastest whose scores match "
                   "float32's; torch: folded batch norms, channels-last; onnx: the exported network on ONNX "
                   "Runtime (float32); onnx-int8: quantised to int8, calibrated on the --shards training frames.")
@click.option("--dtype", type=click.Choice(["auto", "float32", "bfloat16", "float16"]), default="auto",
              show_default=True,
              help="auto: float32, plus bfloat16 where the CPU flags show it native (AVX512-BF16/AMX) or the GPU "
                   "has it, and float16 on CUDA; a given dtype is used as asked.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Intra-op threads for torch or ONNX Runtime. Default: torch's (one per core).")
@click.option("--bf16/--no-bf16", default=None,
              help="Older spelling of --runtime torch --dtype bfloat16 / float32.")
@click.option("--channels-last/--no-channels-last", default=True, show_default=True,
              help="Channels-last memory layout for --runtime torch.")
@click.option("--shards", type=click.Path(path_type=Path),
              help="Shards folder from precompute-teachers: its teachers' seconds per frame give the speed-up, its "
                   "training frames calibrate int8 and check every runtime's scores against float32's.")
@click.option("--compile", "compile_model", is_flag=True,
              help="torch.compile the torch candidates (CUDA graphs on --device cuda).")
@click.option("--frame-size", default="240x360", show_default=True,
              help="HxW of the decoded uint8 frames of the end-to-end stream (Ped2's size by default).")
@click.option("--warmup", type=click.IntRange(min=0), default=3, show_default=True, help="Untimed calls first.")
@click.option("--repeats", type=click.IntRange(min=1), default=20, show_default=True,
              help="Timed calls per batch size; FPS is from their median.")
@click.option("--out", "out_path", type=click.Path(path_type=Path), help="Write fps.json here.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path),
              help="Write the FPS-vs-batch-size PNG here. Default: next to --out, with .png.")
def command(checkpoint, device, batch_sizes, runtime, dtype, threads, bf16, channels_last, shards, compile_model,
            frame_size, warmup, repeats, out_path, plot_path):
    """Measure the student's frames per second, forward-only and end to end.

    End to end is decoded uint8 frames through resizing, t-3/t/t+3 triplets, the network and
    frame scores; forward is the network alone on a ready batch. With --runtime auto every
    runtime that runs here is measured and the fastest whose frame scores keep float32's order
    (on the --shards training frames) is reported; fps.json lists them all under `candidates`.
    Prints a table, the speed-up over the teachers (with --shards), and writes fps.json and its
    plot (with --out).
    """
    from pipeline.benchmark import check_device, measure_student
    from pipeline.speed_report import (
        build_speed_report, format_speed_table, plot_speed_report, teacher_speed, write_speed_report)
    from student import load_student

    sizes = parse_batch_sizes(batch_sizes)
    source_size = parse_frame_size(frame_size)
    check_device(device)
    teachers = teacher_speed(shards) if shards is not None else None
    for path, option in ((out_path, "--out"), (plot_path, "--plot")):
        if path is not None and path.is_dir():
            raise FastaedError(f"{option} {path} is a folder: give a file name")
    try:
        model = load_student(checkpoint)
    except ValueError as error:
        raise FastaedError(str(error)) from None

    calibration = None
    if shards is not None and runtime in ("auto", "onnx-int8"):
        from pipeline.calibration_frames import frames_from_shards

        calibration = frames_from_shards(shards, model.config["input_size"]) or None
    rows, settings = measure_student(model, runtime, device, sizes, threads, bf16, channels_last, warmup, repeats,
                                     source_size, dtype=dtype, calibration=calibration, compile=compile_model)
    report = build_speed_report(rows, model_config=model.config, teachers=teachers, checkpoint=str(checkpoint),
                                **settings)
    click.echo(format_speed_table(report))
    if out_path is not None:
        write_speed_report(out_path, report)
        click.echo(f"wrote {out_path}")
        plot_path = plot_path or out_path.with_suffix(".png")
    if plot_path is not None:
        plot_speed_report(plot_path, report)
        click.echo(f"wrote {plot_path}")
