"""`fastaed score`: per-frame anomaly scores of a video file, a frame folder or a camera, as a stream.

Example:
    $ fastaed score clip.avi --checkpoint data/run/student.pt > scores.csv
    $ fastaed score data/synthetic/testing/frames/01 --checkpoint run/student.pt --out s.csv --overlay s.mp4
    $ fastaed score 0 --checkpoint run/student.pt --batch-size 1 --causal-sigma 3    # camera 0, Ctrl-C stops
"""
import os
import sys
from pathlib import Path

import click

from pipeline.errors import FastaedError
from pipeline.evaluation.defaults import DEVICES, DTYPES, RUNTIMES, SCORE_BATCH_SIZE


@click.command("score")
@click.argument("input_spec", metavar="INPUT")
@click.option("--checkpoint", required=True, type=click.Path(path_type=Path),
              help="Student checkpoint written by train-student (RUN/student.pt).")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="Write the CSV (frame,score) here  [default: stdout].")
@click.option("--overlay", type=click.Path(path_type=Path), default=None,
              help="Also write a video of the anomaly map over the frames (.mp4: MPEG-4, .avi: Motion JPEG).")
@click.option("--batch-size", type=click.IntRange(min=1), default=SCORE_BATCH_SIZE, show_default=True,
              help="Frames scored together; a score is out at most this many frames + 3 after its frame.")
@click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True)
@click.option("--runtime", type=click.Choice(RUNTIMES), default="auto", show_default=True,
              help="auto: the fastest correct runtime here (measured once per machine and model, then cached; "
                   "int8 only where evaluate or benchmark-fps --shards checked it on training frames).")
@click.option("--dtype", type=click.Choice(DTYPES), default="auto", show_default=True,
              help="auto: float32, or a checked int8; a given dtype is used as asked.")
@click.option("--causal-sigma", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Smooth each score with a one-sided Gaussian over past frames (width in frames); 0 = none.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(input_spec, checkpoint, out, overlay, batch_size, device, runtime, dtype, causal_sigma, quiet):
    """Score INPUT frame by frame with the student alone: a video file, a folder of frame images,
    or a camera index (0, 1, ...; Ctrl-C ends it; write ./0 for a file named 0).

    Writes CSV rows `frame,score` (0-based frame, higher = more anomalous) as the frames are
    scored; memory does not grow with the stream's length. Scores are raw unless --causal-sigma
    is given (the evaluation's two-sided smoothing needs the future, so streams use none or a
    causal one). With --out and a finite input the CSV and the overlay appear complete or not at
    all; from a camera they are written as they come.
    """
    from pipeline.evaluation.inference import load_inference_student
    from pipeline.evaluation.scoring import open_overlay, open_scores_output, score_stream
    from pipeline.evaluation.sources import open_frame_stream
    from pipeline.overlay import check_overlay_path

    if overlay is not None:
        check_overlay_path(overlay)
    if out is not None and out.is_dir():
        raise FastaedError(f"--out {out} is a folder: give a CSV file name")
    model = load_inference_student(checkpoint, device, runtime, dtype, batch_size)
    stream = open_frame_stream(input_spec)
    atomic = not stream.live
    try:
        with open_scores_output(out, atomic) as csv_file, open_overlay(overlay, stream.fps, atomic) as writer:
            count = score_stream(model, stream, csv_file, batch_size, writer, causal_sigma, progress=not quiet)
    except BrokenPipeError:
        if out is not None:
            raise
        # the reader of stdout has gone (`fastaed score clip.avi | head`): stop quietly, like other Unix tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    if out is not None or overlay is not None:
        written = ", ".join(str(path) for path in (out, overlay) if path is not None)
        click.echo(f"scored {count} frames of {stream.description}; wrote {written}", err=True)
