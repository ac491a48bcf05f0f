"""`fastaed train-student`: distil the teachers' maps in a SHARDS folder into a student, from shards alone.

Writes, in RUN (each file atomically, after every epoch):

- ``student.pt``: the checkpoint (model, discriminators, both optimizers, epoch, log);
- ``train_log.json``: the run (student config, shards, settings) and one entry per epoch;
- ``train_log.tsv``: epoch, mse, adv_g, adv_d, seconds (for ``dvc plots``);
- ``train_metrics.json``: the last epoch's losses (for ``dvc metrics``).

Only training shards are read. There is no model selection: the checkpoint is the last epoch's,
so no test label (nor any test frame) can influence it.

Frame scores: the checkpoint keeps the teachers' fusion that ``SHARDS/report.json`` chose (for
example ``sum@0.999``, with each teacher's calibration on normal training frames), and the student
combines its per-teacher maps the same way, so its frame scores are on the fused teachers' scale.

Alarm calibration: the last ``--calibration-fraction`` (default 10%) of each training video's
frames, and the 3 before them, are left out of the fit; after training the student scores those
held-out tails as `fastaed score` would (causal smoothing, sigma 3) and the checkpoint stores the
distribution of their scores, from which `score --false-alarm-rate F` takes its threshold. A tail
rather than whole videos keeps the cost to the student small whatever the number of videos; its
frames are unseen but come from the same recordings as frames the student fitted, and the
pseudo-anomaly clips are still made from the whole videos.

Example:
    $ fastaed train-student --shards data/shards --out data/run
    $ fastaed train-student --shards data/shards --out data/run --epochs 60 --resume
    $ fastaed train-student --shards data/shards --out data/run_one --teachers density --adv-weight 0
"""
import contextlib
import json
import os
import signal
import sys
import threading
from pathlib import Path

import click

from pipeline.atomic_files import atomic_output
from pipeline.errors import FastaedError

CHECKPOINT = "student.pt"
LOG_JSON = "train_log.json"
LOG_TSV = "train_log.tsv"
METRICS_JSON = "train_metrics.json"
LOG_COLUMNS = ("epoch", "mse", "adv_g", "adv_d", "seconds")

DEFAULT_EPOCHS = "auto"
TRAINING_STEPS = 1880
"""Optimisation steps that ``--epochs auto`` aims for: the tuning scenes' 40 epochs of 47 batches
(synthetic seeds 11 and 12, student seeds 0 and 1; see docs/results.md). On Ped2 (9,923 training
and pseudo-anomaly frames outside the held-out tails) it comes to 13 epochs."""
DEFAULT_BATCH_SIZE = 64
DEFAULT_LR = 1e-3
DEFAULT_ADV_WEIGHT = 0.1
DEFAULT_WORKERS = 2
DEFAULT_PSEUDO_ANOMALIES = True
DEFAULT_AUGMENT = True
DEFAULT_CALIBRATION_FRACTION = 0.1


