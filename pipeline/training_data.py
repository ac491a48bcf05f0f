"""The student's training data: a torch ``Dataset`` over the training shards of a SHARDS folder.

One item per (training shard, frame t): the student input frames t-3, t, t+3 (clamped at the
video's borders, :func:`student.triplet_indices`) and every chosen teacher's map at t. Only the
``train`` split is read, and with ``pseudo_anomalies`` the ``pseudo`` split too (clips made
abnormal on purpose from training videos); test shards (and their labels) are never opened. The shards are checked
against their manifest when the dataset is built; their HDF5 files are opened on the first read
in each process, so DataLoader workers (forked or spawned) each open their own handles.

Example:
    >>> from torch.utils.data import DataLoader
    >>> data = ShardTrainingSet("data/shards", teachers=["density"])     # doctest: +SKIP
    >>> frames, targets = data[0]                                        # doctest: +SKIP
    >>> frames.shape, targets["density"].shape                           # doctest: +SKIP
    (torch.Size([3, 80, 120]), torch.Size([10, 15]))
    >>> next(iter(DataLoader(data, batch_size=8, num_workers=2)))[0].shape  # doctest: +SKIP
    torch.Size([8, 3, 80, 120])
"""
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from pipeline.errors import FastaedError
from pipeline.shards import map_grid, open_shards, read_manifest
from pipeline.shards.format import PSEUDO_SPLIT
from pipeline.shards.manifest import manifest_path
from student import TRIPLET_OFFSETS, triplet_indices

SPLIT = "train"
HOLDOUT_GUARD = max(TRIPLET_OFFSETS)
"""Frames left out before a held-out tail: the largest offset of the student's input triplet."""
REWRITE = "delete it and run `fastaed precompute-teachers` again to rewrite it"


class ShardReadError(FastaedError):
    """A shard that fails while training reads it (a damaged chunk, a non-finite map value).

    A DataLoader worker's exception is re-raised in the main process as
    ``type(error)(text of the worker's whole traceback)``; this class keeps only its own
    one-line message from that text, so the CLI still prints one line.

    Example:
        >>> str(ShardReadError("Caught ShardReadError in DataLoader worker process 0.\\n"
        ...                    "Traceback ...\\npipeline.training_data.ShardReadError: s/train/01.h5: bad\\n"))
        's/train/01.h5: bad'
    """

    def __init__(self, message):
        marker = f"{type(self).__name__}: "
        if "\n" in message and marker in message:
            message = message.rsplit(marker, 1)[1].strip()
        super().__init__(message)


class ShardTrainingSet(Dataset):
    """(frames (3, H, W) uint8 tensor, {teacher: (h, w) float32 tensor}) for every frame of every training shard.

    ``teachers`` (default: all, in the shards' order) picks the target maps; ``pseudo_anomalies``
    adds the pseudo-anomaly clips' shards (an error when the shards have none). With
    ``verify_checksums`` (the default) every training shard's bytes are checked against the
    manifest first, which finds flipped bits and truncations before any training step. Raises
    :class:`~pipeline.errors.FastaedError` naming the file for a missing, incomplete, damaged or
    inconsistent shard, and for teachers the shards do not have.

    Attributes: ``root``, ``shards`` (lazy :class:`pipeline.shards.Shard` objects), ``teachers``,
    ``frame_size`` (H, W) of the stored student frames, ``map_size`` (h, w), ``config_hash``,
    ``held_out`` (``{video: first held-out frame}``).

    ``exclude_videos`` leaves those training videos out, with the pseudo-anomaly clips made from
    them (held-out videos for :mod:`pipeline.student_validation`).

    ``holdout_fraction`` keeps the last ``floor(fraction * T)`` frames of each training video
    (not of the pseudo-anomaly clips) out of the items, and the 3 frames before them too, so no
    triplet t-3, t, t+3 reaches a held-out frame; :meth:`held_out_frames` reads them (normal
    footage the student never fits, for the alarm calibration).

    Example:
        >>> data = ShardTrainingSet("data/shards")                   # doctest: +SKIP
        >>> len(data), data.teachers, data.frame_size                # doctest: +SKIP
        (320, ('density', 'autoencoder'), (80, 120))
    """

    def __init__(self, root, teachers=None, verify_checksums=True, pseudo_anomalies=False, holdout_fraction=0.0,
                 exclude_videos=()):
        self.root = Path(root)
        manifest = read_manifest(self.root)
        self.config_hash = manifest["config_hash"]
        splits = (SPLIT, PSEUDO_SPLIT) if pseudo_anomalies else (SPLIT,)
        for split in splits:
            _check_training_shards_complete(self.root, manifest, split)
        self.shards = open_shards(self.root, SPLIT, verify_checksums=verify_checksums, require_complete=False)
        if not self.shards:
            raise FastaedError(f"{manifest_path(self.root)}: no training shards listed: run `fastaed "
                               f"precompute-teachers` on a dataset with training videos")
        if pseudo_anomalies:
            pseudo = open_shards(self.root, PSEUDO_SPLIT, verify_checksums=verify_checksums, require_complete=False)
            if not pseudo:
                raise FastaedError(f"{self.root}: holds no pseudo-anomaly clips: precompute them with `fastaed "
                                   f"precompute-teachers --pseudo-anomalies skip2,skip4,reverse,patch,cross`, or train "
                                   f"without them (--pseudo-anomalies false)")
            self.shards += pseudo
        self.shards = _without_videos(self.root, self.shards, exclude_videos)
        available, self.frame_size, self.map_size = _common_layout(self.root, manifest, self.shards)
        self.teachers = _choose_teachers(self.root, available, teachers)
        if not 0 <= holdout_fraction < 1:
            raise FastaedError(f"hold-out fraction {holdout_fraction}: give a fraction of each training video in [0, 1)")
        self.held_out = {}
        lengths = []
        for shard in self.shards:
            held = int(holdout_fraction * shard.num_frames) if shard.split == SPLIT else 0
            if held and shard.num_frames - held > HOLDOUT_GUARD:
                self.held_out[shard.video] = shard.num_frames - held
                lengths.append(shard.num_frames - held - HOLDOUT_GUARD)
            else:
                lengths.append(shard.num_frames)
        self._starts = np.cumsum([0] + lengths)

    def __len__(self):
        return int(self._starts[-1])

    def held_out_frames(self):
        """Yield ``(video, (n, H, W) uint8 frames)`` for each training video's held-out tail, in order.

        Example:
            >>> [(video, frames.shape) for video, frames in data.held_out_frames()]     # doctest: +SKIP
            [('01', (8, 80, 120)), ('02', (8, 80, 120))]
        """
        for shard in self.shards:
            if shard.split == SPLIT and shard.video in self.held_out:
                frames = np.asarray(shard.read_frames(slice(self.held_out[shard.video], shard.num_frames)))
                shard.close()
                yield shard.video, frames

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"frame {index} is out of range for {len(self)} training frames")
        which = int(np.searchsorted(self._starts, index, side="right")) - 1
        shard, t = self.shards[which], int(index - self._starts[which])
        triplet = triplet_indices([t], shard.num_frames)[0]
        try:
            # one read per frame: h5py's list indexing is several times slower than three int reads
            frames = np.stack([shard.read_frames(int(i)) for i in triplet])
            maps = {teacher: shard.read_map(teacher, t).astype(np.float32) for teacher in self.teachers}
        except (OSError, KeyError, ValueError, RuntimeError) as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            raise ShardReadError(f"{shard.path}: frame {t} cannot be read ({reason}): {REWRITE}") from None
        for teacher, grid in maps.items():
            if not np.isfinite(grid).all():
                raise ShardReadError(f"{shard.path}: maps/{teacher} has non-finite values at frame {t}: {REWRITE}")
        return torch.from_numpy(frames), {teacher: torch.from_numpy(grid) for teacher, grid in maps.items()}

    def __repr__(self):
        return (f"ShardTrainingSet({str(self.root)!r}, videos={len(self.shards)}, frames={len(self)}, "
                f"teachers={list(self.teachers)})")


