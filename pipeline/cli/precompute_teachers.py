"""`fastaed precompute-teachers`: detect objects, fit the teachers (cross-fitted), write one shard per video.

Example:
    $ fastaed precompute-teachers --dataset data/synthetic --out data/shards
    $ fastaed precompute-teachers --dataset ../shared/data/ucsd_ped2 --out /tmp/ped2_shards --workers 2
    $ fastaed precompute-teachers --dataset data/ped2 --out data/shards --scheduler tcp://10.0.0.5:8786
"""
import json

import click

from pipeline.errors import FastaedError
from pipeline.precompute.fusion import fusion_names
from pipeline.precompute.config import (
    DEFAULT_DETECTOR,
    DEFAULT_FOLDS,
    DEFAULT_LINK_RADIUS,
    DEFAULT_PSEUDO_ANOMALIES,
    DEFAULT_SIGMA,
    DEFAULT_TEACHERS,
    PrecomputeOptions,
)


def default_frame_size():
    """The default student's input size (H, W): the shards' frames are stored at that size.

    Example:
        >>> default_frame_size()
        (80, 120)
    """
    from student.networks import DEFAULT_SIZE, STUDENT_SIZES

    return tuple(STUDENT_SIZES[DEFAULT_SIZE].input_size)


def parse_frame_size(text):
    """``"80x120"`` -> (80, 120); FastaedError otherwise.

    Example:
        >>> parse_frame_size("64x96")
        (64, 96)
    """
    try:
        height, width = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise FastaedError(f"--frame-size {text!r}: write it as HEIGHTxWIDTH, for example 80x120") from None
    if height < 8 or width < 8:
        raise FastaedError(f"--frame-size {text}: frames must be at least 8x8 pixels")
    return height, width


