"""`write_synthetic`: render the synthetic scene into the re-packed Ped2 layout."""
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from pipeline.errors import FastaedError
from pipeline.synthetic.background import render_background
from pipeline.synthetic.choreography import plan_video, variant_cycle
from pipeline.synthetic.conditions import SceneConditions
from pipeline.synthetic.geometry import WalkwayGeometry
from pipeline.synthetic.render import render_video
from pipeline.folders import replace_folder

MIN_FRAMES = 30
MIN_SIDE = 64
# Seed streams, so that e.g. test video 2 does not change when the number of training videos does.
_BACKGROUND, _TRAIN, _TEST, _SCHEDULE, _CONDITIONS = range(5)


@dataclass(frozen=True)
class AnomalyEvent:
    """One anomalous object in a test video: its kind, its variant (``object``) and the first and
    last frame (0-based, inclusive) where its mask has pixels.

    Example:
        >>> AnomalyEvent("01", "too_fast", "runner", 30, 79).kind
        'too_fast'
    """

    video: str
    kind: str
    object: str
    first_frame: int
    last_frame: int


@dataclass(frozen=True)
class SyntheticDataset:
    """What :func:`write_synthetic` wrote: the root, the video ids and the anomaly events.

    Example:
        >>> ds = SyntheticDataset(Path("d"), ("01",), ("01",), 80, (160, 240),
        ...                       (AnomalyEvent("01", "wrong_place", "off_path", 0, 30),))
        >>> ds.kinds_by_video()
        {'01': ['wrong_place']}
    """

    root: Path
    train_videos: tuple
    test_videos: tuple
    frames: int
    frame_size: tuple
    events: tuple

    def kinds_by_video(self):
        """{test video id: sorted anomaly kinds in it}."""
        kinds = {video: set() for video in self.test_videos}
        for event in self.events:
            kinds[event.video].add(event.kind)
        return {video: sorted(found) for video, found in kinds.items()}


def _check_options(seed, train_videos, test_videos, frames, size, conditions):
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise FastaedError(f"synth --seed {seed!r}: the seed must be a non-negative integer, e.g. --seed 0")
    for name, count in (("train-videos", train_videos), ("test-videos", test_videos)):
        if count < 1:
            raise FastaedError(f"synth --{name} {count}: need at least 1 video")
    if frames < MIN_FRAMES:
        raise FastaedError(f"synth --frames {frames}: need at least {MIN_FRAMES} frames per video "
                           "so that every test video holds normal and anomalous stretches")
    if len(size) != 2:
        raise FastaedError(f"synth --size {size!r}: give the frame size as HxW, e.g. 160x240")
    height, width = size
    if height % 8 or width % 8 or height < MIN_SIDE or width < MIN_SIDE:
        raise FastaedError(f"synth --size {height}x{width}: height and width must be multiples of 8 "
                           f"and at least {MIN_SIDE}, e.g. 160x240")
    problems = conditions.problems()
    if problems:
        raise FastaedError(f"synth {problems[0]}")


def _prepare_target(out, overwrite):
    if out.exists() and not out.is_dir():
        raise FastaedError(f"synth output {out} is a file: choose a folder path")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise FastaedError(f"synth output {out} exists and is not empty: choose another folder or pass --overwrite")
    out.parent.mkdir(parents=True, exist_ok=True)


def _write_image(path, image, params=()):
    if not cv2.imwrite(str(path), image, list(params)):
        raise OSError(f"could not write {path}: check the disk and permissions")


def _write_video(rendered, folder, name_width, bar, jpeg_quality, masks_folder=None):
    """Write one video's frames (and masks); return its frame labels and, per frame, the mask
    pixels each anomalous actor contributed."""
    folder.mkdir(parents=True)
    if masks_folder is not None:
        masks_folder.mkdir(parents=True)
    labels, drawn_per_frame = [], []
    for t, (frame, mask, drawn, _) in enumerate(rendered):
        name = f"{t:0{name_width}d}"
        _write_image(folder / f"{name}.jpg", frame, (cv2.IMWRITE_JPEG_QUALITY, jpeg_quality))
        if masks_folder is not None:
            _write_image(masks_folder / f"{name}.png", mask)
        labels.append(int(mask.any()))
        drawn_per_frame.append(drawn)
        bar.update()
    return labels, drawn_per_frame


