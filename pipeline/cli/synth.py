"""`fastaed synth`: write the synthetic walkway dataset in the re-packed Ped2 layout.

Example:
    $ fastaed synth data/synthetic --seed 0
    $ fastaed synth /tmp/big --train-videos 8 --test-videos 8 --frames 200 --size 240x360
    $ fastaed synth /tmp/hard --jitter 2 --flicker 0.3 --jpeg-quality 40 --person-scale 2 --crowding 2
"""
import re
from pathlib import Path

import click

from pipeline.errors import FastaedError
from pipeline.synthetic import SceneConditions, write_synthetic
from pipeline.synthetic.conditions import DEFAULT_JPEG_QUALITY, DEFAULT_SENSOR_NOISE


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
@click.option("--jitter", type=float, default=0.0, show_default=True,
              help="Camera shake: each frame moves by up to this many pixels on both axes (0: a fixed camera).")
@click.option("--flicker", type=float, default=0.0, show_default=True,
              help="Brightness changes: each video's gain lies up to this fraction away from 1 (with an "
                   "offset of up to 40x it in grey levels), and each frame swings by half of it and wobbles.")
@click.option("--noise", type=float, default=DEFAULT_SENSOR_NOISE, show_default=True,
              help="Sensor noise per pixel and frame, standard deviation in grey levels.")
@click.option("--jpeg-quality", type=int, default=DEFAULT_JPEG_QUALITY, show_default=True,
              help="JPEG quality of the frames; lower gives stronger compression artefacts (e.g. 30).")
@click.option("--person-scale", type=float, default=1.0, show_default=True,
              help="People (and their image speed) this many times larger, as if close to the camera.")
@click.option("--crowding", type=float, default=1.0, show_default=True,
              help="This many times more walkers in view at once (3 at most by default) and arriving.")
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists and is not empty.")
def command(out, seed, train_videos, test_videos, frames, size, jitter, flicker, noise, jpeg_quality,
            person_scale, crowding, overwrite):
    """Write the synthetic walkway scene to OUT in the re-packed Ped2 layout.

    A fixed grey camera over a paved walkway across a lawn; people walk along it in both
    directions. Test videos also hold runners and cyclists (too fast), people on the lawn (wrong
    place), carts (unusual object) and people crossing the walkway (wrong direction), with pixel
    masks in testing/pixel_masks, frame labels in gt/frame_labels.json and one entry per anomalous
    object in gt/anomalies.json.

    The camera options (--jitter, --flicker, --noise, --jpeg-quality, --person-scale,
    --crowding) make the scene harder; their defaults give the plain scene, byte for byte.
    Shake and flicker come from their own random stream, so they leave who walks where as it is.
    """
    conditions = SceneConditions(jitter=jitter, flicker=flicker, noise=noise, jpeg_quality=jpeg_quality,
                                 person_scale=person_scale, crowding=crowding)
    dataset = write_synthetic(out, seed=seed, train_videos=train_videos, test_videos=test_videos,
                              frames=frames, size=parse_size(size), overwrite=overwrite, conditions=conditions)
    kinds = sorted({event.kind for event in dataset.events})
    click.echo(f"wrote {len(dataset.train_videos)} training and {len(dataset.test_videos)} test videos "
               f"of {frames} frames ({size}) to {out}; anomaly kinds: {', '.join(kinds)}")
