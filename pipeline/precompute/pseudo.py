"""Pseudo-anomalies: abnormal clips made on purpose from normal training videos.

The teachers only ever see normal training video, so without help the student only learns what
normal looks like. Each kind below turns one training video into a clip that is abnormal in a
known way; the precomputation detects and scores it like any video (with the teachers of the
source video's own fold, so no teacher scores a clip of a video it was fitted on) and writes it
as a shard of the ``pseudo`` split. The student may learn those maps too (``train-student
--pseudo-anomalies``).

Kinds:
- ``skip2``, ``skip4``: every 2nd / 4th frame, so everything moves 2 / 4 times too fast.
- ``reverse``: the frames backwards, so everything moves the wrong way.
- ``patch``: a foreign object pasted in: a crop of the scene, turned a quarter and with its
  grey levels inverted, gliding across the frames and bouncing off the borders.
- ``cross``: one of the video's own moving objects (its foreground blob, cut out with its mask)
  gliding across the scene at the video's typical speed, at right angles to the way things
  there move (the main axis of the optical flow of the foreground), bouncing off the borders: a
  normal-looking object going where nobody goes, as a person crossing a walkway does.

Every clip is at most :data:`MAX_FRAMES` long and fully determined by the source video's frames,
its id and the kind.

Example:
    >>> import numpy as np
    >>> frames = np.zeros((40, 24, 32), np.uint8)
    >>> [len(pseudo_frames(frames, kind, "01")) for kind in KINDS]
    [20, 10, 40, 40, 40]
"""
import hashlib
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from pipeline.precompute.config import short_hash
from pipeline.shards.format import PSEUDO_SPLIT
from teachers.frames import ForegroundMask
from teachers.motion import DenseFlow

KINDS = ("skip2", "skip4", "reverse", "patch", "cross")
MAX_FRAMES = 120
"""The longest clip made from one video (long videos give one clip from a seeded start)."""


def parse_kinds(text):
    """``"skip2,patch"`` -> ("skip2", "patch"); ``"none"`` or ``""`` -> (); ValueError for unknown kinds.

    Example:
        >>> parse_kinds("patch, skip4"), parse_kinds("none")
        (('patch', 'skip4'), ())
    """
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if names in ((), ("none",)):
        return ()
    unknown = [name for name in names if name not in KINDS]
    if unknown:
        raise ValueError(f"unknown pseudo-anomaly kind(s) {', '.join(unknown)}: use some of {', '.join(KINDS)}, "
                         f"or none")
    return names


@dataclass(frozen=True)
class PseudoClip:
    """The clip of ``kind`` made from training video ``source_id``; its shard is ``pseudo/<id>.h5``.

    Example:
        >>> clip = PseudoClip("07", "skip4")
        >>> clip.split, clip.id, clip.attrs
        ('pseudo', '07-skip4', {'source_video': '07', 'pseudo_kind': 'skip4'})
    """

    source_id: str
    kind: str

    split = PSEUDO_SPLIT

    @property
    def id(self):
        return f"{self.source_id}-{self.kind}"

    @property
    def attrs(self):
        """The shard attributes that say where the clip comes from."""
        return {"source_video": self.source_id, "pseudo_kind": self.kind}

    def fingerprint(self, source_fingerprint):
        """Hash of the source video's fingerprint, the kind and the clip length limit.

        Example:
            >>> PseudoClip("01", "patch").fingerprint("ab") != PseudoClip("01", "reverse").fingerprint("ab")
            True
        """
        return short_hash({"source": source_fingerprint, "kind": self.kind, "max_frames": MAX_FRAMES})


def pseudo_clips(train_videos, kinds):
    """One :class:`PseudoClip` per training video and kind.

    Example:
        >>> from types import SimpleNamespace
        >>> [c.id for c in pseudo_clips([SimpleNamespace(id="01")], ("skip2", "patch"))]
        ['01-skip2', '01-patch']
    """
    return [PseudoClip(video.id, kind) for video in train_videos for kind in kinds]


def pseudo_frames(frames, kind, source_id):
    """The (T', H, W) uint8 clip of ``kind`` made from a training video's (T, H, W) uint8 frames.

    Example:
        >>> import numpy as np
        >>> frames = np.arange(10, dtype=np.uint8)[:, None, None].repeat(4, 1).repeat(4, 2)
        >>> pseudo_frames(frames, "skip4", "01")[:, 0, 0].tolist()
        [0, 4, 8]
        >>> pseudo_frames(frames, "reverse", "01")[:3, 0, 0].tolist()
        [9, 8, 7]
    """
    return pseudo_clip(frames, kind, source_id)[0]


def pseudo_clip(frames, kind, source_id):
    """The clip of :func:`pseudo_frames` and, for each of its frames, the index of the source frame it
    shows (the ``patch`` kind pastes its patch into the source frame of the same index).

    Example:
        >>> import numpy as np
        >>> pseudo_clip(np.zeros((10, 4, 4), np.uint8), "skip4", "01")[1].tolist()
        [0, 4, 8]
    """
    frames = np.asarray(frames)
    if frames.ndim != 3 or frames.dtype != np.uint8:
        raise ValueError(f"pseudo-anomalies need (T, H, W) uint8 frames, got {frames.dtype} {frames.shape}")
    if kind not in KINDS:
        raise ValueError(f"unknown pseudo-anomaly kind {kind!r}: use one of {', '.join(KINDS)}")
    rng = np.random.default_rng(_seed(source_id, kind))
    sources = np.arange(len(frames))
    if kind.startswith("skip"):
        sources = sources[::int(kind[len("skip"):])]
        clip = frames[sources]
    elif kind == "reverse":
        sources = sources[::-1]
        clip = frames[sources]
    elif kind == "patch":
        clip = _with_pasted_patch(frames, rng)
    else:
        clip = _with_crossing_object(frames, rng)
    if len(clip) > MAX_FRAMES:
        start = int(rng.integers(0, len(clip) - MAX_FRAMES + 1))
        clip, sources = clip[start:start + MAX_FRAMES], sources[start:start + MAX_FRAMES]
    return np.ascontiguousarray(clip), sources


