"""`fastaed score`: per-frame anomaly scores of a video file, a frame folder or a camera, as a stream.

Example:
    $ fastaed score clip.avi --checkpoint data/run/student.pt > scores.csv
    $ fastaed score data/synthetic/testing/frames/01 --checkpoint run/student.pt --out s.csv --overlay s.mp4
    $ fastaed score 0 --checkpoint run/student.pt --batch-size 1 --causal-sigma 3    # camera 0, Ctrl-C stops
    $ fastaed score clip.avi --checkpoint run/student.pt --false-alarm-rate 0.01 --events events.jsonl
"""
import contextlib
import os
import sys
from pathlib import Path

import click

from pipeline.alarms.events import DEFAULT_MERGE_GAP, DEFAULT_MIN_DURATION
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
@click.option("--causal-sigma", type=click.FloatRange(min=0), default=None,
              help="Smooth each score with a one-sided Gaussian over past frames (width in frames); 0 = none. "
                   "Default: 0, or with alarms the checkpoint's calibration smoothing.")
@click.option("--false-alarm-rate", type=float, default=None, metavar="F",
              help="Raise alarms at the threshold that a fraction F of normal frames exceeds (0.01: one in a "
                   "hundred), from the checkpoint's calibration on normal footage (`fastaed calibrate`).")
@click.option("--threshold", type=float, default=None, metavar="T",
              help="Raise alarms where the (smoothed) score is above T instead.")
@click.option("--events", "events_path", type=click.Path(path_type=Path), default=None,
              help="With alarms: write one JSON line per event here as it closes  [default: stderr].")
@click.option("--min-duration", type=click.IntRange(min=1), default=DEFAULT_MIN_DURATION, show_default=True,
              help="Frames an event must span (first to last alarming frame) to be reported.")
@click.option("--merge-gap", type=click.IntRange(min=0), default=DEFAULT_MERGE_GAP, show_default=True,
              help="Alarming runs this many quiet frames apart or closer are one event.")
@click.option("--video-id", default=None, help="The events' \"video\" field  [default: the input's name].")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(input_spec, checkpoint, out, overlay, batch_size, device, runtime, dtype, causal_sigma, false_alarm_rate,
            threshold, events_path, min_duration, merge_gap, video_id, quiet):
    """Score INPUT frame by frame with the student alone: a video file, a folder of frame images,
    or a camera index (0, 1, ...; Ctrl-C ends it; write ./0 for a file named 0).

    Writes CSV rows `frame,score` (0-based frame, higher = more anomalous) as the frames are
    scored; memory does not grow with the stream's length. Scores are raw unless --causal-sigma
    is given (the evaluation's two-sided smoothing needs the future, so streams use none or a
    causal one). With --out and a finite input the CSV and the overlay appear complete or not at
    all; from a camera they are written as they come.

    Alarms (--false-alarm-rate or --threshold): frames whose smoothed score is above the threshold
    form events (at least --min-duration frames, runs --merge-gap frames apart merged), written as
    JSON lines {"video", "start", "end", "peak_frame", "peak_score"} (0-based frames, end
    inclusive) the moment each closes; the overlay has a red border while one is open. The CSV
    then holds the smoothed scores the threshold applies to.
    """
    from pipeline.evaluation.inference import load_inference_student
    from pipeline.evaluation.scoring import open_overlay, open_scores_output, score_stream
    from pipeline.evaluation.sources import open_frame_stream
    from pipeline.overlay import check_overlay_path

    if overlay is not None:
        check_overlay_path(overlay)
    if out is not None and out.is_dir():
        raise FastaedError(f"--out {out} is a folder: give a CSV file name")
    if events_path is not None and events_path.is_dir():
        raise FastaedError(f"--events {events_path} is a folder: give a file name (events.jsonl)")
    if events_path is not None and false_alarm_rate is None and threshold is None:
        raise FastaedError("--events needs --false-alarm-rate F or --threshold T: the threshold that makes events")
    threshold, causal_sigma = alarm_settings(checkpoint, false_alarm_rate, threshold, causal_sigma)
    model = load_inference_student(checkpoint, device, runtime, dtype, batch_size)
    stream = open_frame_stream(input_spec)
    atomic = not stream.live
    detector = None
    if threshold is not None:
        from pipeline.alarms.events import EventDetector

        detector = EventDetector(video_id or input_name(input_spec), threshold, min_duration, merge_gap)
    try:
        with open_scores_output(out, atomic) as csv_file, open_overlay(overlay, stream.fps, atomic) as writer, \
                open_events_output(events_path, detector, keep_on_error=stream.live) as event_log:
            count = score_stream(model, stream, csv_file, batch_size, writer, causal_sigma, progress=not quiet,
                                 detector=detector, event_log=event_log)
    except BrokenPipeError:
        if out is not None:
            raise
        # the reader of stdout has gone (`fastaed score clip.avi | head`): stop quietly, like other Unix tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    if out is not None or overlay is not None or events_path is not None:
        written = ", ".join(str(path) for path in (out, overlay, events_path) if path is not None)
        click.echo(f"scored {count} frames of {stream.description}; wrote {written}", err=True)
    if detector is not None:
        click.echo(f"{event_log.count} events above threshold {threshold:.6g}", err=True)


