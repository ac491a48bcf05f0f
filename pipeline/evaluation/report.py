"""`fastaed evaluate`'s work: the student alone over a dataset's test split, into a report folder.

Frames come straight from the dataset (never from shards), one video at a time, each decoded
once and held only inside the student's bounded streaming window, so memory does not grow with
the dataset. Per test video the report keeps the frame scores and the predicted regions; the
ground-truth tracks are derived from the pixel masks. The report is assembled in a temporary
folder beside ``out`` and renamed into place when complete.

Choices (none looks at test labels):

* Frame score: the maximum of the student's 16x16 map, averaged over its teacher heads, in
  teacher units (:func:`student.maps_to_scores`). Smoothing: Gaussian, sigma 3 frames
  (:data:`~pipeline.evaluation.defaults.DEFAULT_SIGMA`), as in the teachers' own report
  (``precompute-teachers --sigma``), so student and teacher numbers compare; ``reference``
  reproduces the paper group's code (window 302, sigma 21 unless given).
* Predicted regions: 8-connected components of the map, upsampled bilinearly to the frame size,
  above 1.0 teacher units (:data:`~pipeline.evaluation.defaults.DEFAULT_REGION_THRESHOLD`), each
  scored by its maximum. In teacher units 0 is a typical normal object (and the empty
  background) and 1 the 95th percentile of normal training objects, so the threshold is fixed by
  the teachers' calibration on training video: regions are what is at least as unusual as the
  top 5% of normal training objects. The overlay video is drawn on the way (25 frames/s).
* Alarms: at the threshold of the checkpoint's calibration on held-out normal training video for
  ``false_alarm_rate`` (0.01), the frame false-alarm rate on the test split and the fraction of
  its anomalous events detected (:mod:`pipeline.alarms.assessment`), as `score` would raise them.
"""
import csv
import os
import shutil
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pipeline import metrics
from pipeline.alarms.assessment import DEFAULT_ASSESSED_RATE, assess_alarms
from pipeline.alarms.calibration import check_calibration, check_rate, describe
from pipeline.errors import FastaedError
from pipeline.evaluation.defaults import DEFAULT_REGION_THRESHOLD, DEFAULT_SIGMA, EVALUATE_BATCH_SIZE
from pipeline.evaluation.inference import load_inference_student, stream_frame_scores
from pipeline.metrics.io import REGION_COLUMNS, TRACK_COLUMNS
from pipeline.overlay import OverlayWriter
from pipeline.folders import replace_folder

OVERLAY_FPS = 25.0
"""Frame rate of the report's overlay video (datasets of frame images do not state one)."""
TRACKS_FROM_MASKS = "derived from pixel masks (connected components linked across frames by overlap)"
REGIONS = ("8-connected components of the student's 16x16 map upsampled bilinearly to the frame size, "
           "above region_threshold (teacher units; 1 = 95th percentile of normal training objects), "
           "scored by their maximum")
MEAN_MAP_SCORE = "max of the student's 16x16 map (teacher heads averaged), teacher units"


def frame_score_description(config):
    """How a student with ``config`` turns its maps into a frame score, for the metrics JSON.

    Example:
        >>> frame_score_description({"teachers": ["a"]})
        "max of the student's 16x16 map (teacher heads averaged), teacher units"
    """
    fusion = config.get("fusion")
    if fusion is None:
        return MEAN_MAP_SCORE
    return (f"the teachers' fusion {fusion['name']} (from the shards' report.json) of the student's per-teacher "
            f"16x16 maps, on the fused teachers' scale")


@dataclass(frozen=True)
class EvaluationOptions:
    """How to evaluate: smoothing (``window`` only for ``reference``), region threshold, batching, device, runtime.

    ``runtime``/``dtype`` are those of :mod:`pipeline.runtime_choice`; the default (``auto``,
    float32) runs the fastest float32 runtime here, so the metrics do not depend on the machine;
    ``onnx-int8`` or ``bfloat16`` are calibrated and checked on the dataset's training frames.

    ``overlay_video`` is the id of the test video to draw the overlay of (default: the first).

    Example:
        >>> EvaluationOptions(sigma=0).region_threshold
        1.0
    """

    sigma: float = DEFAULT_SIGMA
    smoothing: str = "gaussian"
    window: int = None
    region_threshold: float = DEFAULT_REGION_THRESHOLD
    batch_size: int = EVALUATE_BATCH_SIZE
    device: str = "cpu"
    runtime: str = "auto"
    dtype: str = "float32"
    overlay_video: str = None
    false_alarm_rate: float = DEFAULT_ASSESSED_RATE
    progress: bool = True