def resolve_epochs(epochs, frames, batch_size):
    """The number of epochs ``--epochs`` asks for: a positive integer as given, or for ``auto`` the
    fewest epochs of ``frames`` training frames that make :data:`TRAINING_STEPS` optimisation steps.

    Example:
        >>> resolve_epochs("auto", 9923, 64), resolve_epochs("auto", 2952, 64), resolve_epochs("8", 2952, 64)
        (13, 40, 8)
    """
    if str(epochs).strip().lower() == "auto":
        steps_per_epoch = -(-frames // batch_size)
        return max(1, -(-TRAINING_STEPS // steps_per_epoch))
    try:
        value = int(epochs)
    except ValueError:
        value = 0
    if value < 1:
        raise FastaedError(f"--epochs {epochs!r} is neither a positive whole number nor 'auto': give one of these")
    return value


def check_size(size):
    """The student size ``size`` (default: the default size), FastaedError for an unknown one.

    Example:
        >>> check_size(None)
        'fast'
    """
    from student import DEFAULT_SIZE, STUDENT_SIZES

    size = size or DEFAULT_SIZE
    if size not in STUDENT_SIZES:
        raise FastaedError(f"--size {size}: choose one of {', '.join(STUDENT_SIZES)}")
    return size


def check_device(device):
    """FastaedError when ``device`` is ``cuda`` and this torch cannot use a GPU.

    Example:
        >>> check_device("cpu")
    """
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        why = "this torch has no CUDA support" if torch.version.cuda is None else "no CUDA GPU is visible"
        raise FastaedError(f"--device cuda: {why} (torch {torch.__version__}): use --device cpu, or run on a "
                           f"machine with a CUDA GPU and a CUDA build of torch")


def read_resume_checkpoint(path, size):
    """The checkpoint at ``path`` as :func:`student.load_checkpoint` reads it, its errors as FastaedError.

    Example:
        >>> read_resume_checkpoint("run/student.pt", "fast")["epoch"]      # doctest: +SKIP
        3
    """
    from student import load_checkpoint

    try:
        return load_checkpoint(path, size=size)
    except ValueError as error:
        raise FastaedError(f"--resume: {error}") from error


def check_input_size(shards, frame_size, size, input_size):
    """FastaedError unless the shards' stored frames (H, W) are the student's input size.

    Example:
        >>> check_input_size("s", (80, 120), "fast", (80, 120))
    """
    from student import STUDENT_SIZES

    if tuple(frame_size) == tuple(input_size):
        return
    fitting = [name for name, spec in STUDENT_SIZES.items() if tuple(spec.input_size) == tuple(frame_size)]
    other = f", or use --size {fitting[0]}, which takes them" if fitting else ""
    raise FastaedError(
        f"{shards}: the shards hold {_size_text(frame_size)} frames but the '{size}' student takes "
        f"{_size_text(input_size)}: precompute shards for it with `fastaed precompute-teachers "
        f"--frame-size {_size_text(input_size)}`{other}")


def write_outputs(run, header, log):
    """Write ``train_log.json``, ``train_log.tsv`` and ``train_metrics.json`` in ``run`` atomically.

    ``header`` describes the run (plain values), ``log`` is the list of per-epoch entries.

    Example:
        >>> import tempfile
        >>> run = Path(tempfile.mkdtemp())
        >>> write_outputs(run, {"size": "fast"}, [{"epoch": 1, "mse": 0.5, "adv_g": 0.7, "adv_d": 1.4, "seconds": 2.0}])
        >>> (run / "train_log.tsv").read_text().splitlines()[1]
        '1\\t0.5\\t0.7\\t1.4\\t2.0'
    """
    run = Path(run)
    _write_text(run / LOG_JSON, json.dumps({**header, "log": log}, indent=1) + "\n")
    rows = ["\t".join(LOG_COLUMNS)] + ["\t".join(str(entry[column]) for column in LOG_COLUMNS) for entry in log]
    _write_text(run / LOG_TSV, "\n".join(rows) + "\n")
    last = log[-1] if log else {}
    metrics = {"epochs": len(log), **{name: last.get(name) for name in ("mse", "adv_g", "adv_d")},
               "seconds": sum(entry["seconds"] for entry in log)}
    _write_text(run / METRICS_JSON, json.dumps(metrics, indent=1) + "\n")


def _write_text(path, text):
    with atomic_output(path) as tmp:
        tmp.write_text(text)


def _size_text(size):
    return "x".join(str(v) for v in size)


def resumed_teachers(checkpoint_path, checkpoint, chosen):
    """The teachers a resumed run learns: the checkpoint's; FastaedError when ``chosen`` (if given) differs.

    Example:
        >>> resumed_teachers("run/student.pt", {"config": {"teachers": ["density"]}}, None)
        ['density']
    """
    trained_with = list(checkpoint["config"]["teachers"])
    if chosen is not None and list(chosen) != trained_with:
        raise FastaedError(f"--resume: {checkpoint_path} was trained with --teachers {','.join(trained_with)}, "
                           f"not {','.join(chosen)}: resume with those, or use --overwrite or another --out")
    return trained_with


def teachers_fusion(shards, teachers):
    """The fusion of the shards' report over ``teachers``: the student scores its maps with it, so its
    frame scores are on the fused teachers' scale. None when the shards have no report (the student
    then scores the mean of its maps).

    Example:
        >>> teachers_fusion("shards", ["density"]).calibration                # doctest: +SKIP
        {'density': (0.0, 2.61)}
    """
    from pipeline.precompute.report import read_fusion

    fusion = read_fusion(shards)
    if fusion is None:
        return None
    try:
        return fusion.restricted_to(teachers)
    except ValueError as error:
        raise FastaedError(f"{shards}: {error}: precompute the shards again with these teachers") from error


def check_same_shards(run, config_hash):
    """FastaedError when ``run``'s log says it was trained on shards of another configuration hash.

    Example:
        >>> check_same_shards("a/run/that/does/not/exist", "0123456789abcdef")
    """
    try:
        previous = json.loads((Path(run) / LOG_JSON).read_text()).get("shards_config_hash")
    except (OSError, ValueError, AttributeError):
        return
    if previous not in (None, config_hash):
        raise FastaedError(f"--resume: {run} was trained on shards of another configuration ({previous}, these "
                           f"are {config_hash}): use the same --shards, or --overwrite or another --out")


@contextlib.contextmanager
def stop_on_ctrl_c():
    """Yield ``stop_requested()``: True once Ctrl-C (SIGINT) was pressed; a second Ctrl-C interrupts at once.

    Training then stops between two batches, never inside a checkpoint write or a DataLoader's
    shutdown (where a KeyboardInterrupt can be swallowed).

    Example:
        >>> with stop_on_ctrl_c() as stop_requested:
        ...     stop_requested()
        False
    """
    requested = threading.Event()

    def handler(signum, frame):
        if requested.is_set():
            raise KeyboardInterrupt
        requested.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield requested.is_set
    finally:
        signal.signal(signal.SIGINT, previous)


RECIPE_OPTIONS = (
    click.option("--size", default=None, metavar="NAME",
                 help="Student size: fast (CPU speed), accurate (fast's network at 120x180, for accuracy on CPUs), "
                      "separable (fast with depthwise-separable convolutions: faster, less accurate) or paper (GPU)  "
                      "[default: fast]; a resumed checkpoint must be of it."),
    click.option("--epochs", default=DEFAULT_EPOCHS, show_default=True, metavar="N|auto",
                 help=f"Total epochs (with --resume, including those already done); auto: as many as make about "
                      f"{TRAINING_STEPS} optimisation steps over these shards."),
    click.option("--batch-size", default=DEFAULT_BATCH_SIZE, show_default=True, type=click.IntRange(min=1)),
    click.option("--lr", default=DEFAULT_LR, show_default=True, type=click.FloatRange(min=0, min_open=True),
                 help="Adam learning rate of the student and the discriminators."),
    click.option("--lr-schedule", default="cosine", show_default=True, type=click.Choice(["cosine", "constant"]),
                 help="cosine: the rate falls from --lr to 0 over all --epochs (a resumed run continues the curve "
                      "for the same --epochs); constant: --lr throughout."),
    click.option("--adv-weight", default=DEFAULT_ADV_WEIGHT, show_default=True, type=click.FloatRange(min=0),
                 help="Weight of the adversarial loss (0: plain MSE distillation, no discriminators)."),
    click.option("--teachers", default=None, metavar="A,B",
                 help="Teachers whose maps to learn, in head order  [default: all in the shards; when resuming, "
                      "the checkpoint's]."),
    click.option("--pseudo-anomalies", type=click.BOOL, default=DEFAULT_PSEUDO_ANOMALIES, show_default=True,
                 metavar="true|false",
                 help="Also learn the teachers' maps of the pseudo-anomaly clips in SHARDS/pseudo/ (training "
                      "videos made abnormal on purpose)."),
    click.option("--augment", type=click.BOOL, default=DEFAULT_AUGMENT, show_default=True, metavar="true|false",
                 help="Jitter each training input's brightness and add pixel noise (the targets stay the teachers' "
                      "maps): the student then holds on test video far better."),
    click.option("--calibration-fraction", default=DEFAULT_CALIBRATION_FRACTION, show_default=True,
                 type=click.FloatRange(min=0, max=1, max_open=True),
                 help="Fraction of each training video (its last frames) held out of the fit and scored after it "
                      "to calibrate alarms on normal footage (0: none; then run `fastaed calibrate`)."),
    click.option("--device", default="cpu", show_default=True, type=click.Choice(["cpu", "cuda"])),
    click.option("--workers", default=DEFAULT_WORKERS, show_default=True, type=click.IntRange(min=0),
                 help="DataLoader worker processes reading the shards (0: read in the training process)."),
    click.option("--seed", default=0, show_default=True, type=int,
                 help="Seed of the initial weights and the shuffling."),
    click.option("--quiet", is_flag=True, help="No progress bar or per-epoch lines."),
)
"""The options of the student's recipe, shared by ``train-student`` and ``validate-student``."""


def recipe_options(command):
    """Add every option of :data:`RECIPE_OPTIONS` to a click ``command`` (in that order in ``--help``)."""
    for option in reversed(RECIPE_OPTIONS):
        command = option(command)
    return command


@click.command("train-student")
@click.option("--shards", "shards", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Shards folder written by `fastaed precompute-teachers` (only its training shards are read).")
@click.option("--out", "run", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Run folder: student.pt, train_log.json, train_log.tsv, train_metrics.json.")
@recipe_options
@click.option("--resume", is_flag=True, help="Continue from RUN/student.pt after its last completed epoch.")
@click.option("--overwrite", is_flag=True, help="Start again although RUN/student.pt exists (it is replaced).")
def command(shards, run, resume, overwrite, **recipe):
    """Train the student on the teachers' maps in SHARDS, reading nothing but the training shards.

    A checkpoint is written after every epoch; --resume continues an interrupted run.
    """
    checkpoint_path, data = train_from_shards(shards, run, resume=resume, overwrite=overwrite, **recipe)
    click.echo(calibrate_on_held_out(checkpoint_path, data, recipe["device"], progress=not recipe["quiet"]))


def train_from_shards(shards, run, size=None, epochs=DEFAULT_EPOCHS, batch_size=DEFAULT_BATCH_SIZE, lr=DEFAULT_LR,
                      lr_schedule="cosine", adv_weight=DEFAULT_ADV_WEIGHT, teachers=None,
                      pseudo_anomalies=DEFAULT_PSEUDO_ANOMALIES, augment=DEFAULT_AUGMENT,
                      calibration_fraction=DEFAULT_CALIBRATION_FRACTION, device="cpu", workers=DEFAULT_WORKERS,
                      seed=0, quiet=False, resume=False, overwrite=False, exclude_videos=()):
    """Train a student on ``shards`` into the folder ``run`` (the options of ``train-student``);
    ``exclude_videos`` leaves those training videos and their pseudo-anomaly clips out. Return
    ``(checkpoint path, the ShardTrainingSet it was trained on)``.

    Example:
        >>> path, data = train_from_shards("shards", "run", epochs="2", workers=0)     # doctest: +SKIP
        >>> path.name, len(data.shards)                                                # doctest: +SKIP
        ('student.pt', 12)
    """
    import torch
    from tqdm import tqdm

    from pipeline.shards.format import PSEUDO_SPLIT
    from pipeline.training_data import SPLIT as TRAIN_SPLIT
    from pipeline.training_data import ShardTrainingSet
    from student import STUDENT_SIZES, build_student, train

    run = Path(run)
    if resume and overwrite:
        raise FastaedError("--resume and --overwrite exclude each other: resume keeps RUN/student.pt, "
                           "overwrite replaces it")
    check_device(device)
    checkpoint_path = run / CHECKPOINT
    size = check_size(size)
    if checkpoint_path.exists() and not (resume or overwrite):
        raise FastaedError(f"{checkpoint_path} exists: add --resume to continue it, --overwrite to start "
                           f"again, or choose another --out")
    chosen = [name.strip() for name in teachers.split(",") if name.strip()] if teachers is not None else None
    checkpoint = read_resume_checkpoint(checkpoint_path, size) if resume and checkpoint_path.exists() else None
    if checkpoint is not None:
        chosen = resumed_teachers(checkpoint_path, checkpoint, chosen)
    data = ShardTrainingSet(shards, teachers=chosen, pseudo_anomalies=pseudo_anomalies,
                            holdout_fraction=calibration_fraction, exclude_videos=exclude_videos)
    if checkpoint is not None:
        check_same_shards(run, data.config_hash)
    input_size = checkpoint["config"]["input_size"] if checkpoint is not None else STUDENT_SIZES[size].input_size
    check_input_size(shards, data.frame_size, size, input_size)
    epochs = resolve_epochs(epochs, len(data), batch_size)

    if overwrite:
        for name in (CHECKPOINT, LOG_JSON, LOG_TSV, METRICS_JSON):
            (run / name).unlink(missing_ok=True)
    run.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    model = build_student(size, list(data.teachers), input_size)
    fusion = teachers_fusion(shards, data.teachers)
    if fusion is not None:
        model.config["fusion"] = fusion.to_dict()
    header = {"student": dict(model.config), "shards": os.fspath(shards), "shards_config_hash": data.config_hash,
              "train_videos": [shard.video for shard in data.shards if shard.split == TRAIN_SPLIT],
              "pseudo_clips": [shard.video for shard in data.shards if shard.split == PSEUDO_SPLIT],
              "train_frames": len(data),
              "calibration_held_out": {video: f"frames {start}-" for video, start in data.held_out.items()},
              "settings": {"epochs": epochs, "batch_size": batch_size, "lr": lr, "lr_schedule": lr_schedule,
                           "adv_weight": adv_weight,
                           "pseudo_anomalies": pseudo_anomalies, "augment": augment,
                           "calibration_fraction": calibration_fraction,
                           "device": device, "workers": workers, "seed": seed}}
    if exclude_videos:
        header["left_out_videos"] = sorted(exclude_videos)
    log = list(checkpoint["log"]) if checkpoint is not None else []
    done = checkpoint["epoch"] if checkpoint is not None else 0
    if not quiet:
        start = f"resuming after epoch {done}" if done else "starting"
        scoring = f"frame scores fused as {fusion.name}" if fusion is not None else "frame scores from the mean map"
        tqdm.write(f"fastaed: {start}: '{size}' student, teachers {', '.join(data.teachers)}, {len(data)} training "
                   f"frames of {len(data.shards)} videos, {_size_text(data.frame_size)}, {scoring}", file=sys.stderr)

    def on_epoch(entry):
        log.append(entry)
        write_outputs(run, header, log)
        if not quiet:
            tqdm.write(f"epoch {entry['epoch']}/{epochs}: mse {entry['mse']:.4f}, adv_g {entry['adv_g']:.4f}, "
                       f"adv_d {entry['adv_d']:.4f} ({entry['seconds']:.1f} s)", file=sys.stderr)

    try:
        with stop_on_ctrl_c() as stop_requested:
            train(model, None, data, epochs=epochs, batch_size=batch_size, lr=lr, adv_weight=adv_weight,
                  device=device, num_workers=workers, checkpoint_path=checkpoint_path,
                  resume=checkpoint is not None, seed=seed, progress=not quiet, on_epoch=on_epoch,
                  should_stop=stop_requested, lr_schedule=lr_schedule, augment=augment)
    except ValueError as error:  # the student's own checks: one clear line each
        raise FastaedError(str(error)) from error
    write_outputs(run, header, log)
    final = log[-1]
    click.echo(f"student in {checkpoint_path}: {final['epoch']} epochs, mse {final['mse']:.4f}, "
               f"adv_g {final['adv_g']:.4f}, adv_d {final['adv_d']:.4f}")
    return checkpoint_path, data


def calibrate_on_held_out(checkpoint_path, data, device, progress=True):
    """Calibrate the trained checkpoint's alarms on the frames ``data`` held out; return a line saying so.

    Example:
        >>> calibrate_on_held_out("run/student.pt", data, "cpu")          # doctest: +SKIP
        'alarms calibrated on 32 normal frames of 4 videos (held-out tails of the training videos), causal sigma 3'
    """
    from pipeline.alarms.calibration import calibrate_on_videos, describe, write_calibration
    from pipeline.evaluation.inference import load_inference_student

    if not data.held_out:
        return ("no alarm calibration (no training frames held out): run `fastaed calibrate` on normal footage "
                "before `score --false-alarm-rate`")
    model = load_inference_student(checkpoint_path, device)
    videos = [(video, iter(frames), len(frames)) for video, frames in data.held_out_frames()]
    calibration = calibrate_on_videos(model, videos, source="held-out tails of the training videos",
                                      progress=progress)
    write_calibration(checkpoint_path, calibration)
    return f"alarms {describe(calibration)}"
