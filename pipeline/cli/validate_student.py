"""`fastaed validate-student`: judge a student recipe on training video only, before trusting it.

Leaves a share of the training videos (``--held-out``, spread evenly) and their pseudo-anomaly
clips out, trains a student on the rest with the given recipe (the options of ``train-student``),
then compares it with its teachers on what it left out (:mod:`pipeline.student_validation`).
Writes, in VAL (each file atomically): the fold's ``student.pt`` and training logs,
``validation.json`` and ``validation_roc.png``. No test video or test label is read, so choices
of epochs, weights or sizes can be made on it; the README's "what was chosen on what" names the
ones that were.

Example:
    $ fastaed validate-student --shards data/shards --out data/val
    $ fastaed validate-student --shards data/shards --out data/val_e8 --epochs 8
"""
import json
from pathlib import Path

import click

from pipeline.atomic_files import atomic_output
from pipeline.cli.train_student import CHECKPOINT, recipe_options, train_from_shards
from pipeline.errors import FastaedError

DEFAULT_HELD_OUT = 0.25
"""Share of the training videos left out of the student's training by default."""
REPORT_NAME = "validation.json"
ROC_PLOT_NAME = "validation_roc.png"


@click.command("validate-student")
@click.option("--shards", "shards", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Shards folder written by `fastaed precompute-teachers` with pseudo-anomaly clips.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Validation folder: the fold's student.pt and logs, validation.json, validation_roc.png.")
@click.option("--held-out", default=DEFAULT_HELD_OUT, show_default=True, type=float, metavar="F",
              help="Share of the training videos left out of training and validated on, spread evenly.")
@click.option("--sigma", default=3.0, show_default=True, type=click.FloatRange(min=0),
              help="Gaussian smoothing of the frame scores, in frames, as for the test AUCs.")
@recipe_options
@click.option("--overwrite", is_flag=True, help="Start again although VAL/student.pt exists (it is replaced).")
def command(shards, out, held_out, sigma, overwrite, **recipe):
    """Train a student on some training videos of SHARDS and compare it with its teachers on the others."""
    from pipeline.shards import open_shards
    from pipeline.student_validation import held_out_videos, plot_validation, validate_checkpoint
    from pipeline.training_data import SPLIT

    if not recipe["pseudo_anomalies"]:
        raise FastaedError("--pseudo-anomalies false: the validation's positives are the pseudo-anomaly clips of "
                           "the held-out videos, so this command always needs them")
    if (out / CHECKPOINT).exists() and not overwrite:
        raise FastaedError(f"{out / CHECKPOINT} exists: add --overwrite to validate again, or choose another --out")
    videos = sorted(shard.video for shard in open_shards(shards, SPLIT, verify_checksums=False, require_complete=False))
    left_out = held_out_videos(videos, held_out)
    checkpoint, _ = train_from_shards(shards, out, overwrite=overwrite, exclude_videos=left_out, **recipe)
    report, curves = validate_checkpoint(checkpoint, shards, left_out, sigma, device=recipe["device"],
                                         batch_size=recipe["batch_size"], progress=not recipe["quiet"])
    report = {"shards": str(shards), "trained_on": [v for v in videos if v not in left_out], **report,
              "recipe": json.loads((out / "train_log.json").read_text())["settings"]}
    with atomic_output(out / REPORT_NAME) as tmp:
        tmp.write_text(json.dumps(report, indent=1) + "\n")
    plot_validation(out / ROC_PLOT_NAME, curves)
    click.echo(f"held out {', '.join(left_out)}: validation micro AUC student {_text(report['student']['micro_auc'])}, "
               f"teachers {_text(report['teachers']['micro_auc'])} (ratio {_text(report['relative_micro_auc'])}), "
               f"rank correlation {_text(report['rank_correlation'])}; {out / REPORT_NAME}")


def _text(value):
    return "n/a" if value is None else f"{value:.4f}"