def _check_training_shards_complete(root, manifest, split):
    expected = [relpath for relpath in manifest["expected"] if Path(relpath).parts[0] == split]
    missing = sorted(set(expected) - set(manifest["shards"]))
    if missing:
        raise FastaedError(f"{root}: {len(missing)} of {len(expected)} {split} shards are not written yet "
                           f"(e.g. {missing[0]}): run `fastaed precompute-teachers` again to finish them")


def _without_videos(root, shards, videos):
    """``shards`` but the training videos ``videos`` and the pseudo-anomaly clips made from them."""
    videos = set(videos)
    unknown = sorted(videos - {shard.video for shard in shards if shard.split == SPLIT})
    if unknown:
        raise FastaedError(f"{root}: has no training video {', '.join(unknown)} to leave out: name training videos "
                           f"of these shards")
    kept = [shard for shard in shards if (shard.attrs.get("source_video") if shard.split == PSEUDO_SPLIT
                                          else shard.video) not in videos]
    if not any(shard.split == SPLIT for shard in kept):
        raise FastaedError(f"{root}: leaving out {', '.join(sorted(videos))} leaves no training video: leave out fewer")
    return kept


def _common_layout(root, manifest, shards):
    """The teachers, stored frame size and map size every shard shares, checked against the manifest."""
    config = manifest["config"]
    stated_teachers = tuple(t["name"] if isinstance(t, dict) else t for t in config.get("teachers", ()))
    stated_size = tuple(config["frame_size"]) if "frame_size" in config else None
    first = shards[0]
    teachers, frame_size = first.teachers, tuple(first.read_frames(0).shape)
    first.close()
    if stated_teachers and teachers != stated_teachers:
        raise FastaedError(f"{first.path}: holds maps of teachers {', '.join(teachers)}, but "
                           f"{manifest_path(root)} says {', '.join(stated_teachers)}: {REWRITE}")
    if stated_size and frame_size != stated_size:
        raise FastaedError(f"{first.path}: holds {_size_text(frame_size)} frames, but {manifest_path(root)} "
                           f"says {_size_text(stated_size)}: {REWRITE}")
    map_size = map_grid(first.frame_size)
    for shard in shards[1:]:
        size = tuple(shard.read_frames(0).shape)
        shard.close()
        if shard.teachers != teachers or size != frame_size or map_grid(shard.frame_size) != map_size:
            raise FastaedError(
                f"{shard.path}: holds {_size_text(size)} frames and {_size_text(map_grid(shard.frame_size))} "
                f"maps of teachers {', '.join(shard.teachers)}, unlike {first.path} ({_size_text(frame_size)}, "
                f"{_size_text(map_size)}, {', '.join(teachers)}): {REWRITE}")
    return teachers, frame_size, map_size


def _choose_teachers(root, available, chosen):
    if chosen is None:
        return tuple(available)
    chosen = tuple(chosen)
    unknown = [name for name in chosen if name not in available]
    if unknown or not chosen or len(set(chosen)) != len(chosen):
        raise FastaedError(f"teachers {', '.join(chosen) or '(none)'}: the shards in {root} hold maps of "
                           f"{', '.join(available)}; name each teacher once, from those")
    return chosen


def _size_text(size):
    return "x".join(str(v) for v in size)
