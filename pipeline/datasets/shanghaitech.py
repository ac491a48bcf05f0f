"""ShanghaiTech Campus: training videos (or frames), test frames, ``.npy`` frame and pixel masks.

::

    ROOT/training/videos/01_001.avi ...            or ROOT/training/frames/01_001/000.jpg ...
    ROOT/testing/frames/01_0014/000.jpg ...
    ROOT/testing/test_frame_mask/01_0014.npy       (T,) 0/1 frame labels
    ROOT/testing/test_pixel_mask/01_0014.npy       (T, H, W) pixel masks, memory-mapped

When both ``training/videos`` and ``training/frames`` exist, the videos are read.
"""
from pipeline.datasets.dataset import Dataset, build_videos
from pipeline.datasets.frame_labels import find_frame_label_files
from pipeline.datasets.frame_sources import frame_folders, video_file_frames
from pipeline.datasets.listing import visible_entries
from pipeline.datasets.mask_sources import ArrayMasks

LAYOUT = "shanghaitech"


def matches(root):
    """True if ``root`` has ``training/videos`` or ``testing/test_frame_mask``.

    Example:
        >>> matches(Path("shanghaitech"))
        True
    """
    return (root / "training" / "videos").is_dir() or (root / "testing" / "test_frame_mask").is_dir()


def _npy_files(folder):
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in visible_entries(folder) if path.suffix == ".npy" and path.is_file()}


def load(root):
    """Read the ShanghaiTech layout (see the module docstring).

    Example:
        >>> load(Path("shanghaitech")).summary()["test"]["videos"]
        107
    """
    training = root / "training"
    train = (video_file_frames(training / "videos") if (training / "videos").is_dir()
             else frame_folders(training / "frames"))
    masks = {video_id: ArrayMasks(path) for video_id, path in _npy_files(root / "testing" / "test_pixel_mask").items()}
    label_sources = find_frame_label_files(root, root / "gt") + [
        folder for folder in [root / "testing" / "test_frame_mask"] if folder.is_dir()]
    test = build_videos("test", frame_folders(root / "testing" / "frames"), masks, label_sources)
    return Dataset(root, LAYOUT, train=build_videos("train", train), test=test)
