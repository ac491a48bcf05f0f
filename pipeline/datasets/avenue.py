"""CUHK Avenue: videos plus per-video pixel masks and/or a frame-range file.

::

    ROOT/training_videos/01.avi ...
    ROOT/testing_videos/01.avi ...
    ROOT/[ground_truth_demo/|gt/]testing_label_mask/1_label.mat ...   'volLabel': one mask per frame
    ROOT/[gt/]avenue.mat                                               'gt': [start; end] ranges, 1-based

``N_label.mat`` belongs to the test video whose id is the number N (``1_label.mat`` -> ``01``).
"""
from pipeline.datasets.dataset import Dataset, build_videos
from pipeline.datasets.frame_labels import find_frame_label_files
from pipeline.datasets.frame_sources import video_file_frames
from pipeline.datasets.mask_sources import MatMasks
from pipeline.errors import FastaedError

LAYOUT = "avenue"
MASK_FOLDERS = ("testing_label_mask", "ground_truth_demo/testing_label_mask", "gt/testing_label_mask")
MASK_SUFFIX = "_label.mat"


def matches(root):
    """True if ``root`` has ``training_videos`` or ``testing_videos``.

    Example:
        >>> matches(Path("Avenue Dataset"))
        True
    """
    return (root / "training_videos").is_dir() or (root / "testing_videos").is_dir()


def _masks_by_video(root, test_ids):
    folders = [root / name for name in MASK_FOLDERS if (root / name).is_dir()]
    if len(folders) > 1:
        raise FastaedError(f"{root} has pixel masks in {folders[0]} and {folders[1]}: keep one of them")
    if not folders:
        return {}
    by_number = {int(video_id): video_id for video_id in test_ids if video_id.isdigit()}
    masks = {}
    for path in sorted(folders[0].glob(f"*{MASK_SUFFIX}")):
        number = path.name[:-len(MASK_SUFFIX)]
        if not number.isdigit() or int(number) not in by_number:
            raise FastaedError(f"{path} belongs to no test video (expected N{MASK_SUFFIX} with N the number of "
                               f"a video in {root / 'testing_videos'}): remove it or add the video")
        masks[by_number[int(number)]] = MatMasks(path)
    return masks


def load(root):
    """Read the Avenue layout (see the module docstring).

    Example:
        >>> load(Path("Avenue Dataset")).summary()["test"]["videos"]
        21
    """
    test = video_file_frames(root / "testing_videos")
    return Dataset(root, LAYOUT,
                   train=build_videos("train", video_file_frames(root / "training_videos")),
                   test=build_videos("test", test, _masks_by_video(root, test),
                                     find_frame_label_files(root, root / "gt")))