def alarm_settings(checkpoint, false_alarm_rate, threshold, causal_sigma):
    """The alarm threshold (None: no alarms) and the causal smoothing `score` uses.

    ``--false-alarm-rate`` needs the checkpoint's calibration and its smoothing; ``--threshold``
    uses the calibration's smoothing when there is one and --causal-sigma is not given.

    Example:
        >>> alarm_settings("run/student.pt", None, None, None)
        (None, 0.0)
    """
    if false_alarm_rate is not None and threshold is not None:
        raise FastaedError("--false-alarm-rate and --threshold exclude each other: give one")
    if false_alarm_rate is None and threshold is None:
        return None, 0.0 if causal_sigma is None else causal_sigma
    from pipeline.alarms.calibration import check_calibration, check_rate, read_calibration, threshold_for_rate

    if threshold is not None:
        if threshold != threshold or abs(threshold) == float("inf"):
            raise FastaedError(f"--threshold {threshold}: give a finite score")
        calibration = read_calibration(checkpoint)
        if causal_sigma is None:
            causal_sigma = calibration["causal_sigma"] if isinstance(calibration, dict) else 0.0
        return threshold, causal_sigma
    check_rate(false_alarm_rate)
    calibration = check_calibration(read_calibration(checkpoint), checkpoint)
    if causal_sigma is not None and causal_sigma != calibration["causal_sigma"]:
        raise FastaedError(f"--causal-sigma {causal_sigma:g}: {checkpoint} was calibrated with causal sigma "
                           f"{calibration['causal_sigma']:g}, and its false-alarm rates hold for that smoothing only: "
                           f"drop --causal-sigma, or recalibrate with `fastaed calibrate --causal-sigma "
                           f"{causal_sigma:g}`")
    return threshold_for_rate(calibration, false_alarm_rate), calibration["causal_sigma"]


def input_name(input_spec):
    """The name events give an input: a file's stem, a folder's name, ``camera N``.

    Example:
        >>> input_name("clips/entrance.avi"), input_name("0")
        ('entrance', 'camera 0')
    """
    text = str(input_spec)
    if text.isdigit():
        return f"camera {text}"
    path = Path(text)
    return path.name if path.is_dir() else path.stem


@contextlib.contextmanager
def open_events_output(path, detector, keep_on_error=False):
    """An :class:`~pipeline.alarms.events.EventLog` writing to ``path`` (stderr when None), or None without alarms.

    Lines go to ``path`` directly and are flushed one by one, so a reader sees each event as it
    closes; if the block fails the file is removed unless ``keep_on_error`` (a live camera).

    Example:
        >>> with open_events_output(None, None) as log:
        ...     log is None
        True
    """
    from pipeline.alarms.events import EventLog

    if detector is None:
        yield None
        return
    if path is None:
        yield EventLog(sys.stderr)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "w") as file:
            yield EventLog(file)
    except BaseException:
        if not keep_on_error:
            path.unlink(missing_ok=True)
        raise
