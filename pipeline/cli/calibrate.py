"""`fastaed calibrate`: record how the student scores normal footage, so alarms can be set by false-alarm rate.

Example:
    $ fastaed calibrate --checkpoint data/run/student.pt --dataset data/synthetic
    $ fastaed calibrate --checkpoint run/student.pt --videos monday.avi tuesday.avi
"""
from pathlib import Path

import click

from pipeline.alarms.calibration import DEFAULT_CALIBRATION_SIGMA
from pipeline.errors import FastaedError
from pipeline.evaluation.defaults import DEVICES, EVALUATE_BATCH_SIZE


@click.command("calibrate")
@click.option("--checkpoint", required=True, type=click.Path(path_type=Path),
              help="Student checkpoint (RUN/student.pt); its calibration is replaced, the rest kept.")
@click.option("--dataset", "dataset_root", type=click.Path(path_type=Path), default=None,
              help="Dataset root whose training videos (normal by definition) are scored.")
@click.option("--videos", multiple=True, metavar="PATH",
              help="Normal video files or frame folders instead of --dataset (repeat the option for several).")
@click.option("--causal-sigma", type=click.FloatRange(min=0), default=DEFAULT_CALIBRATION_SIGMA, show_default=True,
              help="Causal smoothing (frames) of the scores; `score` applies the same with alarms.")
@click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=EVALUATE_BATCH_SIZE, show_default=True)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(checkpoint, dataset_root, videos, causal_sigma, device, batch_size, quiet):
    """Score normal footage with the student and store the distribution of its smoothed frame scores
    (1001 quantiles) in the checkpoint; `score --false-alarm-rate F` then alarms above its 1 - F quantile.

    The footage should be normal video the student was not trained on: on its own training videos
    the student scores lower than on new footage, and the alarms would then fire more often than F.
    `train-student` calibrates on frames it holds out for this (--calibration-fraction).
    """
    from pipeline.alarms.calibration import calibrate_on_videos, describe, write_calibration
    from pipeline.evaluation.inference import load_inference_student

    if (dataset_root is None) == (not videos):
        raise FastaedError("give either --dataset ROOT (its training videos) or --videos PATH ... (normal footage)")
    model = load_inference_student(checkpoint, device)
    if dataset_root is not None:
        from pipeline.datasets import open_dataset

        dataset = open_dataset(dataset_root)
        if not dataset.train:
            raise FastaedError(f"dataset {dataset_root} has no training videos: give --videos with normal footage")
        inputs = [(video.id, video.iter_frames(), len(video)) for video in dataset.train]
        source = f"training videos of {dataset_root}"
    else:
        from pipeline.cli.score import input_name
        from pipeline.evaluation.sources import open_frame_stream

        streams = [(input_name(path), open_frame_stream(path)) for path in videos]
        live = [stream.description for _, stream in streams if stream.live]
        if live:
            raise FastaedError(f"--videos {live[0]}: calibrate on recorded footage (files or frame folders), "
                               "not a camera")
        inputs = [(name, stream.frames, stream.length) for name, stream in streams]
        source = "videos " + ", ".join(str(path) for path in videos)
    calibration = calibrate_on_videos(model, inputs, causal_sigma, source, batch_size, progress=not quiet)
    write_calibration(checkpoint, calibration)
    click.echo(f"{checkpoint}: {describe(calibration)}; threshold at false-alarm rate 0.01: "
               f"{threshold_text(calibration, 0.01)}")


def threshold_text(calibration, rate):
    """The threshold for ``rate`` as text.

    Example:
        >>> threshold_text({"quantiles": [float(i) for i in range(1001)]}, 0.01)
        '990'
    """
    from pipeline.alarms.calibration import threshold_for_rate

    return f"{threshold_for_rate(calibration, rate):.6g}"
