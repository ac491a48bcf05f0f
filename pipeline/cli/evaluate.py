"""`fastaed evaluate`: the student alone over a dataset's test split; metrics, scores, regions, plots, overlay.

Example:
    $ fastaed evaluate --checkpoint data/run/student.pt --dataset data/synthetic --out data/report
    $ fastaed evaluate --checkpoint run/student.pt --dataset ../shared/data/ucsd_ped2 --out /tmp/ped2 \\
          --smoothing reference --overlay-video 04
"""
from pathlib import Path

import click

from pipeline.alarms.assessment import DEFAULT_ASSESSED_RATE
from pipeline.evaluation.defaults import (
    DEFAULT_REGION_THRESHOLD, DEFAULT_SIGMA, DEVICES, DTYPES, EVALUATE_BATCH_SIZE, RUNTIMES)


@click.command("evaluate")
@click.option("--checkpoint", required=True, type=click.Path(path_type=Path),
              help="Student checkpoint written by train-student (RUN/student.pt).")
@click.option("--dataset", "dataset_root", required=True, type=click.Path(path_type=Path),
              help="Dataset root with ground truth; its test split is scored, frames read straight from it.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Report folder: metrics.json, scores.json, raw_scores.json, regions.csv, tracks.csv, "
                   "plots/, overlay_<video>.mp4. Replaced if it holds an earlier report.")
@click.option("--sigma", type=float, default=None,
              help=f"Temporal smoothing width in frames; 0 = none. Default: {DEFAULT_SIGMA:g} (gaussian, as the "
                   "teachers' report), 21 (reference).")
@click.option("--smoothing", type=click.Choice(["gaussian", "reference"]), default="gaussian", show_default=True,
              help="gaussian: scipy's gaussian_filter1d; reference: the paper group's code, exactly.")
@click.option("--window", type=int, default=None, help="Window R of --smoothing reference (even; default 302).")
@click.option("--region-threshold", type=float, default=DEFAULT_REGION_THRESHOLD, show_default=True,
              help="Map level (teacher units; 1 = 95th percentile of normal training objects) above which "
                   "connected components become predicted regions for RBDC/TBDC.")
@click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True)
@click.option("--runtime", type=click.Choice(RUNTIMES), default="auto", show_default=True,
              help="auto: the fastest here of the runtimes the --dtype allows (measured once per machine and "
                   "model, then cached); torch, onnx, onnx-int8 (calibrated on the training frames) as asked.")
@click.option("--dtype", type=click.Choice(DTYPES), default="float32", show_default=True,
              help="float32 keeps the metrics independent of the machine; auto also tries bfloat16 (where "
                   "native) and int8, each kept only if its scores on training frames keep float32's order.")
@click.option("--batch-size", type=click.IntRange(min=1), default=EVALUATE_BATCH_SIZE, show_default=True,
              help="Frames scored together.")
@click.option("--overlay-video", default=None, metavar="ID",
              help="Test video drawn in the overlay video  [default: the first test video].")
@click.option("--false-alarm-rate", type=float, default=DEFAULT_ASSESSED_RATE, show_default=True, metavar="F",
              help="Assess alarms at the threshold the checkpoint's calibration gives for this rate, as "
                   "`score --false-alarm-rate F` raises them: frame false-alarm rate, anomalous events detected.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(checkpoint, dataset_root, out, sigma, smoothing, window, region_threshold, device, runtime, dtype,
            batch_size, overlay_video, false_alarm_rate, quiet):
    """Score the test split with the student alone and write metrics and plots.

    Micro AUC, macro AUC (padded convention; the plain one beside it), per-video AUC, and RBDC /
    TBDC with ground-truth tracks derived from the pixel masks and regions from the student's
    maps; and alarms as `score --false-alarm-rate F` raises them, at the checkpoint's calibrated
    threshold: the frame false-alarm rate on normal test frames and the fraction of anomalous
    events detected. Frames come straight from the dataset, one video at a time (memory does not
    grow with the dataset).
    """
    from pipeline.evaluation.report import EvaluationOptions, evaluate_student
    from pipeline.metrics import REFERENCE_SIGMA

    if sigma is None:
        sigma = REFERENCE_SIGMA if smoothing == "reference" else DEFAULT_SIGMA
    options = EvaluationOptions(sigma=sigma, smoothing=smoothing, window=window, region_threshold=region_threshold,
                                batch_size=batch_size, device=device, runtime=runtime, dtype=dtype,
                                overlay_video=overlay_video, false_alarm_rate=false_alarm_rate, progress=not quiet)
    result = evaluate_student(checkpoint, dataset_root, out, options)
    click.echo(summary(result, out))


def summary(result, out):
    """The report's headline numbers in two lines.

    Example:
        >>> print(summary({"micro_auc": 0.95, "macro_auc": 0.97, "rbdc": 0.5, "tbdc": 0.8, "num_videos": 12,
        ...                "num_frames": 1962, "smoothing": "gaussian", "sigma": 3.0, "frames_per_second": 410.0}, "r"))
        micro AUC 0.9500   macro AUC 0.9700 (padded)   RBDC 0.5000   TBDC 0.8000
        1962 frames in 12 videos at 410.0 frames/s; smoothing gaussian, sigma 3; report in r
    """
    def number(value):
        return "n/a" if value is None else f"{value:.4f}"

    smoothing = "none" if result["sigma"] == 0 else f"{result['smoothing']}, sigma {result['sigma']:g}"
    text = (f"micro AUC {number(result['micro_auc'])}   macro AUC {number(result['macro_auc'])} (padded)   "
            f"RBDC {number(result['rbdc'])}   TBDC {number(result['tbdc'])}\n"
            f"{result['num_frames']} frames in {result['num_videos']} videos at {result['frames_per_second']} "
            f"frames/s; smoothing {smoothing}; report in {out}")
    alarms = result.get("alarms") or {}
    if "threshold" in alarms:
        rate = alarms["frame_false_alarm_rate"]
        rate = "n/a" if rate is None else f"{rate:.2%}"
        text += (f"\nalarms at false-alarm rate {alarms['false_alarm_rate']:g} (threshold {alarms['threshold']:.4g}): "
                 f"{rate} of normal frames alarm, {alarms['anomalous_events_detected']} of "
                 f"{alarms['anomalous_events']} anomalous events detected, {alarms['false_events']} false events")
    return text
