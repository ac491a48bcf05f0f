"""A dataset: training and test videos of one layout, with the frame-level ground truth of the test videos."""
from pathlib import Path

from tqdm import tqdm

from pipeline.datasets.frame_labels import read_frame_labels
from pipeline.datasets.listing import natural_key
from pipeline.datasets.video import Video, require_frames
from pipeline.errors import FastaedError

SPLITS = ("train", "test")


def build_videos(split, frames, masks=None, label_files=()):
    """Videos of one split from ``{video_id: frame source}``, ``{video_id: mask source}`` and label files.

    Files of frame ranges list the videos in natural id order. Masks or labels for a video that
    is not in ``frames`` raise FastaedError.

    Example:
        >>> videos = build_videos("test", {"01": ImageFrames(Path("ped2/testing/frames/01"))},
        ...                       label_files=[Path("ped2/gt/frame_labels.json")])
    """
    frames = dict(sorted(frames.items(), key=lambda item: natural_key(item[0])))
    masks = masks or {}
    for video_id, source in masks.items():
        if video_id not in frames:
            raise FastaedError(f"pixel masks {source.source} belong to no {split} video (there is no video "
                               f"{video_id!r}): remove them or add the video")
    for video_id, source in frames.items():
        require_frames(split, video_id, source)
    counts = {video_id: len(source) for video_id, source in frames.items()} if label_files else {}
    labels_per_file = [read_frame_labels(path, counts) for path in label_files]
    return [Video(video_id, split, source, masks.get(video_id),
                  [labels[video_id] for labels in labels_per_file if video_id in labels])
            for video_id, source in frames.items()]


class Dataset:
    """The training and test videos found under ``root`` in one layout.

    Example:
        >>> dataset = Dataset("ped2", "ucsd-repacked", train=[...], test=[...])
        >>> dataset.video("test", "01").labels.sum()
        120
    """

    def __init__(self, root, layout, train, test, name=None):
        self.root = Path(root)
        self.layout = layout
        self.name = name or self.root.resolve().name
        self.train = self._in_order(train, "train")
        self.test = self._in_order(test, "test")

    def _in_order(self, videos, split):
        videos = sorted(videos, key=lambda video: natural_key(video.id))
        for before, after in zip(videos, videos[1:]):
            if before.id == after.id:
                raise FastaedError(f"two {split} videos in {self.root} are both named {before.id!r} "
                                   f"({before.source} and {after.source}): rename one of them")
        return videos

    def __repr__(self):
        return (f"Dataset(name={self.name!r}, layout={self.layout!r}, train={len(self.train)} videos, "
                f"test={len(self.test)} videos)")

    def videos(self, split):
        """The videos of ``split`` ("train" or "test"), sorted by id.

        Example:
            >>> [video.id for video in dataset.videos("train")][:3]
            ['01', '02', '03']
        """
        if split not in SPLITS:
            raise FastaedError(f"unknown split {split!r}: use 'train' or 'test'")
        return self.train if split == "train" else self.test

    def video(self, split, video_id):
        """The video ``video_id`` of ``split``; FastaedError naming the known ids when there is none.

        Example:
            >>> len(dataset.video("test", "01"))
            180
        """
        for video in self.videos(split):
            if video.id == video_id:
                return video
        known = ", ".join(video.id for video in self.videos(split)) or "none"
        raise FastaedError(f"{self.root} has no {split} video {video_id!r} (it has: {known}): check the id")

    def frame_labels(self):
        """``{video_id: (T,) uint8}`` for the test videos whose labels are known.

        Example:
            >>> sum(labels.sum() for labels in dataset.frame_labels().values())
            1648
        """
        return {video.id: video.labels for video in self.test if video.labels is not None}

    def validate(self):
        """Check every video (see :meth:`Video.validate`), with a progress bar on a terminal.

        Example:
            >>> dataset.validate()
        """
        videos = self.train + self.test
        for video in tqdm(videos, desc=f"checking {self.name}", unit="video", disable=None, leave=False):
            video.validate()

    def summary(self):
        """Counts in the ``dataset-info --json`` format of INTERFACES.md.

        ``anomalous_frames`` counts the frames labelled anomalous (0 when no test video has labels).

        Example:
            >>> dataset.summary()["test"]
            {'videos': 12, 'frames': 2010, 'anomalous_frames': 1648}
        """
        return {
            "name": self.name,
            "layout": self.layout,
            "train": {"videos": len(self.train), "frames": sum(len(video) for video in self.train)},
            "test": {"videos": len(self.test), "frames": sum(len(video) for video in self.test),
                     "anomalous_frames": int(sum(labels.sum(dtype=int) for labels in self.frame_labels().values()))},
        }
