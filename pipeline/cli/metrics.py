"""`fastaed metrics`: the field's metrics on any method's per-frame scores (and regions).

Example:
    $ fastaed metrics --scores scores.json --labels data/synthetic --sigma 3 --out metrics.json
    $ fastaed metrics --scores s.json --labels labels.json --regions r.csv --tracks t.csv \\
          --smoothing reference --plots plots/
    $ fastaed metrics --scores s.json --labels avenue/ --convention aed-mae-avenue
"""
from pathlib import Path

import click

from pipeline.errors import FastaedError
from pipeline.metrics.conventions import CONVENTIONS, DEFAULT_CONVENTION


@click.command("metrics")
@click.option("--scores", "scores_path", required=True, type=click.Path(path_type=Path),
              help='Scores JSON: {"<video>": [score per frame]}, higher = more anomalous.')
@click.option("--labels", "labels_path", required=True, type=click.Path(path_type=Path),
              help='Labels JSON {"<video>": [0/1 per frame]}, or a dataset root with ground truth.')
@click.option("--regions", "regions_path", type=click.Path(path_type=Path),
              help="Predicted regions CSV: video,frame,x1,y1,x2,y2,score (adds RBDC/TBDC).")
@click.option("--tracks", "tracks_path", type=click.Path(path_type=Path),
              help="Ground-truth tracks CSV: video,track,frame,x1,y1,x2,y2. Without it, tracks are "
                   "derived from the pixel masks of the dataset given as --labels.")
@click.option("--convention", type=click.Choice(list(CONVENTIONS)), default=DEFAULT_CONVENTION, show_default=True,
              help="Whose protocol: fastaed (ours), aed-mae-avenue, aed-mae-shanghaitech, ai-vad or fast-aed, each "
                   "reproducing that reference code's AUCs, smoothing included.")
@click.option("--sigma", type=float, default=None,
              help="Temporal smoothing width in frames; 0 = none. Default: the convention's; for fastaed 0 "
                   "(gaussian), 21 (reference).")
@click.option("--smoothing", type=click.Choice(["gaussian", "reference"]), default=None,
              help="gaussian: scipy's gaussian_filter1d; reference: the paper group's code, exactly  "
                   "[default: the convention's; gaussian for fastaed].")
@click.option("--window", type=int, default=None,
              help="Window R of --smoothing reference (even; default the convention's, else 302).")
@click.option("--out", "out_path", type=click.Path(path_type=Path), help="Write the metrics JSON here.")
@click.option("--plots", "plots_dir", type=click.Path(path_type=Path),
              help="Write per-video score plots and the ROC curve (PNG) into this folder.")
def command(scores_path, labels_path, regions_path, tracks_path, convention, sigma, smoothing, window, out_path,
            plots_dir):
    """Compute the field's metrics on any method's scores.

    Micro AUC, macro AUC (padded convention; the plain one, without single-class videos, beside
    it), per-video AUC and, with predicted regions, RBDC and TBDC. The frame count for the
    false-positive rate is the number of labelled frames. --convention NAME computes the frame
    AUCs exactly as that reference code does (see pipeline.metrics.conventions); the output
    names it.
    """
    from pipeline import metrics

    if tracks_path is not None and regions_path is None:
        raise FastaedError("--tracks given without --regions: RBDC/TBDC need the predicted regions too")
    if regions_path is not None and tracks_path is None and not labels_path.is_dir():
        raise FastaedError("--regions needs ground-truth tracks: give --tracks TRACKS.csv, or a dataset "
                           "root with pixel masks as --labels")
    if plots_dir is not None and plots_dir.exists() and not plots_dir.is_dir():
        raise FastaedError(f"{plots_dir}: --plots must be a folder, and this is a file")
    labels = metrics.read_labels(labels_path)
    raw_scores = metrics.read_scores(scores_path)
    metrics.check_scores_match_labels(raw_scores, labels, scores_path, labels_path)
    result, scores = metrics.convention_metrics(convention, raw_scores, labels, sigma, smoothing, window)

    tracks_source = None
    if regions_path is not None:
        regions = metrics.read_regions(regions_path)
        metrics.check_rows_in_labels(regions, labels, regions_path, labels_path)
        if tracks_path is not None:
            tracks = metrics.read_tracks(tracks_path)
            metrics.check_rows_in_labels(tracks, labels, tracks_path, labels_path)
            tracks_source = str(tracks_path)
        else:
            tracks = metrics.tracks_from_dataset(labels_path)
            metrics.check_rows_in_labels(tracks, labels, "the dataset's pixel masks", labels_path)
            tracks_source = "pixel masks (connected components linked across frames by overlap)"
        num_frames = sum(len(frames) for frames in labels.values())
        result.update(metrics.localization_metrics(regions, tracks, num_frames))
        result["tracks"] = tracks_source

    result.update({
        "num_videos": len(labels),
        "num_frames": int(sum(len(frames) for frames in labels.values())),
    })

    if plots_dir is not None:
        _write_plots(metrics, plots_dir, scores, labels)
    if out_path is not None:
        metrics.write_json_atomic(out_path, result)
    _print_summary(result, out_path, plots_dir)


def _write_plots(metrics, plots_dir, scores, labels):
    from tqdm import tqdm

    plots_dir.mkdir(parents=True, exist_ok=True)
    names = metrics.plot_file_names(sorted(labels))
    for video in tqdm(sorted(labels), desc="plots", unit="video"):
        metrics.plot_video_scores(plots_dir / names[video], video, scores[video], labels[video])
    metrics.plot_roc(plots_dir / "roc.png", scores, labels)


def _print_summary(result, out_path, plots_dir):
    if result["convention"] == DEFAULT_CONVENTION:
        plain = result["macro_auc_plain"]
        two_class = sum(auc is not None for auc in result["per_video_auc_plain"].values())
        plain_text = f"{plain:.4f}" if plain is not None else "n/a"
        click.echo(f"micro AUC {result['micro_auc']:.4f}   macro AUC {result['macro_auc']:.4f} (padded)   "
                   f"plain {plain_text} over {two_class} of {result['num_videos']} videos")
    else:
        click.echo(f"micro AUC {result['micro_auc']:.4f}   macro AUC {result['macro_auc']:.4f}   "
                   f"convention {result['convention']}: {result['macro_auc_convention']}")
    if "rbdc" in result:
        click.echo(f"RBDC {result['rbdc']:.4f}   TBDC {result['tbdc']:.4f}   tracks: {result['tracks']}")
    window = f", window {result['window']}" if result["window"] is not None else ""
    smoothing = "none" if result["sigma"] == 0 else f"{result['smoothing']}, sigma {result['sigma']:g}{window}"
    click.echo(f"{result['num_frames']} frames in {result['num_videos']} videos; smoothing: {smoothing}")
    if plots_dir is not None:
        click.echo(f"plots: {plots_dir}")
    if out_path is not None:
        click.echo(f"wrote {out_path}")