def parse_option(text, flag):
    """``"KEY=VALUE"`` -> (key, value); the value is read as JSON when it parses (3, 0.5, true, [1, 2]),
    else kept as text.

    Example:
        >>> parse_option("threshold=25", "--detector-option"), parse_option("preset=fast", "--detector-option")
        (('threshold', 25), ('preset', 'fast'))
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise FastaedError(f"{flag} {text!r}: write it as KEY=VALUE, for example threshold=25")
    try:
        return key.strip(), json.loads(value)
    except ValueError:
        return key.strip(), value


def parse_teacher_options(texts, teachers):
    """``["density.k=5", ...]`` -> {"density": {"k": 5}}, checking the teacher is one of ``teachers``.

    Example:
        >>> parse_teacher_options(["autoencoder.epochs=3"], ["density", "autoencoder"])
        {'autoencoder': {'epochs': 3}}
    """
    options = {}
    for text in texts:
        teacher, dot, rest = text.partition(".")
        if not dot or teacher not in teachers:
            raise FastaedError(f"--teacher-option {text!r}: write it as TEACHER.KEY=VALUE with TEACHER one of "
                               f"{', '.join(teachers)}")
        key, value = parse_option(rest, "--teacher-option")
        options.setdefault(teacher, {})[key] = value
    return options


def check_names(teachers, detector):
    """FastaedError for an unknown teacher or detector name, listing the known ones.

    Example:
        >>> check_names(["density"], "foreground")
    """
    from teachers import available_detectors, available_teachers

    unknown = [t for t in teachers if t not in available_teachers()]
    if unknown or not teachers or len(set(teachers)) != len(teachers):
        raise FastaedError(f"--teachers {','.join(teachers)}: name each teacher once, from "
                           f"{', '.join(available_teachers())}")
    if detector not in available_detectors():
        raise FastaedError(f"--detector {detector}: use one of {', '.join(available_detectors())}")


@click.command("precompute-teachers")
@click.option("--dataset", "dataset", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Dataset root (any layout `fastaed dataset-info` recognises).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Shards folder: SHARDS/{train,test}/<video>.h5, manifest.json, report.json, teachers/, cache/.")
@click.option("--detector", default=DEFAULT_DETECTOR, show_default=True,
              help="foreground, torchvision, detectron2, or boxes (detections from CSV files: "
                   "--detector-option path=DIR).")
@click.option("--detector-option", "detector_options", multiple=True, metavar="KEY=VALUE",
              help="Detector option (repeatable), e.g. threshold=25 or checkpoint=/models/frcnn.pt.")
@click.option("--teachers", "teachers", default=",".join(DEFAULT_TEACHERS), show_default=True,
              help="Comma-separated teachers; their maps are stored in this order.")
@click.option("--teacher-option", "teacher_options", multiple=True, metavar="TEACHER.KEY=VALUE",
              help="Teacher option (repeatable), e.g. density.k=5 or autoencoder.epochs=10.")
@click.option("--folds", default=DEFAULT_FOLDS, show_default=True, type=int,
              help="Cross-fitting folds of the training videos (at most one per training video).")
@click.option("--workers", type=int, default=None, help="Local worker processes  [default: one per core].")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Use this existing dask.distributed scheduler instead of a local cluster; the dataset "
                   "and --out must be at the same paths on every worker. A worker process runs one task at a "
                   "time: start workers with `dask worker ADDRESS --nworkers N --nthreads 1`.")
@click.option("--frame-size", default=None, metavar="HxW",
              help="Student input frame size stored in the shards  [default: the default student's, 80x120].")
@click.option("--pseudo-anomalies", "pseudo_anomalies", default=",".join(DEFAULT_PSEUDO_ANOMALIES), show_default=True,
              help="Pseudo-anomaly clips made from each training video, scored by its fold's teachers and "
                   "written to SHARDS/pseudo/ for the student: some of skip2, skip4, reverse, patch, or none.")
@click.option("--link-radius", default=DEFAULT_LINK_RADIUS, show_default=True, type=click.IntRange(min=0),
              help="Frames over which an object's score becomes the median of its linked boxes (0: off).")
@click.option("--sigma", default=DEFAULT_SIGMA, show_default=True, type=click.FloatRange(min=0),
              help="Gaussian smoothing (frames) of the frame scores in report.json (unsmoothed numbers too).")
@click.option("--fusion", default="auto", show_default=True,
              help="The teachers' fusion in report.json: auto (the best on the validation, training frames "
                   "against their pseudo-anomaly clips), or one of " + ", ".join(fusion_names()) + ".")
@click.option("--overwrite", is_flag=True,
              help="Replace shards of another configuration found in --out (complete shards of this "
                   "configuration are still kept; delete --out to recompute everything).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(dataset, out, detector, detector_options, teachers, teacher_options, folds, workers, scheduler,
            frame_size, pseudo_anomalies, link_radius, sigma, fusion, overwrite, quiet):
    """Detect objects, fit the teachers on training video (cross-fitted), and write one HDF5 shard per video.

    Rerunning resumes: complete shards of the same configuration are kept, missing or damaged ones
    are redone, and shards of another configuration are refused unless --overwrite.
    """
    from pipeline.precompute import precompute_teachers
    from pipeline.precompute.pseudo import parse_kinds

    if workers is not None and scheduler is not None:
        raise FastaedError("--workers and --scheduler exclude each other: the scheduler's cluster has its own workers")
    if scheduler is not None and not scheduler.startswith(("tcp://", "tls://", "ucx://", "inproc://")):
        raise FastaedError(f"--scheduler {scheduler}: give the scheduler address, e.g. tcp://127.0.0.1:8786")
    names = [name.strip() for name in teachers.split(",") if name.strip()]
    check_names(names, detector)
    if fusion not in ("auto", *fusion_names()):
        raise FastaedError(f"--fusion {fusion}: use auto or one of {', '.join(fusion_names())}")
    try:
        kinds = parse_kinds(pseudo_anomalies)
    except ValueError as error:
        raise FastaedError(f"--pseudo-anomalies {pseudo_anomalies}: {error}") from None
    options = PrecomputeOptions(
        frame_size=parse_frame_size(frame_size) if frame_size else default_frame_size(),
        detector=detector,
        detector_options=dict(parse_option(text, "--detector-option") for text in detector_options),
        teachers=tuple(names), teacher_options=parse_teacher_options(teacher_options, names),
        folds=folds, link_radius=link_radius, pseudo_anomalies=kinds)
    report = precompute_teachers(dataset, out, options, workers=workers, scheduler=scheduler,
                                 overwrite=overwrite, sigma=sigma, fusion=fusion, progress=not quiet)
    click.echo(summary_line(out, report))


def summary_line(out, report):
    """One line: where the shards are, the teachers' and their fusion's micro AUCs, and the speed.

    Example:
        >>> summary_line("s", {"teachers": {"density": {"micro_auc": 0.9}}, "fused": {"micro_auc": 0.95},
        ...                    "fusion": {"name": "sum@0.999"}, "seconds_per_frame": 0.01})
        'shards in s; micro AUC density 0.900, fused (sum@0.999) 0.950; teachers 100.0 frames/s per core'
    """
    def auc(value):
        return "n/a" if value is None else f"{value:.3f}"

    parts = [f"{name} {auc(values['micro_auc'])}" for name, values in report["teachers"].items()]
    parts.append(f"fused ({report['fusion']['name']}) {auc(report['fused']['micro_auc'])}")
    speed = report.get("seconds_per_frame")
    rate = f"{1 / speed:.1f} frames/s per core" if speed else "speed n/a"
    return f"shards in {out}; micro AUC {', '.join(parts)}; teachers {rate}"
