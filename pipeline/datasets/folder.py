"""Any folder of videos or frame folders, without ground truth: footage of your own camera.

A video is a video file (``.avi``, ``.mp4``, ...; id = file name without extension) or a
subfolder of images (id = folder name). A folder that holds images directly is one video.
An empty subfolder is refused as an empty video; a subfolder without images but with other
files (``docs/``) is not a video and is left alone.
With a ``train/`` (or ``training/``) and/or ``test/`` (or ``testing/``) subfolder, those give
the splits; otherwise every video is a training video::

    ROOT/cam1_monday.mp4, ROOT/cam1_tuesday/000001.png ...          all training
    ROOT/train/a.mp4 ...,  ROOT/test/b.mp4 ...                      training and test
"""
from pipeline.datasets.dataset import Dataset, build_videos
from pipeline.datasets.frame_sources import ImageFrames, VideoFrames
from pipeline.datasets.listing import VIDEO_EXTENSIONS, checked_video_id, is_image_file, visible_entries
from pipeline.errors import FastaedError

LAYOUT = "folder"
SPLIT_FOLDERS = {"train": ("train", "training"), "test": ("test", "testing")}


def _split_folders(root):
    splits = {}
    present = {entry.name for entry in visible_entries(root) if entry.is_dir()}
    for split, names in SPLIT_FOLDERS.items():
        folders = [root / name for name in names if name in present]
        if len(folders) > 1:
            raise FastaedError(f"{root} has both {folders[0].name}/ and {folders[1].name}/: "
                               f"keep the {split} videos in one of them")
        if folders:
            splits[split] = folders[0]
    return splits


def _is_video_file(entry):
    return entry.suffix.lower() in VIDEO_EXTENSIONS and entry.is_file()


def _is_frame_folder(entry):
    """A subfolder is a video if it holds images, or nothing (then it is refused as an empty video)."""
    if not entry.is_dir():
        return False
    contents = visible_entries(entry)
    return not contents or any(map(is_image_file, contents))


def _videos_in(folder, skip=()):
    videos = {}

    def add_video(video_id, source):
        if video_id in videos:
            raise FastaedError(f"{videos[video_id].source} and {source.source} would both be video {video_id!r}: "
                               "rename or remove one of them")
        videos[video_id] = source

    entries = [entry for entry in visible_entries(folder) if entry.name not in skip]
    for entry in entries:
        if _is_video_file(entry):
            add_video(checked_video_id(entry.stem, folder), VideoFrames(entry))
        elif _is_frame_folder(entry):
            add_video(checked_video_id(entry.name, folder), ImageFrames(entry))
    if any(map(is_image_file, entries)):
        if videos or skip:
            raise FastaedError(f"{folder} holds image files beside videos or frame folders (or split folders): "
                               "move the loose images into a folder of their own")
        videos[checked_video_id(folder.resolve().name, folder.parent)] = ImageFrames(folder)
    return videos


def matches(root):
    """True if ``root`` has split folders, video files, images, or a subfolder of images.

    Example:
        >>> matches(Path("my_camera"))
        True
    """
    return bool(_split_folders(root)) or any(
        _is_video_file(entry) or is_image_file(entry)
        or (entry.is_dir() and any(map(is_image_file, visible_entries(entry))))
        for entry in visible_entries(root))


def load(root):
    """Read a plain folder (see the module docstring).

    Example:
        >>> [video.id for video in load(Path("my_camera")).train]
        ['cam1_monday', 'cam1_tuesday']
    """
    splits = _split_folders(root)
    if not splits:
        return Dataset(root, LAYOUT, train=build_videos("train", _videos_in(root)), test=[])
    loose = _videos_in(root, skip={folder.name for folder in splits.values()})
    if loose:
        raise FastaedError(f"{root} has split folders and also videos beside them ({', '.join(loose)}): "
                           "move those into the train or test folder")
    return Dataset(root, LAYOUT,
                   train=build_videos("train", _videos_in(splits["train"]) if "train" in splits else {}),
                   test=build_videos("test", _videos_in(splits["test"]) if "test" in splits else {}))