def _with_pasted_patch(frames, rng):
    count, height, width = frames.shape
    side = max(4, int(round(min(height, width) * rng.uniform(0.15, 0.3))))
    long_side = min(max(4, int(round(side * rng.uniform(1.2, 2.0)))), height - 1, width - 1)
    side = min(side, height - 1, width - 1)
    # cut (long_side x side), turned a quarter it becomes (side x long_side)
    top, left = int(rng.integers(0, height - long_side + 1)), int(rng.integers(0, width - side + 1))
    patch = 255 - np.rot90(frames[int(rng.integers(0, count)), top:top + long_side, left:left + side])
    patch_h, patch_w = patch.shape
    speed = rng.uniform(1.0, 3.0) * height / 120
    angle = rng.uniform(0, 2 * np.pi)
    position = np.array([rng.uniform(0, height - patch_h), rng.uniform(0, width - patch_w)])
    velocity = speed * np.array([np.sin(angle), np.cos(angle)])
    return _glide(frames, patch, np.ones(patch.shape, bool), position, velocity)


def _glide(frames, patch, mask, position, velocity):
    """``frames`` with the ``mask`` ed pixels of ``patch`` pasted at ``position`` (top, left), moving by
    ``velocity`` (rows, columns) per frame and bouncing off the borders."""
    count, height, width = frames.shape
    patch_h, patch_w = patch.shape
    limits = np.array([height - patch_h, width - patch_w], float)
    position, velocity = np.array(position, float), np.array(velocity, float)
    clip = frames.copy()
    for t in range(count):
        y, x = (int(round(v)) for v in position)
        region = clip[t, y:y + patch_h, x:x + patch_w]
        region[mask] = patch[mask]
        position = position + velocity
        for axis in range(2):  # bounce off the borders
            if not 0 <= position[axis] <= limits[axis]:
                velocity[axis] = -velocity[axis]
                position[axis] = np.clip(position[axis], 0, limits[axis])
    return clip


def _with_crossing_object(frames, rng):
    count, height, width = frames.shape
    foreground_of = ForegroundMask(frames)
    flows = _foreground_flow(frames, foreground_of)
    if len(flows) >= 20:
        # the main axis of the foreground's motion; the object crosses it at right angles
        _, axes = np.linalg.eigh(flows.T @ flows)
        main_axis = axes[:, 1]
        direction = np.array([main_axis[0], -main_axis[1]])  # (dx, dy) turned a quarter, as (rows, columns)
        speed = float(np.median(np.hypot(flows[:, 0], flows[:, 1])))
    else:
        angle = rng.uniform(0, 2 * np.pi)
        direction, speed = np.array([np.sin(angle), np.cos(angle)]), height / 120
    patch, mask = _moving_object(frames, foreground_of, rng)
    patch_h, patch_w = patch.shape
    velocity = direction * rng.choice([-1.0, 1.0]) * max(speed, height / 240)
    position = [rng.uniform(0, height - patch_h), rng.uniform(0, width - patch_w)]
    return _glide(frames, patch, mask, position, velocity)


def _foreground_flow(frames, foreground_of, pairs=8):
    """(N, 2) optical flow vectors (dx, dy per frame) of the moving foreground pixels of a few
    evenly spaced pairs of consecutive frames."""
    flow_of = DenseFlow("medium")
    vectors = []
    for t in np.unique(np.linspace(0, len(frames) - 2, min(pairs, len(frames) - 1)).round().astype(int)):
        foreground = foreground_of(frames[t])
        flow = flow_of.flow(frames[t], frames[t + 1], ~foreground)[foreground]
        vectors.append(flow[np.hypot(flow[:, 0], flow[:, 1]) > 0.25])
    return np.concatenate(vectors) if vectors else np.zeros((0, 2), np.float32)


def _moving_object(frames, foreground_of, rng):
    """A (patch, mask) cut from the largest foreground blob of a person's size (2-40% of the frame
    height) in a few frames; a plain crop of the scene when no frame has one."""
    count, height, width = frames.shape
    best = None
    for t in rng.choice(count, min(count, 10), replace=False):
        blobs, _ = ndimage.label(ndimage.binary_closing(foreground_of(frames[t]), iterations=2))
        for label, (rows, cols) in enumerate(ndimage.find_objects(blobs), start=1):
            size = rows.stop - rows.start
            if not 0.02 * height <= size <= 0.4 * height or cols.stop - cols.start >= width // 2:
                continue
            mask = blobs[rows, cols] == label
            if best is None or mask.sum() > best[1].sum():
                best = (frames[t, rows, cols].copy(), mask)
    if best is None:
        side = max(2, height // 8)
        top, left = int(rng.integers(0, height - side + 1)), int(rng.integers(0, width - side + 1))
        return frames[0, top:top + side, left:left + side].copy(), np.ones((side, side), bool)
    return best


def _seed(source_id, kind):
    return int.from_bytes(hashlib.sha256(f"{source_id}/{kind}".encode()).digest()[:8], "little")
