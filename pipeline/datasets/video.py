"""One video of a dataset: a lazy sequence of (H, W) uint8 grayscale frames plus its ground truth."""
import operator
from collections.abc import Sequence

import numpy as np

from pipeline.datasets.listing import natural_key
from pipeline.errors import FastaedError


def require_frames(split, video_id, frames):
    """Raise FastaedError if the frame source ``frames`` of a video is empty.

    Example:
        >>> require_frames("train", "01", ImageFrames(Path("empty_folder")))
        Traceback (most recent call last):
        ...
        pipeline.errors.FastaedError: train video 01 has no frames (empty_folder): add its frames or remove it
    """
    if not len(frames):
        raise FastaedError(f"{split} video {video_id} has no frames ({frames.source}): add its frames or remove it")


class Video(Sequence):
    """A lazy, random-access sequence of grayscale frames with optional labels and pixel masks.

    ``frames`` is a frame source (:class:`~pipeline.datasets.frame_sources.ImageFrames` or
    ``VideoFrames``); ``masks`` an optional mask source; ``frame_labels`` a list of
    ``(where, labels)`` pairs from frame-level ground-truth files. Frame labels come from the
    masks where there are masks; every frame-level file must agree with them and with each other.
    One frame is enough for a video (consumers needing frames t-3 and t+3 clamp them to its ends).

    Example:
        >>> video = open_dataset("data/synthetic").test[0]
        >>> video.id, video.split, len(video), video.frame_size
        ('01', 'test', 60, (240, 360))
        >>> video[-1].shape, video.labels.dtype, video.mask(0).dtype
        ((240, 360), dtype('uint8'), dtype('bool'))
    """

    def __init__(self, video_id, split, frames, masks=None, frame_labels=()):
        self.id = video_id
        self.split = split
        self._frames = frames
        self._masks = masks
        self._masks_counted = False
        self._frame_labels = list(frame_labels)
        self._labels = None
        require_frames(split, video_id, frames)
        for where, labels in self._frame_labels:
            if len(labels) != len(frames):
                raise FastaedError(f"{split} video {video_id}: {where} gives {len(labels)} frame labels but the "
                                   f"video has {len(frames)} frames: fix the labels or the video's frames")

    def __repr__(self):
        height, width = self.frame_size
        return f"Video(id={self.id!r}, split={self.split!r}, frames={len(self)}, size={height}x{width})"

    @property
    def source(self):
        """The folder of frame images or the video file the frames come from."""
        return self._frames.source

    @property
    def frame_size(self):
        """(H, W) of the source frames."""
        return self._frames.frame_size

    def __len__(self):
        return len(self._frames)

    def _index(self, index):
        position = operator.index(index)
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(f"frame {index} out of range for video {self.id} with {len(self)} frames")
        return position

    def __getitem__(self, index):
        """Frame ``index`` as (H, W) uint8 (negative counts from the end); a slice gives (n, H, W)."""
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if not len(range(start, stop, step)):
                return np.zeros((0, *self.frame_size), np.uint8)
            frames = self.iter_frames(start, stop) if step == 1 else (self[i] for i in range(start, stop, step))
            return np.stack(list(frames))
        return self._frames.read(self._index(index))

    def __iter__(self):
        return self.iter_frames()

    def iter_frames(self, start=0, stop=None):
        """Frames start..stop-1 in order, decoded one at a time (sequential decoding for video files).

        ``start`` and ``stop`` work like slice bounds (negative counts from the end).

        Example:
            >>> [frame.shape for frame in video.iter_frames(10, 12)]
            [(240, 360), (240, 360)]
        """
        start, stop, _ = slice(start, stop).indices(len(self))
        return self._frames.iter(start, max(start, stop))

    @property
    def has_masks(self):
        """True when pixel masks are known for this video."""
        return self._masks is not None

    def _counted_masks(self):
        if not self._masks_counted:
            if len(self._masks) != len(self):
                raise FastaedError(f"{self.split} video {self.id}: {len(self._masks)} pixel masks in "
                                   f"{self._masks.source} but {len(self)} frames{self._unmatched_frame()}: "
                                   "give every frame one mask")
            self._masks_counted = True
        return self._masks

    def _unmatched_frame(self):
        """Where frames and masks are files, the first frame file without a mask of the same number."""
        frame_files, mask_files = getattr(self._frames, "files", None), getattr(self._masks, "files", None)
        if frame_files is None or mask_files is None:
            return ""
        numbers = {natural_key(path.name) for path in mask_files}
        missing = [path for path in frame_files if natural_key(path.name) not in numbers]
        return f" ({missing[0]} has no mask)" if missing else ""

    def mask(self, index):
        """Pixel mask of frame ``index`` as (H, W) bool (True = anomalous), or None without masks."""
        if self._masks is None:
            return None
        return self._counted_masks().read(self._index(index), self.frame_size)

    @property
    def labels(self):
        """(T,) uint8 frame labels (1 = anomalous), or None when unknown; derived from masks when there are any."""
        if self._labels is None:
            sources = list(self._frame_labels)
            if self._masks is not None:
                sources.insert(0, (f"the pixel masks in {self._masks.source}", self._counted_masks().labels()))
            if not sources:
                return None
            reference_where, reference = sources[0]
            for where, labels in sources[1:]:
                differing = np.flatnonzero(labels != reference)
                if differing.size:
                    raise FastaedError(
                        f"{self.split} video {self.id}: the frame labels in {where} disagree with {reference_where} "
                        f"at {differing.size} frames (first: frame {differing[0]}, 0-based): "
                        "fix or remove one of them")
            self._labels = np.array(reference, dtype=np.uint8)
            self._labels.setflags(write=False)
        return self._labels

    def validate(self):
        """Check the video cheaply but completely enough to trust it; FastaedError on the first problem.

        Frame sizes and readability from every image's header (or the first and last frame of a
        video file), masks counted and sized, labels derived and cross-checked.

        Example:
            >>> video.validate()
        """
        self._frames.check()
        if self._masks is not None:
            self._counted_masks().check(self.frame_size)
        _ = self.labels