def evaluate_student(checkpoint, dataset_root, out, options=EvaluationOptions()):
    """Score the labelled test videos of ``dataset_root`` with the student alone; write the report ``out``.

    ``out`` receives ``metrics.json`` (the metrics of INTERFACES.md plus the settings),
    ``scores.json`` (smoothed frame scores), ``raw_scores.json`` (unsmoothed), ``regions.csv``
    (predicted regions), ``tracks.csv`` (ground truth from the pixel masks), ``plots/`` (one score
    plot per video and ``roc.png``) and ``overlay_<video>.mp4``. Everything that can be checked
    is checked before the first frame is scored; nothing is left behind on failure. An existing
    ``out`` is replaced only if it is empty or an earlier report. Returns the metrics dict.

    Example:
        >>> evaluate_student("run/student.pt", "data/synthetic", "reports/synthetic")["micro_auc"]   # doctest: +SKIP
        0.93
    """
    from pipeline.datasets import open_dataset

    _check_settings(options)
    out = Path(out)
    _check_report_folder(out)
    dataset = open_dataset(dataset_root)
    stored = _stored_checkpoint(checkpoint)
    model = load_inference_student(checkpoint, options.device, options.runtime, options.dtype, options.batch_size,
                                   _calibration(stored, dataset, options))
    alarm_calibration = stored.get("calibration")
    videos = _labelled_test_videos(dataset, dataset_root)
    overlay_id = _overlay_video_id(videos, options.overlay_video)

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)  # left by an earlier run that was killed
    partial.mkdir()
    try:
        result = _write_report(partial, model, dataset, videos, overlay_id, options, alarm_calibration)
        result.update(checkpoint=str(checkpoint), dataset=str(dataset_root))
        metrics.write_json_atomic(partial / "metrics.json", _ordered(result))
        replace_folder(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return result


def _stored_checkpoint(checkpoint):
    """The checkpoint's stored dict, read once; {} when unreadable (load_inference_student then says why)."""
    from student import load_checkpoint

    try:
        return load_checkpoint(checkpoint)
    except (ValueError, OSError):
        return {}


def _calibration(stored, dataset, options):
    """Training frames to calibrate and check int8 or bfloat16 on, when the options can use them."""
    wanted = options.runtime == "onnx-int8" or options.dtype == "bfloat16" or (options.runtime, options.dtype) == (
        "auto", "auto")
    if not wanted:
        return None
    from pipeline.calibration_frames import frames_from_dataset

    try:
        input_size = stored["config"]["input_size"]
    except KeyError:
        return None  # the checkpoint's own error is raised when it is loaded
    return frames_from_dataset(dataset, input_size) or None


def _check_settings(options):
    metrics.smooth_scores({"check": np.zeros(1)}, options.sigma, options.smoothing, options.window)
    check_rate(options.false_alarm_rate)
    if not np.isfinite(options.region_threshold):
        raise FastaedError(f"--region-threshold {options.region_threshold}: give a finite number (teacher units)")
    if options.batch_size < 1:
        raise FastaedError(f"--batch-size {options.batch_size}: give a positive number of frames")


def _check_report_folder(out):
    if out.exists() and not out.is_dir():
        raise FastaedError(f"report folder {out} is a file: give a folder path for --out")
    if out.is_dir() and any(out.iterdir()) and not (out / "metrics.json").is_file():
        raise FastaedError(f"report folder {out} exists and is not an earlier report (no metrics.json): "
                           "choose another --out or empty that folder")


def _labelled_test_videos(dataset, root):
    videos = [video for video in dataset.test if video.labels is not None]
    if not videos:
        raise FastaedError(f"dataset {root} has no frame labels for its test videos: evaluate needs ground truth "
                           "(use `fastaed score` to score unlabelled video)")
    return videos


def _overlay_video_id(videos, wanted):
    ids = [video.id for video in videos]
    if wanted is None:
        return ids[0]
    if wanted not in ids:
        shown = ", ".join(ids[:10]) + (", ..." if len(ids) > 10 else "")
        raise FastaedError(f"--overlay-video {wanted}: no labelled test video has that id; choose one of {shown}")
    return wanted


def _write_report(folder, model, dataset, videos, overlay_id, options, alarm_calibration):
    raw_scores, regions = {}, []
    started = time.perf_counter()
    with tqdm(total=sum(len(video) for video in videos), unit="frame", disable=not options.progress,
              dynamic_ncols=True) as bar:
        for number, video in enumerate(videos, start=1):
            bar.set_description(f"evaluate video {number}/{len(videos)} ({video.id})")
            overlay = folder / f"overlay_{video.id}.mp4" if video.id == overlay_id else None
            raw_scores[video.id], found = _score_video(model, video, options, overlay, bar)
            regions += found
    seconds = time.perf_counter() - started

    labels = {video.id: video.labels for video in videos}
    num_frames = sum(len(frames) for frames in labels.values())
    scores = metrics.smooth_scores(raw_scores, options.sigma, options.smoothing, options.window)
    result = metrics.frame_metrics(scores, labels)
    result["macro_auc_convention"] = "padded"
    tracks, note = _ground_truth_tracks(videos, options.progress)
    if tracks:
        result.update(metrics.localization_metrics(regions, tracks, num_frames))
    else:
        result.update(rbdc=None, tbdc=None)
    result["tracks"] = note
    result["alarms"] = _alarms(raw_scores, labels, alarm_calibration, options.false_alarm_rate)

    _write_regions(folder / "regions.csv", regions)
    _write_tracks(folder / "tracks.csv", tracks)
    metrics.write_json_atomic(folder / "scores.json", {video: s.tolist() for video, s in scores.items()})
    metrics.write_json_atomic(folder / "raw_scores.json", {video: s.tolist() for video, s in raw_scores.items()})
    _write_plots(folder / "plots", scores, labels)

    skipped = [video.id for video in dataset.test if video.labels is None]
    result.update(
        dataset_name=dataset.name, layout=dataset.layout, smoothing=options.smoothing, sigma=float(options.sigma),
        window=(options.window or metrics.REFERENCE_WINDOW) if options.smoothing == "reference" else None,
        frame_score=frame_score_description(model.config), regions=REGIONS, region_threshold=float(options.region_threshold),
        num_regions=len(regions), num_videos=len(videos), num_frames=int(num_frames),
        unlabelled_videos_skipped=skipped, student=dict(model.config), device=options.device,
        runtime=model.runtime_choice["runtime"], dtype=model.runtime_choice["dtype"],
        runtime_choice=model.runtime_choice,
        seconds=round(seconds, 3), frames_per_second=round(num_frames / seconds, 1) if seconds > 0 else None,
        overlay=f"overlay_{overlay_id}.mp4")
    return result


def _score_video(model, video, options, overlay_path, bar):
    """Raw frame scores (T,) and predicted regions of one video, writing its overlay on the way if asked."""
    scores, regions = [], []
    writer = OverlayWriter(overlay_path, OVERLAY_FPS, atomic=False) if overlay_path else nullcontext()
    with writer:
        for item in stream_frame_scores(model, video.iter_frames(), options.batch_size, return_maps=True,
                                        keep_frames=overlay_path is not None):
            scores.append(item.score)
            regions += [region._replace(frame=item.index) for region in
                        metrics.regions_from_maps(video.id, [item.map], options.region_threshold, video.frame_size)]
            if overlay_path is not None:
                writer.write(item.frame, item.map, item.index, item.score)
            bar.update(1)
    scores = np.asarray(scores, dtype=np.float64)
    if not np.isfinite(scores).all():
        raise FastaedError(f"the student gave non-finite scores (NaN or infinity) on test video {video.id}: "
                           "its checkpoint is broken; train it again or use an earlier checkpoint")
    return scores, regions


def _alarms(raw_scores, labels, calibration, rate):
    """The alarms block, or a note saying why there is none."""
    try:
        check_calibration(calibration, "")
    except FastaedError:
        return {"note": "none: the checkpoint holds no calibration on normal footage (`fastaed calibrate`)"}
    return {**assess_alarms(raw_scores, labels, calibration, rate), "calibration": describe(calibration)}


def _ground_truth_tracks(videos, progress):
    """Tracks from the pixel masks of every video, with the note that says where they come from."""
    without = [video.id for video in videos if not video.has_masks]
    if without:
        return [], f"none: test videos {', '.join(without[:5])} have no pixel masks, so no RBDC/TBDC"
    tracks = []
    for video in tqdm(videos, desc="tracks from masks", unit="video", disable=not progress, dynamic_ncols=True):
        tracks += metrics.tracks_from_masks(video.id, (video.mask(i) for i in range(len(video))))
    if not tracks:
        return [], "none: the pixel masks hold no anomalous region, so no RBDC/TBDC"
    return tracks, TRACKS_FROM_MASKS


def _write_regions(path, regions):
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(REGION_COLUMNS)
        writer.writerows((r.video, r.frame, r.x1, r.y1, r.x2, r.y2, repr(float(r.score))) for r in regions)


def _write_tracks(path, tracks):
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(TRACK_COLUMNS)
        writer.writerows(tracks)


def _write_plots(folder, scores, labels):
    folder.mkdir()
    names = metrics.plot_file_names(sorted(labels))
    for video in sorted(labels):
        metrics.plot_video_scores(folder / names[video], video, scores[video], labels[video])
    metrics.plot_roc(folder / "roc.png", scores, labels)


def _ordered(result):
    """The metrics first, then the settings, so that metrics.json reads top-down."""
    first = ("micro_auc", "macro_auc", "macro_auc_plain", "rbdc", "tbdc", "tracks", "alarms", "checkpoint", "dataset",
             "sigma", "smoothing")
    return {**{key: result[key] for key in first}, **{k: v for k, v in result.items() if k not in first}}


