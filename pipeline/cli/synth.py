"""`fastaed synth`: write the synthetic walkway dataset in the re-packed Ped2 layout.

Example:
    $ fastaed synth data/synthetic --seed 0
    $ fastaed synth /tmp/big --train-videos 8 --test-videos 8 --frames 200 --size 240x360
"""
import re
from pathlib import Path

import click

from pipeline.errors import FastaedError
from pipeline.synthetic import write_synthetic


def parse_size(text):
    """Parse ``HxW`` (e.g. ``160x240``) into (H, W); FastaedError if it is not two integers.

    Example:
        >>> parse_size("160x240")
        (160, 240)
    """
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise FastaedError(f"synth --size {text!r} is not HxW: give height x width in pixels, e.g. 160x240")
    return int(match.group(1)), int(match.group(2))


@click.command("synth")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed; same seed, same bytes.")
@click.option("--train-videos", type=int, default=4, show_default=True, help="Normal training videos.")
@click.option("--test-videos", type=int, default=4, show_default=True, help="Test videos (normal and anomalous stretches).")
@click.option("--frames", type=int, default=80, show_default=True, help="Frames per video.")
@click.option("--size", default="160x240", show_default=True, help="Frame size HxW; multiples of 8.")
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists and is not empty.")
def command(out, seed, train_videos, test_videos, frames, size, overwrite):
    """Write the synthetic walkway scene to OUT in the re-packed Ped2 layout.

    A fixed grey camera over a paved walkway across a lawn; people walk along it in both
    directions. Test videos also hold runners and cyclists (too fast), people on the lawn (wrong
    place), carts (unusual object) and people crossing the walkway (wrong direction), with pixel
    masks in testing/pixel_masks, frame labels in gt/frame_labels.json and one entry per anomalous
    object in gt/anomalies.json.
    """
    dataset = write_synthetic(out, seed=seed, train_videos=train_videos, test_videos=test_videos,
                              frames=frames, size=parse_size(size), overwrite=overwrite)
    kinds = sorted({event.kind for event in dataset.events})
    click.echo(f"wrote {len(dataset.train_videos)} training and {len(dataset.test_videos)} test videos "
               f"of {frames} frames ({size}) to {out}; anomaly kinds: {', '.join(kinds)}")