def _events_of(video, actors, drawn_per_frame):
    events = []
    for index, actor in enumerate(actors):
        if actor.variant is None:
            continue
        shown = [t for t, drawn in enumerate(drawn_per_frame) if drawn.get(index, 0) > 0]
        if shown:
            events.append(AnomalyEvent(video, actor.kind, actor.variant, shown[0], shown[-1]))
    return events


def _labels_json(labels):
    lines = [f'  {json.dumps(video)}: {json.dumps(values)}' for video, values in labels.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write_synthetic(out, seed=0, train_videos=4, test_videos=4, frames=80, size=(160, 240),
                    overwrite=False, progress=True, conditions=SceneConditions()):
    """Write the synthetic walkway scene to ``out`` in the re-packed Ped2 layout.

    ``training/frames/<video>/<NNN>.jpg`` (normal only), ``testing/frames/<video>/<NNN>.jpg``,
    ``testing/pixel_masks/<video>/<NNN>.png`` (255 on anomalous objects), ``gt/frame_labels.json``
    and ``gt/anomalies.json`` (one entry per anomalous object: video, kind, object, first_frame,
    last_frame; with ``conditions`` other than the default, also the conditions). ``conditions``
    (a :class:`SceneConditions`) adds camera shake, flicker, noise, compression, larger people or
    crowds. Same arguments, same bytes. Everything is written to a hidden sibling folder that is
    renamed to ``out`` when complete; a non-empty ``out`` is refused unless ``overwrite``.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp()) / "synthetic"
        >>> ds = write_synthetic(root, seed=1, train_videos=1, test_videos=1, frames=40, progress=False)
        >>> sorted(p.name for p in root.iterdir()), len(ds.events) > 0
        (['gt', 'testing', 'training'], True)
    """
    size = tuple(int(side) for side in size)
    _check_options(seed, train_videos, test_videos, frames, size, conditions)
    out = Path(out)
    _prepare_target(out, overwrite)
    geometry = WalkwayGeometry(*size, person_scale=conditions.person_scale)
    background = render_background(geometry, np.random.default_rng([seed, _BACKGROUND]))
    variants = variant_cycle(np.random.default_rng([seed, _SCHEDULE]))
    name_width = max(3, len(str(frames - 1)))
    id_width = max(2, len(str(max(train_videos, test_videos))))
    train_ids = [f"{i + 1:0{id_width}d}" for i in range(train_videos)]
    test_ids = [f"{i + 1:0{id_width}d}" for i in range(test_videos)]

    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    bar = tqdm(total=(train_videos + test_videos) * frames, desc="synth", unit="frame", disable=not progress)
    try:
        for index, video in enumerate(train_ids):
            rng = np.random.default_rng([seed, _TRAIN, index])
            actors = plan_video(geometry, rng, frames, crowding=conditions.crowding)
            rendered = render_video(geometry, background, actors, frames, rng, conditions,
                                    np.random.default_rng([seed, _CONDITIONS, _TRAIN, index]))
            _write_video(rendered, partial / "training/frames" / video, name_width, bar, conditions.jpeg_quality)
        labels, events = {}, []
        for index, video in enumerate(test_ids):
            rng = np.random.default_rng([seed, _TEST, index])
            # Odd videos open with a short anomaly and end with another; even ones hold one long one.
            opening = "short" if index % 2 else ("long" if rng.random() < 0.5 else None)
            actors = plan_video(geometry, rng, frames, variants, opening, conditions.crowding)
            rendered = render_video(geometry, background, actors, frames, rng, conditions,
                                    np.random.default_rng([seed, _CONDITIONS, _TEST, index]))
            labels[video], drawn_per_frame = _write_video(
                rendered, partial / "testing/frames" / video, name_width, bar, conditions.jpeg_quality,
                partial / "testing/pixel_masks" / video)
            events.extend(_events_of(video, actors, drawn_per_frame))
        (partial / "gt").mkdir()
        (partial / "gt/frame_labels.json").write_text(_labels_json(labels))
        summary = {"seed": int(seed), "frame_size": list(size)}
        if not conditions.is_default:
            summary["conditions"] = conditions.as_dict()
        summary["events"] = [event.__dict__ for event in events]
        (partial / "gt/anomalies.json").write_text(json.dumps(summary, indent=1) + "\n")
        replace_folder(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        bar.close()
    return SyntheticDataset(out, tuple(train_ids), tuple(test_ids), frames, size, tuple(events))
