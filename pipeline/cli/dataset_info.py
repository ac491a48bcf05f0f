"""`fastaed dataset-info ROOT [--json]`: recognise a dataset's layout, validate it, print counts.

Example:
    $ fastaed dataset-info ../shared/data/ucsd_ped2 --json
    {"name": "ucsd_ped2", "layout": "ucsd-repacked", "train": {"videos": 16, "frames": 2550}, ...}
"""
import json
from collections import Counter
from pathlib import Path

import click

from pipeline.datasets import open_dataset

def _table(dataset):
    summary = dataset.summary()
    sizes = Counter(video.frame_size for video in dataset.train + dataset.test)
    if len(sizes) == 1:
        (height, width), = sizes
        size_text = f"frame size {width}x{height}"
    else:
        size_text = "frame sizes " + ", ".join(f"{width}x{height} ({count} videos)"
                                               for (height, width), count in sizes.most_common())
    labelled = sum(video.labels is not None for video in dataset.test)
    masked = sum(video.has_masks for video in dataset.test)
    anomalous = summary["test"]["anomalous_frames"] if labelled else "-"
    train, test = summary["train"], summary["test"]
    return "\n".join([
        f"{dataset.name} ({dataset.layout}), {size_text} (width x height)",
        f"{'split':<6}{'videos':>8}{'frames':>9}{'anomalous':>11}{'labelled':>10}{'masks':>7}",
        f"{'train':<6}{train['videos']:>8}{train['frames']:>9}{'-':>11}{'-':>10}{'-':>7}",
        f"{'test':<6}{test['videos']:>8}{test['frames']:>9}{anomalous:>11}{labelled:>10}{masked:>7}",
        "checked: every image (header and end), first and last frame of video files, masks, labels",
    ])


@click.command("dataset-info")
@click.argument("root", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help='Print {"name", "layout", "train": {"videos", "frames"}, '
                   '"test": {"videos", "frames", "anomalous_frames"}} instead of a table.')
def command(root, as_json):
    """Recognise the dataset layout under ROOT, validate it and print counts.

    Layouts: ucsd-original, avenue, shanghaitech, ucsd-repacked, folder (see pipeline/datasets).
    Validation reads every image's header (Pillow) for readability and one size per video,
    decodes the first and last frame of every video file, counts and sizes the pixel masks, and
    derives the frame labels from the masks, checking them against the frame-level files.
    anomalous_frames is 0 when no test video has labels.
    """
    dataset = open_dataset(root)
    dataset.validate()
    click.echo(json.dumps(dataset.summary()) if as_json else _table(dataset))
